// Branch-free float helpers for sampling's O(vocab) passes. They are written with integer
// selects rather than float ternaries so that GCC and Clang vectorize the loops calling them
// without -ffast-math (float selects under the default -ftrapping-math block if-conversion).
// Internal to sampling.
#pragma once

#include <cstdint>
#include <cstring>

#include "half.h"

namespace tokenflow {
namespace sampling_math {

// Bit casts shared with the kernels (half.h).
inline uint32_t as_bits(float f) { return f32_to_bits(f); }
inline float as_float(uint32_t u) { return bits_to_f32(u); }

constexpr uint32_t kNegInfBits = 0xff800000u;

// NaN becomes -inf; every other value is kept.
inline float nan_to_neg_inf(float v) {
  const uint32_t u = as_bits(v);
  const uint32_t nan = (u & 0x7fffffffu) > 0x7f800000u ? ~0u : 0u;
  return as_float((u & ~nan) | (kNegInfBits & nan));
}

// A signed integer that orders like the (non-NaN) float: lets max reductions vectorize.
inline int32_t order_key(float f) {
  const int32_t i = static_cast<int32_t>(as_bits(f));
  return i ^ ((i >> 31) & 0x7fffffff);
}

inline float from_order_key(int32_t k) {
  return as_float(static_cast<uint32_t>(k ^ ((k >> 31) & 0x7fffffff)));
}

// exp(x) for x <= 0 (-0, -inf included): Cody-Waite reduction and Cephes' degree-6
// polynomial, relative error < 1e-7; exactly 1 at 0 and exactly 0 below -87.
inline float exp_nonpos(float x) {
  constexpr uint32_t kMinus87Bits = 0xc2ae0000u;
  const uint32_t ux = as_bits(x);
  const uint32_t keep = ux > kMinus87Bits ? 0u : ~0u;  // 0 when x < -87 (negative floats)
  const float xc = as_float((ux & keep) | (kMinus87Bits & ~keep));
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round(x / ln 2)
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float scale = as_float(static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23);
  return as_float(as_bits(p * scale) & keep);
}

}  // namespace sampling_math
}  // namespace tokenflow
