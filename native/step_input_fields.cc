#include "step_input_fields.h"

#include <cmath>
#include <cstring>

namespace tokenflow {

namespace {

template <typename T>
struct ArrayKind;
template <>
struct ArrayKind<int32_t> {
  static constexpr napi_typedarray_type kType = napi_int32_array;
  static constexpr const char* kName = "an Int32Array";
};
template <>
struct ArrayKind<uint8_t> {
  static constexpr napi_typedarray_type kType = napi_uint8_array;
  static constexpr const char* kName = "a Uint8Array";
};
template <>
struct ArrayKind<float> {
  static constexpr napi_typedarray_type kType = napi_float32_array;
  static constexpr const char* kName = "a Float32Array";
};
template <>
struct ArrayKind<uint64_t> {
  static constexpr napi_typedarray_type kType = napi_biguint64_array;
  static constexpr const char* kName = "a BigUint64Array";
};

bool absent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

template <typename T>
Napi::TypedArray typed(const Napi::Object& o, const char* key, const Napi::Value& v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != ArrayKind<T>::kType) {
    field_error(o.Env(), std::string(key) + " must be " + ArrayKind<T>::kName);
  }
  return v.As<Napi::TypedArray>();
}

}  // namespace

void field_error(const Napi::Env& env, const std::string& message) { throw Napi::Error::New(env, message); }

int64_t int_field(const Napi::Object& o, const char* key, int64_t lo, int64_t hi) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) field_error(o.Env(), std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    field_error(o.Env(), std::string(key) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(d);
}

double number_field(const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  if (absent(v)) return fallback;
  if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue())) {
    field_error(o.Env(), std::string(key) + " must be a finite number");
  }
  return v.As<Napi::Number>().DoubleValue();
}

bool bool_field(const Napi::Object& o, const char* key, bool fallback) {
  const Napi::Value v = o.Get(key);
  if (absent(v)) return fallback;
  if (!v.IsBoolean()) field_error(o.Env(), std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string string_field(const Napi::Object& o, const char* key, const std::string& fallback) {
  const Napi::Value v = o.Get(key);
  if (absent(v)) return fallback;
  if (!v.IsString()) field_error(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

template <typename T>
bool copy_array(const Napi::Object& o, const char* key, size_t len, std::vector<T>& out, bool optional) {
  const Napi::Value v = o.Get(key);
  if (absent(v)) {
    if (!optional) field_error(o.Env(), std::string(key) + " is required");
    out.clear();
    return false;
  }
  const Napi::TypedArray a = typed<T>(o, key, v);
  if (a.ElementLength() < len) {
    field_error(o.Env(), std::string(key) + " has " + std::to_string(a.ElementLength()) + " elements, needs at least " +
                             std::to_string(len));
  }
  out.resize(len);
  if (len > 0) {
    const uint8_t* base = static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
    std::memcpy(out.data(), base, len * sizeof(T));
  }
  return true;
}

template <typename T>
int64_t array_length(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (absent(v)) return -1;
  return static_cast<int64_t>(typed<T>(o, key, v).ElementLength());
}

template bool copy_array<int32_t>(const Napi::Object&, const char*, size_t, std::vector<int32_t>&, bool);
template bool copy_array<uint8_t>(const Napi::Object&, const char*, size_t, std::vector<uint8_t>&, bool);
template bool copy_array<float>(const Napi::Object&, const char*, size_t, std::vector<float>&, bool);
template bool copy_array<uint64_t>(const Napi::Object&, const char*, size_t, std::vector<uint64_t>&, bool);
template int64_t array_length<int32_t>(const Napi::Object&, const char*);
template int64_t array_length<uint8_t>(const Napi::Object&, const char*);
template int64_t array_length<float>(const Napi::Object&, const char*);
template int64_t array_length<uint64_t>(const Napi::Object&, const char*);

}  // namespace tokenflow
