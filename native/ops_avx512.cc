// AVX-512 ports of ggml's vectorised exp / silu (ggml_v_expf, ggml_v_silu) and the vector
// part of ggml_vec_soft_max_f32 and ggml_vec_swiglu_f32: bit-identical to llama.cpp's
// AVX-512 CPU backend.
#include "isa_target.h"
#include "ops.h"

#if TF_X86
#include <immintrin.h>
// GCC 12 warns falsely inside some AVX-512 intrinsics (their undefined pass-through).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <cmath>

namespace tokenflow {

TF_BEGIN_TARGET(TF_ISA_AVX512)

namespace {

inline __m512 v_expf(__m512 x) {
  const __m512 r = _mm512_set1_ps(0x1.8p23f);
  const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
  const __m512 n = _mm512_sub_ps(z, r);
  const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f), _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
  const __mmask16 d = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192), _CMP_GT_OQ);
  const __m512 u = _mm512_mul_ps(b, b);
  const __m512 j = _mm512_fmadd_ps(
      _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                      _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
      u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0F)));
  const __m512 res = _mm512_scalef_ps(j, n);
  if (_mm512_kortestz(d, d)) return res;
  const __m512 zero = _mm512_setzero_ps();
  const __m512 alt = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(n, zero, _CMP_LE_OQ), _mm512_set1_ps(INFINITY), zero);
  return _mm512_mask_blend_ps(d, res, alt);
}

inline __m512 v_silu(__m512 x) {
  const __m512 one = _mm512_set1_ps(1);
  const __m512 neg_x = _mm512_sub_ps(_mm512_setzero_ps(), x);
  return _mm512_div_ps(x, _mm512_add_ps(one, v_expf(neg_x)));
}

}  // namespace

void swiglu_avx512(const float* g, const float* u, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 15 < n; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_mul_ps(v_silu(_mm512_loadu_ps(g + i)), _mm512_loadu_ps(u + i)));
  }
  for (; i < n; ++i) y[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

double softmax_exp_avx512(const float* x, float* y, int64_t n, float max, int64_t* done) {
  int64_t i = 0;
  double sum = 0.0;
  for (; i + 15 < n; i += 16) {
    const __m512 val = v_expf(_mm512_sub_ps(_mm512_loadu_ps(x + i), _mm512_set1_ps(max)));
    _mm512_storeu_ps(y + i, val);
    sum += static_cast<double>(_mm512_reduce_add_ps(val));
  }
  *done = i;
  return sum;
}

TF_END_TARGET

}  // namespace tokenflow

#else

namespace tokenflow {
void swiglu_avx512(const float*, const float*, float*, int64_t) {}
double softmax_exp_avx512(const float*, float*, int64_t, float, int64_t* done) {
  *done = 0;
  return 0.0;
}
}  // namespace tokenflow

#endif
