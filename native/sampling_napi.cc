// sampleRowForTest: one sample_row call from JavaScript, for unit tests. Reads every JS value
// first (property reads may run getters), and only then takes typed-array pointers, so that no
// JavaScript runs between validating a buffer and using it.
#include "sampling_napi.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "sampling.h"

namespace tokenflow {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

[[noreturn]] void fail_type(Napi::Env env, const std::string& what) {
  throw Napi::TypeError::New(env, "sampleRowForTest: " + what);
}

[[noreturn]] void fail_range(Napi::Env env, const std::string& what) {
  throw Napi::RangeError::New(env, "sampleRowForTest: " + what);
}

bool is_typed(Napi::Value v, napi_typedarray_type type) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == type;
}

// Rejects fields outside `known`, so that a misspelt option cannot pass silently.
void check_keys(Napi::Env env, Napi::Object obj, const std::string& name,
                std::initializer_list<const char*> known) {
  Napi::Array keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    const bool ok = std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
    if (!ok) fail_type(env, name + "." + key + " is not a known field");
  }
}

// A numeric field limits: [lo, hi] (lo excluded when lo_open), integers only when `integer`.
struct Limits {
  double lo;
  double hi;
  bool lo_open;
  bool integer;
  const char* rule;  // the limits in words, for the error message
};

double number_field(Napi::Env env, Napi::Object obj, const char* key, double fallback,
                    const Limits& limits) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) fail_type(env, std::string("params.") + key + " must be a number");
  const double x = v.As<Napi::Number>().DoubleValue();
  const bool above = limits.lo_open ? x > limits.lo : x >= limits.lo;
  const bool whole = !limits.integer || x == std::floor(x);
  if (!(above && x <= limits.hi && whole)) {
    fail_range(env, std::string("params.") + key + " must be " + limits.rule);
  }
  return x;
}

// A 64-bit unsigned field: a non-negative safe-integer number or a bigint below 2^64.
uint64_t u64_field(Napi::Env env, Napi::Object obj, const char* key) {
  Napi::Value v = obj.Get(key);
  const std::string name = std::string("params.") + key;
  if (v.IsUndefined()) return 0;
  if (v.IsBigInt()) {
    bool lossless = false;
    const uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) fail_range(env, name + " must be a bigint in [0, 2^64)");
    return x;
  }
  if (!v.IsNumber()) fail_type(env, name + " must be a number or a bigint");
  const double x = v.As<Napi::Number>().DoubleValue();
  if (!(x >= 0.0 && x <= kMaxSafeInteger && x == std::floor(x))) {
    fail_range(env, name + " must be a non-negative safe integer");
  }
  return static_cast<uint64_t>(x);
}

SamplingParams parse_params(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) fail_type(env, "params must be an object");
  Napi::Object obj = value.As<Napi::Object>();
  check_keys(env, obj, "params",
             {"temperature", "topK", "topP", "minP", "repetitionPenalty", "presencePenalty",
              "frequencyPenalty", "seed", "step", "numTopLogprobs"});
  const Limits non_negative{0.0, FLT_MAX, false, false, "a finite number >= 0"};
  const Limits positive{0.0, FLT_MAX, true, false, "a finite number > 0"};
  const Limits any_finite{-FLT_MAX, FLT_MAX, false, false, "a finite number"};
  const Limits count{0.0, INT32_MAX, false, true, "an integer in [0, 2^31)"};
  SamplingParams p;
  p.temperature = static_cast<float>(number_field(env, obj, "temperature", 0.0, non_negative));
  p.top_k = static_cast<int32_t>(number_field(env, obj, "topK", 0.0, count));
  p.top_p = static_cast<float>(number_field(env, obj, "topP", 1.0, {0.0, 1.0, true, false, "in (0, 1]"}));
  p.min_p = static_cast<float>(number_field(env, obj, "minP", 0.0, {0.0, 1.0, false, false, "in [0, 1]"}));
  p.repetition_penalty = static_cast<float>(number_field(env, obj, "repetitionPenalty", 1.0, positive));
  p.presence_penalty = static_cast<float>(number_field(env, obj, "presencePenalty", 0.0, any_finite));
  p.frequency_penalty = static_cast<float>(number_field(env, obj, "frequencyPenalty", 0.0, any_finite));
  p.seed = u64_field(env, obj, "seed");
  p.step = u64_field(env, obj, "step");
  p.num_top_logprobs = static_cast<int32_t>(number_field(
      env, obj, "numTopLogprobs", 0.0, {0.0, kMaxTopLogprobs, false, true, "an integer in [0, 20]"}));
  return p;
}

// The inputs object's fields, type-checked but not yet dereferenced.
struct RawInputs {
  Napi::Value history, bias_ids, bias_values, mask;
};

Napi::Value typed_field(Napi::Env env, Napi::Object obj, const char* key,
                        napi_typedarray_type type, const char* type_name) {
  Napi::Value v = obj.Get(key);
  if (!v.IsUndefined() && !is_typed(v, type)) {
    fail_type(env, std::string("inputs.") + key + " must be " + type_name);
  }
  return v;
}

RawInputs read_inputs(Napi::Env env, Napi::Value value) {
  RawInputs raw{env.Undefined(), env.Undefined(), env.Undefined(), env.Undefined()};
  if (value.IsUndefined()) return raw;
  if (!value.IsObject()) fail_type(env, "inputs must be an object");
  Napi::Object obj = value.As<Napi::Object>();
  check_keys(env, obj, "inputs", {"history", "biasIds", "biasValues", "mask"});
  raw.history = typed_field(env, obj, "history", napi_int32_array, "an Int32Array");
  raw.bias_ids = typed_field(env, obj, "biasIds", napi_int32_array, "an Int32Array");
  raw.bias_values = typed_field(env, obj, "biasValues", napi_float32_array, "a Float32Array");
  raw.mask = typed_field(env, obj, "mask", napi_int32_array, "an Int32Array");
  if (raw.bias_ids.IsUndefined() != raw.bias_values.IsUndefined()) {
    fail_type(env, "inputs.biasIds and inputs.biasValues must be given together");
  }
  return raw;
}

// Number of elements of an optional typed array (0 when undefined), at most 2^31 - 1.
int32_t length_of(Napi::Env env, Napi::Value v, const char* name) {
  if (v.IsUndefined()) return 0;
  const size_t n = v.As<Napi::TypedArray>().ElementLength();
  if (n > static_cast<size_t>(INT32_MAX)) fail_range(env, std::string(name) + " is too long");
  return static_cast<int32_t>(n);
}

void check_ids(Napi::Env env, const int32_t* ids, int32_t n, int32_t vocab, const char* name) {
  for (int32_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      fail_range(env, std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                          " is not a token id in [0, " + std::to_string(vocab) + ")");
    }
  }
}

void check_bias(Napi::Env env, const RawInputs& raw, int32_t vocab, SamplingInputs& in) {
  if (raw.bias_ids.IsUndefined()) return;
  in.num_bias = length_of(env, raw.bias_ids, "inputs.biasIds");
  if (length_of(env, raw.bias_values, "inputs.biasValues") != in.num_bias) {
    fail_range(env, "inputs.biasIds and inputs.biasValues must have the same length");
  }
  in.bias_ids = raw.bias_ids.As<Napi::Int32Array>().Data();
  in.bias_values = raw.bias_values.As<Napi::Float32Array>().Data();
  check_ids(env, in.bias_ids, in.num_bias, vocab, "inputs.biasIds");
  for (int32_t i = 0; i < in.num_bias; ++i) {
    if (std::isnan(in.bias_values[i])) fail_range(env, "inputs.biasValues must not contain NaN");
  }
}

// Takes the typed arrays' pointers and checks their lengths and ids against `vocab`.
SamplingInputs check_inputs(Napi::Env env, const RawInputs& raw, int32_t vocab) {
  SamplingInputs in;
  in.num_history = length_of(env, raw.history, "inputs.history");
  if (in.num_history > 0) {
    in.history = raw.history.As<Napi::Int32Array>().Data();
    check_ids(env, in.history, in.num_history, vocab, "inputs.history");
  }
  check_bias(env, raw, vocab, in);
  if (!raw.mask.IsUndefined()) {
    const int32_t words = (vocab + 31) / 32;
    if (length_of(env, raw.mask, "inputs.mask") != words) {
      fail_range(env, "inputs.mask must have ceil(vocab / 32) = " + std::to_string(words) + " words");
    }
    in.allowed_mask = raw.mask.As<Napi::Int32Array>().Data();
  }
  return in;
}

Napi::Object to_js(Napi::Env env, const SampleResult& r) {
  const size_t m = r.top_ids.size();
  Napi::Int32Array ids = Napi::Int32Array::New(env, m);
  Napi::Float32Array logprobs = Napi::Float32Array::New(env, m);
  std::copy(r.top_ids.begin(), r.top_ids.end(), ids.Data());
  std::copy(r.top_logprobs.begin(), r.top_logprobs.end(), logprobs.Data());
  Napi::Object out = Napi::Object::New(env);
  out.Set("token", Napi::Number::New(env, r.token));
  out.Set("logprob", Napi::Number::New(env, r.logprob));
  out.Set("topIds", ids);
  out.Set("topLogprobs", logprobs);
  return out;
}

Napi::Value SampleRowForTestJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || info.Length() > 3) fail_type(env, "expected (logits, params, inputs?)");
  if (!is_typed(info[0], napi_float32_array)) fail_type(env, "logits must be a Float32Array");
  const SamplingParams params = parse_params(env, info[1]);
  const RawInputs raw = read_inputs(env, info[2]);
  // From here on no JavaScript runs, so the buffers stay as validated.
  Napi::Float32Array logits = info[0].As<Napi::Float32Array>();
  const int32_t vocab = length_of(env, logits, "logits");
  if (vocab == 0) fail_range(env, "logits must not be empty");
  const SamplingInputs inputs = check_inputs(env, raw, vocab);
  thread_local SamplingScratch scratch;
  thread_local SampleResult result;
  sample_row_into(logits.Data(), vocab, params, inputs, scratch, result);
  return to_js(env, result);
}

}  // namespace

void registerSamplingExports(Napi::Env env, Napi::Object exports) {
  exports.Set("sampleRowForTest", Napi::Function::New(env, SampleRowForTestJs, "sampleRowForTest"));
}

}  // namespace tokenflow
