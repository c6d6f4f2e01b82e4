// AVX-512 GEMM kernels for F32 / F16 / BF16 weights: RM activation rows x RN weight rows per
// register tile, 16 lanes along K, weights converted to F32 on load (F16C / shift), one
// horizontal sum per output at the end. Same per-element arithmetic for every tile shape.
#include "gemm_kernels.h"
#include "half.h"
#include "isa_target.h"

#if TF_X86
#include <immintrin.h>

#include <cmath>
#include <cstring>
// GCC 12 warns falsely inside the masked-load intrinsics (their undefined pass-through).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace tokenflow {

TF_BEGIN_TARGET(TF_ISA_AVX512)

namespace {

struct LoadF32 {
  static inline __m512 load(const uint8_t* row, int64_t k) {
    return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + k);
  }
  static inline __m512 load_tail(const uint8_t* row, int64_t k, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(row) + k);
  }
  // ggml_vec_dot_f32 leftovers: float accumulation.
  static inline float leftovers(float sum, const float* a, const uint8_t* row, int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      float w;
      std::memcpy(&w, row + k * 4, 4);
      sum += a[k] * w;
    }
    return sum;
  }
};

struct LoadF16 {
  static inline __m512 load(const uint8_t* row, int64_t k) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + k * 2)));
  }
  static inline __m512 load_tail(const uint8_t* row, int64_t k, __mmask16 m) {
    const __m512i h = _mm512_maskz_loadu_epi16(static_cast<__mmask32>(m), row + k * 2);
    return _mm512_cvtph_ps(_mm512_castsi512_si256(h));
  }
  // ggml_vec_dot_f16 leftovers: products in float, sum in double.
  static inline float leftovers(float head, const float* a, const uint8_t* row, int64_t k0, int64_t k1) {
    double sum = head;
    for (int64_t k = k0; k < k1; ++k) {
      uint16_t h;
      std::memcpy(&h, row + k * 2, 2);
      sum += static_cast<double>(a[k] * _cvtsh_ss(h));
    }
    return static_cast<float>(sum);
  }
};

struct LoadBF16 {
  static inline __m512 widen(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static inline __m512 load(const uint8_t* row, int64_t k) {
    return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + k * 2)));
  }
  static inline __m512 load_tail(const uint8_t* row, int64_t k, __mmask16 m) {
    return widen(_mm512_castsi512_si256(_mm512_maskz_loadu_epi16(static_cast<__mmask32>(m), row + k * 2)));
  }
  static inline float leftovers(float head, const float* a, const uint8_t* row, int64_t k0, int64_t k1) {
    double sum = head;
    for (int64_t k = k0; k < k1; ++k) {
      uint16_t h;
      std::memcpy(&h, row + k * 2, 2);
      sum += static_cast<double>(a[k] * bf16_to_f32(h));
    }
    return static_cast<float>(sum);
  }
};

template <class L, int RM, int RN>
void tile(const float* a, int64_t lda, const uint8_t* w, int64_t ldw, int64_t kt, float* y, int64_t ldy) {
  __m512 acc[RM][RN];
#pragma GCC unroll 4
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= kt; k += 16) {
    __m512 wv[RN];
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) wv[j] = L::load(w + j * ldw, k);
#pragma GCC unroll 4
    for (int i = 0; i < RM; ++i) {
      const __m512 av = _mm512_loadu_ps(a + i * lda + k);
#pragma GCC unroll 8
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_fmadd_ps(av, wv[j], acc[i][j]);
    }
  }
  if (k < kt) {
    const __mmask16 m = static_cast<__mmask16>((1u << (kt - k)) - 1);
    __m512 wv[RN];
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) wv[j] = L::load_tail(w + j * ldw, k, m);
#pragma GCC unroll 4
    for (int i = 0; i < RM; ++i) {
      const __m512 av = _mm512_maskz_loadu_ps(m, a + i * lda + k);
#pragma GCC unroll 8
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_fmadd_ps(av, wv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) y[i * ldy + j] = _mm512_reduce_add_ps(acc[i][j]);
}

using TileFn = void (*)(const float*, int64_t, const uint8_t*, int64_t, int64_t, float*, int64_t);

// Weight rows [j0, n) against activation rows [i0, i1) with tiles of RM x RN, then narrower.
template <class L, int RM>
void sweep_rows(const float* a, int64_t lda, int64_t i0, const uint8_t* w, int64_t ldw, int64_t n, int64_t kt,
                float* y, int64_t ldy, int rn_main) {
  static constexpr TileFn by_rn[9] = {nullptr,         tile<L, RM, 1>, tile<L, RM, 2>, tile<L, RM, 3>, tile<L, RM, 4>,
                                      tile<L, RM, 4>,  tile<L, RM, 4>, tile<L, RM, 4>, tile<L, RM, 8>};
  int64_t j = 0;
  for (; j + rn_main <= n; j += rn_main) by_rn[rn_main](a + i0 * lda, lda, w + j * ldw, ldw, kt, y + i0 * ldy + j, ldy);
  while (j < n) {
    const int rn = static_cast<int>(n - j >= 4 ? 4 : n - j);
    by_rn[rn](a + i0 * lda, lda, w + j * ldw, ldw, kt, y + i0 * ldy + j, ldy);
    j += rn;
  }
}

// Activation rows per L2-resident block: about 256 KB of activations.
int64_t rows_per_block(int64_t k) {
  int64_t mb = (256 * 1024) / (k * 4);
  mb -= mb % 4;
  return mb < 4 ? 4 : mb;
}

template <class L>
void gemm_float(const PreparedActivations& a, const uint8_t* w, int64_t ldw, int64_t n, float* y, int64_t ldy) {
  if (a.m <= 2) {
    if (a.m == 1) sweep_rows<L, 1>(a.f, a.k, 0, w, ldw, n, a.k, y, ldy, 8);
    else sweep_rows<L, 2>(a.f, a.k, 0, w, ldw, n, a.k, y, ldy, 8);
    return;
  }
  const int64_t mb = rows_per_block(a.k);
  for (int64_t b0 = 0; b0 < a.m; b0 += mb) {
    const int64_t b1 = b0 + mb < a.m ? b0 + mb : a.m;
    for (int64_t j = 0; j < n; j += 4) {
      const int64_t nj = n - j < 4 ? n - j : 4;
      int64_t i = b0;
      for (; i + 4 <= b1; i += 4) sweep_rows<L, 4>(a.f, a.k, i, w + j * ldw, ldw, nj, a.k, y + j, ldy, 4);
      const int64_t rest = b1 - i;
      if (rest == 3) sweep_rows<L, 3>(a.f, a.k, i, w + j * ldw, ldw, nj, a.k, y + j, ldy, 4);
      if (rest == 2) sweep_rows<L, 2>(a.f, a.k, i, w + j * ldw, ldw, nj, a.k, y + j, ldy, 4);
      if (rest == 1) sweep_rows<L, 1>(a.f, a.k, i, w + j * ldw, ldw, nj, a.k, y + j, ldy, 4);
    }
  }
}


// ggml_vec_dot_f32 / ggml_vec_dot_f16 order (llama.cpp's path when tinyBLAS declines a matrix:
// rows % 4 != 0 or cols % 16 != 0): four 16-lane accumulators over 64-element steps, reduced
// as (s0 + s2) + (s1 + s3), then the leftover elements one by one (F16: in double).
template <class L, int RM, int RN>
void vecdot_tile(const float* a, int64_t lda, const uint8_t* w, int64_t ldw, int64_t kt, float* y, int64_t ldy) {
  __m512 acc[RM][RN][4];
#pragma GCC unroll 4
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < RN; ++j)
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) acc[i][j][u] = _mm512_setzero_ps();
  const int64_t np = kt & ~int64_t{63};
  for (int64_t k = 0; k < np; k += 64) {
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      __m512 wv[RN];
#pragma GCC unroll 4
      for (int j = 0; j < RN; ++j) wv[j] = L::load(w + j * ldw, k + u * 16);
#pragma GCC unroll 4
      for (int i = 0; i < RM; ++i) {
        const __m512 av = _mm512_loadu_ps(a + i * lda + k + u * 16);
#pragma GCC unroll 4
        for (int j = 0; j < RN; ++j) acc[i][j][u] = _mm512_fmadd_ps(av, wv[j], acc[i][j][u]);
      }
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < RM; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < RN; ++j) {
      const __m512 s02 = _mm512_add_ps(acc[i][j][0], acc[i][j][2]);
      const __m512 s13 = _mm512_add_ps(acc[i][j][1], acc[i][j][3]);
      const float head = _mm512_reduce_add_ps(_mm512_add_ps(s02, s13));
      y[i * ldy + j] = np == kt ? head : L::leftovers(head, a + i * lda, w + j * ldw, np, kt);
    }
  }
}

// One activation row against 8 weight rows in ggml_vec_dot_* order, in two passes over the
// rows (accumulators 0 and 2, then 1 and 3) so that 8 rows stream from memory at once while
// only 16 accumulators live in registers; the second pass reads from L1.
template <class L>
void vecdot_row8(const float* a, const uint8_t* w, int64_t ldw, int64_t kt, float* y) {
  const int64_t np = kt & ~int64_t{63};
  __m512 pair[2][8];
#pragma GCC unroll 2
  for (int pass = 0; pass < 2; ++pass) {
    __m512 lo[8];
    __m512 hi[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) lo[j] = hi[j] = _mm512_setzero_ps();
    for (int64_t k = 0; k < np; k += 64) {
      const int64_t k0 = k + pass * 16;
      const int64_t k1 = k + (pass + 2) * 16;
      const __m512 a0 = _mm512_loadu_ps(a + k0);
      const __m512 a1 = _mm512_loadu_ps(a + k1);
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        lo[j] = _mm512_fmadd_ps(a0, L::load(w + j * ldw, k0), lo[j]);
        hi[j] = _mm512_fmadd_ps(a1, L::load(w + j * ldw, k1), hi[j]);
      }
    }
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) pair[pass][j] = _mm512_add_ps(lo[j], hi[j]);
  }
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    const float head = _mm512_reduce_add_ps(_mm512_add_ps(pair[0][j], pair[1][j]));
    y[j] = np == kt ? head : L::leftovers(head, a, w + j * ldw, np, kt);
  }
}

template <class L>
void gemm_vecdot(const PreparedActivations& a, const uint8_t* w, int64_t ldw, int64_t n, float* y, int64_t ldy) {
  int64_t i = 0;
  for (; i + 2 <= a.m; i += 2) {
    int64_t j = 0;
    for (; j + 3 <= n; j += 3) vecdot_tile<L, 2, 3>(a.f + i * a.k, a.k, w + j * ldw, ldw, a.k, y + i * ldy + j, ldy);
    for (; j < n; ++j) vecdot_tile<L, 2, 1>(a.f + i * a.k, a.k, w + j * ldw, ldw, a.k, y + i * ldy + j, ldy);
  }
  if (i < a.m) {
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) vecdot_row8<L>(a.f + i * a.k, w + j * ldw, ldw, a.k, y + i * ldy + j);
    for (; j + 4 <= n; j += 4) vecdot_tile<L, 1, 4>(a.f + i * a.k, a.k, w + j * ldw, ldw, a.k, y + i * ldy + j, ldy);
    for (; j < n; ++j) vecdot_tile<L, 1, 1>(a.f + i * a.k, a.k, w + j * ldw, ldw, a.k, y + i * ldy + j, ldy);
  }
}

}  // namespace

GemmKernel gemm_kernel_avx512(DType type, bool vecdot_order) {
  if (vecdot_order) {
    if (type == DType::F32) return gemm_vecdot<LoadF32>;
    if (type == DType::F16) return gemm_vecdot<LoadF16>;
    if (type == DType::BF16) return gemm_vecdot<LoadBF16>;
  }
  switch (type) {
    case DType::F32: return gemm_float<LoadF32>;
    case DType::F16: return gemm_float<LoadF16>;
    case DType::BF16: return gemm_float<LoadBF16>;
    case DType::Q8_0: return nullptr;  // the AVX2 kernel serves Q8_0
  }
  return nullptr;
}

TF_END_TARGET

}  // namespace tokenflow

#else

namespace tokenflow {
GemmKernel gemm_kernel_avx512(DType, bool) { return nullptr; }
}  // namespace tokenflow

#endif
