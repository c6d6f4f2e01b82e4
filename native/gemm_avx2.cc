// AVX2 + FMA + F16C GEMM kernels: 8 lanes along K for F32 / F16 / BF16 weights, and the Q8_0 x
// Q8_0 kernel (also used on AVX-512 machines) with llama.cpp's per-block arithmetic: the exact
// int8 dot of each 32-element block, scaled by d_w * d_a and accumulated lane-wise in F32.
#include "gemm_kernels.h"
#include "half.h"
#include "isa_target.h"

#if TF_X86
#include <immintrin.h>

#include <cstring>

namespace tokenflow {

TF_BEGIN_TARGET(TF_ISA_AVX2)

namespace {

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

struct LoadF32 {
  static inline __m256 load(const uint8_t* row, int64_t k) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k);
  }
  static inline float at(const uint8_t* row, int64_t k) {
    float v;
    std::memcpy(&v, row + k * 4, 4);
    return v;
  }
};

struct LoadF16 {
  static inline __m256 load(const uint8_t* row, int64_t k) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k * 2)));
  }
  static inline float at(const uint8_t* row, int64_t k) {
    uint16_t h;
    std::memcpy(&h, row + k * 2, 2);
    return f16_to_f32(h);
  }
};

struct LoadBF16 {
  static inline __m256 load(const uint8_t* row, int64_t k) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k * 2));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static inline float at(const uint8_t* row, int64_t k) {
    uint16_t h;
    std::memcpy(&h, row + k * 2, 2);
    return bf16_to_f32(h);
  }
};

template <class L, int RM, int RN>
void tile(const float* a, int64_t lda, const uint8_t* w, int64_t ldw, int64_t kt, float* y, int64_t ldy) {
  __m256 acc[RM][RN];
#pragma GCC unroll 4
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < RN; ++j) acc[i][j] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= kt; k += 8) {
    __m256 wv[RN];
#pragma GCC unroll 4
    for (int j = 0; j < RN; ++j) wv[j] = L::load(w + j * ldw, k);
#pragma GCC unroll 4
    for (int i = 0; i < RM; ++i) {
      const __m256 av = _mm256_loadu_ps(a + i * lda + k);
#pragma GCC unroll 4
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm256_fmadd_ps(av, wv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < RM; ++i) {
    for (int j = 0; j < RN; ++j) {
      float sum = hsum8(acc[i][j]);
      for (int64_t kk = k; kk < kt; ++kk) sum += a[i * lda + kk] * L::at(w + j * ldw, kk);
      y[i * ldy + j] = sum;
    }
  }
}

using TileFn = void (*)(const float*, int64_t, const uint8_t*, int64_t, int64_t, float*, int64_t);

template <class L, int RM>
void sweep(const float* a, int64_t lda, const uint8_t* w, int64_t ldw, int64_t n, int64_t kt, float* y, int64_t ldy) {
  static constexpr TileFn by_rn[5] = {nullptr, tile<L, RM, 1>, tile<L, RM, 2>, tile<L, RM, 3>, tile<L, RM, 4>};
  constexpr int kRn = RM <= 2 ? 4 : 2;
  int64_t j = 0;
  for (; j + kRn <= n; j += kRn) by_rn[kRn](a, lda, w + j * ldw, ldw, kt, y + j, ldy);
  if (j < n) by_rn[n - j](a, lda, w + j * ldw, ldw, kt, y + j, ldy);
}

template <class L>
void gemm_float(const PreparedActivations& a, const uint8_t* w, int64_t ldw, int64_t n, float* y, int64_t ldy) {
  int64_t i = 0;
  for (; i + 4 <= a.m; i += 4) sweep<L, 4>(a.f + i * a.k, a.k, w, ldw, n, a.k, y + i * ldy, ldy);
  const int64_t rest = a.m - i;
  if (rest == 3) sweep<L, 3>(a.f + i * a.k, a.k, w, ldw, n, a.k, y + i * ldy, ldy);
  if (rest == 2) sweep<L, 2>(a.f + i * a.k, a.k, w, ldw, n, a.k, y + i * ldy, ldy);
  if (rest == 1) sweep<L, 1>(a.f + i * a.k, a.k, w, ldw, n, a.k, y + i * ldy, ldy);
}

inline __m256 mul_sum_i8_pairs_float(__m256i x, __m256i y) {
  const __m256i ax = _mm256_sign_epi8(x, x);
  const __m256i sy = _mm256_sign_epi8(y, x);
  const __m256i dot = _mm256_maddubs_epi16(ax, sy);
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(dot, _mm256_set1_epi16(1)));
}

template <int RM, int RN>
void q8_tile(const PreparedActivations& a, int64_t i0, const uint8_t* w, int64_t ldw, float* y, int64_t ldy) {
  const int64_t nb = a.k / kQ8BlockSize;
  __m256 acc[RM][RN];
  for (int i = 0; i < RM; ++i)
    for (int j = 0; j < RN; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    __m256i wq[RN];
    float wd[RN];
    for (int j = 0; j < RN; ++j) {
      const uint8_t* blk = w + j * ldw + b * kQ8BlockBytes;
      uint16_t dh;
      std::memcpy(&dh, blk, 2);
      wd[j] = _cvtsh_ss(dh);
      wq[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
    }
    for (int i = 0; i < RM; ++i) {
      const __m256i aq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.q + (i0 + i) * a.k + b * kQ8BlockSize));
      const float ad = a.q_scale[(i0 + i) * nb + b];
      for (int j = 0; j < RN; ++j) {
        const __m256 d = _mm256_set1_ps(wd[j] * ad);
        acc[i][j] = _mm256_fmadd_ps(d, mul_sum_i8_pairs_float(wq[j], aq), acc[i][j]);
      }
    }
  }
  for (int i = 0; i < RM; ++i)
    for (int j = 0; j < RN; ++j) y[(i0 + i) * ldy + j] = hsum8(acc[i][j]);
}

template <int RM>
void q8_sweep(const PreparedActivations& a, int64_t i0, const uint8_t* w, int64_t ldw, int64_t n, float* y, int64_t ldy) {
  constexpr int kRn = RM == 1 ? 4 : 2;
  int64_t j = 0;
  for (; j + kRn <= n; j += kRn) q8_tile<RM, kRn>(a, i0, w + j * ldw, ldw, y + j, ldy);
  for (; j < n; ++j) q8_tile<RM, 1>(a, i0, w + j * ldw, ldw, y + j, ldy);
}

void gemm_q8_0(const PreparedActivations& a, const uint8_t* w, int64_t ldw, int64_t n, float* y, int64_t ldy) {
  int64_t i = 0;
  for (; i + 2 <= a.m; i += 2) q8_sweep<2>(a, i, w, ldw, n, y, ldy);
  if (i < a.m) q8_sweep<1>(a, i, w, ldw, n, y, ldy);
}

}  // namespace

void round_f16_f16c(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) y[i] = _cvtsh_ss(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT));
}

GemmKernel gemm_kernel_avx2(DType type) {
  switch (type) {
    case DType::F32: return gemm_float<LoadF32>;
    case DType::F16: return gemm_float<LoadF16>;
    case DType::BF16: return gemm_float<LoadBF16>;
    case DType::Q8_0: return gemm_q8_0;
  }
  return nullptr;
}

TF_END_TARGET

}  // namespace tokenflow

#else

namespace tokenflow {
GemmKernel gemm_kernel_avx2(DType) { return nullptr; }
void round_f16_f16c(const float*, float*, int64_t) {}
}  // namespace tokenflow

#endif
