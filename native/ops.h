// Element-wise and per-row operations of the forward pass, written to reproduce ggml's CPU
// arithmetic (operation order, double-precision sums, vectorised exp) so that logits track
// llama.cpp closely.
#pragma once

#include <cstdint>

#include "isa.h"

namespace tokenflow {

// y = (x * 1/sqrt(mean(x^2) + eps)) * w over one row of n (ggml: the sum of squares in double).
// w may be null (no weight). y may alias x.
void rms_norm_row(const float* x, const float* w, float* y, int64_t n, float eps);

// Rotary embedding parameters shared by every layer.
struct RopeParams {
  int head_dim = 0;
  bool neox = false;              // pairs (i, i + d/2) instead of (2i, 2i + 1)
  float theta_base = 10000.0f;
  float freq_scale = 1.0f;        // 1 / linear scaling factor
  const float* freq_factors = nullptr;  // head_dim / 2 divisors (Llama 3 scaling), or null
  // x0 * c - x1 * s as fma(x0, c, -(x1 * s)): what GCC makes of ggml's rope on CPUs with FMA.
  bool fused = false;
};

// Fills cache[0..head_dim) with (cos, sin) pairs for position `pos`, as ggml_rope_cache_init.
void rope_cache(const RopeParams& p, int32_t pos, float* cache);

// Rotates one head vector in place with a cache from rope_cache().
void rope_apply(const RopeParams& p, const float* cache, float* x);

// y[i] = silu(g[i]) * u[i] (ggml_vec_swiglu_f32, including its vectorised exp).
void swiglu(IsaLevel isa, const float* g, const float* u, float* y, int64_t n);

// In place: s = softmax(s) as ggml_soft_max (max, exp(s - max) with ggml's vectorised exp,
// sum in double, multiply by the float reciprocal). The scale must already be applied.
void softmax_inplace(IsaLevel isa, float* s, int64_t n);

// Vectorised parts, defined per ISA in ops_avx512.cc / ops_avx2.cc.
void swiglu_avx512(const float* g, const float* u, float* y, int64_t n);
void swiglu_avx2(const float* g, const float* u, float* y, int64_t n);
// exp(x[i] - max) into y, returning the double sum over the vectorised prefix; *done = count.
double softmax_exp_avx512(const float* x, float* y, int64_t n, float max, int64_t* done);
double softmax_exp_avx2(const float* x, float* y, int64_t n, float max, int64_t* done);

}  // namespace tokenflow
