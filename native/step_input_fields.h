// Reading typed fields of a JS object with precise error messages (used by the step input
// and runner config parsers).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tokenflow {

// Throws Napi::Error "<context>: <message>".
[[noreturn]] void field_error(const Napi::Env& env, const std::string& message);

// An integer-valued number field in [lo, hi].
int64_t int_field(const Napi::Object& o, const char* key, int64_t lo, int64_t hi);

// A number field (finite) with a default when absent.
double number_field(const Napi::Object& o, const char* key, double fallback);

// A boolean field with a default when absent.
bool bool_field(const Napi::Object& o, const char* key, bool fallback);

// A string field with a default when absent.
std::string string_field(const Napi::Object& o, const char* key, const std::string& fallback);

// Copies the first `len` elements of a typed-array field into `out`. The field must be a typed
// array of exactly type T's kind with at least `len` elements. When `optional` and absent
// (undefined or null), clears `out` and returns false.
template <typename T>
bool copy_array(const Napi::Object& o, const char* key, size_t len, std::vector<T>& out, bool optional = false);

// The length of a typed-array field of T's kind (throws if it is not one); -1 when absent.
template <typename T>
int64_t array_length(const Napi::Object& o, const char* key);

}  // namespace tokenflow
