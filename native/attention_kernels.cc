#include "attention_kernels.h"

#include <cstring>

#include "half.h"
#include "isa_target.h"

#if TF_X86
#include <immintrin.h>
// GCC 12 warns falsely inside the masked-load intrinsics (their undefined pass-through).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace tokenflow {

namespace {

constexpr int kB = kKvBlockTokens;

template <KvDType T>
float elem(const uint8_t* base, int64_t i) {
  if constexpr (T == KvDType::F32) {
    float v;
    std::memcpy(&v, base + i * 4, 4);
    return v;
  } else {
    uint16_t h;
    std::memcpy(&h, base + i * 2, 2);
    return f16_to_f32(h);
  }
}

template <KvDType T>
void scores_scalar(const float* q, const uint8_t* kb, int hd, int count, float* s) {
  for (int j = 0; j < count; ++j) {
    float sum = 0.0f;
    for (int d = 0; d < hd; ++d) sum += q[d] * elem<T>(kb, static_cast<int64_t>(j) * hd + d);
    s[j] = sum;
  }
}

template <KvDType T>
void accumulate_scalar(const float* p, const uint8_t* vb, int hd, int count, float* acc) {
  for (int d = 0; d < hd; ++d) {
    for (int j = 0; j < count; ++j) acc[d * kAttentionAccLanes] += p[j] * elem<T>(vb, static_cast<int64_t>(d) * kB + j);
  }
}

void finish_scalar(const float* acc, int hd, float* out) {
  for (int d = 0; d < hd; ++d) out[d] = acc[d * kAttentionAccLanes];
}

#if TF_X86
TF_BEGIN_TARGET(TF_ISA_AVX512)

template <KvDType T>
inline __m512 load16(const uint8_t* base, int64_t i, __mmask16 m) {
  if constexpr (T == KvDType::F32) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(base) + i);
  } else {
    const __m512i h = _mm512_maskz_loadu_epi16(static_cast<__mmask32>(m), base + i * 2);
    return _mm512_cvtph_ps(_mm512_castsi512_si256(h));
  }
}

inline __mmask16 first_n(int n) { return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1); }

// ggml_vec_dot_f16 / _f32 order for head widths that are not a multiple of 16.
template <KvDType T>
float dot_vecdot(const float* q, const uint8_t* k, int hd) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  const int np = hd & ~63;
  for (int d = 0; d < np; d += 64) {
    for (int u = 0; u < 4; ++u) acc[u] = _mm512_fmadd_ps(_mm512_loadu_ps(q + d + u * 16), load16<T>(k, d + u * 16, 0xffff), acc[u]);
  }
  const float head = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3])));
  if constexpr (T == KvDType::F32) {
    float sum = head;
    for (int d = np; d < hd; ++d) sum += q[d] * elem<T>(k, d);
    return sum;
  } else {
    double sum = head;
    for (int d = np; d < hd; ++d) sum += static_cast<double>(q[d] * elem<T>(k, d));
    return static_cast<float>(sum);
  }
}

template <KvDType T>
void scores_avx512(const float* q, const uint8_t* kb, int hd, int count, float* s) {
  for (int j = 0; j < count; ++j) {
    const uint8_t* krow = kb + static_cast<int64_t>(j) * hd * (T == KvDType::F32 ? 4 : 2);
    if (hd % 16 != 0) {
      s[j] = dot_vecdot<T>(q, krow, hd);
      continue;
    }
    __m512 acc = _mm512_setzero_ps();
    for (int d = 0; d < hd; d += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(q + d), load16<T>(krow, d, 0xffff), acc);
    s[j] = _mm512_reduce_add_ps(acc);
  }
}

template <KvDType T>
void accumulate_avx512(const float* p, const uint8_t* vb, int hd, int count, float* acc) {
  const __mmask16 m = first_n(count);
  const __m512 pv = _mm512_loadu_ps(p);
  for (int d = 0; d < hd; ++d) {
    const __m512 v = load16<T>(vb, static_cast<int64_t>(d) * kB, m);
    _mm512_storeu_ps(acc + d * kAttentionAccLanes, _mm512_fmadd_ps(pv, v, _mm512_loadu_ps(acc + d * kAttentionAccLanes)));
  }
}

void finish_avx512(const float* acc, int hd, float* out) {
  for (int d = 0; d < hd; ++d) out[d] = _mm512_reduce_add_ps(_mm512_loadu_ps(acc + d * kAttentionAccLanes));
}

template <KvDType T>
void scores_decode_avx512(const float* q, const uint8_t* kb, int hd, int count, float* s) {
  for (int j = 0; j < count; ++j) s[j] = dot_vecdot<T>(q, kb + static_cast<int64_t>(j) * hd * (T == KvDType::F32 ? 4 : 2), hd);
}

template <KvDType T>
void accumulate_decode_avx512(const float* p, const uint8_t* vb, int hd, int count, int block, float* acc) {
  const __mmask16 m = first_n(count);
  const __m512 pv = _mm512_loadu_ps(p);
  float* base = acc + (block & 3) * kB;
  for (int d = 0; d < hd; ++d) {
    const __m512 v = load16<T>(vb, static_cast<int64_t>(d) * kB, m);
    float* a = base + d * kAttentionAccLanes;
    _mm512_storeu_ps(a, _mm512_fmadd_ps(pv, v, _mm512_loadu_ps(a)));
  }
}

void finish_decode_avx512(const float* acc, int hd, float* out) {
  for (int d = 0; d < hd; ++d) {
    const float* a = acc + d * kAttentionAccLanes;
    const __m512 s02 = _mm512_add_ps(_mm512_loadu_ps(a), _mm512_loadu_ps(a + 2 * kB));
    const __m512 s13 = _mm512_add_ps(_mm512_loadu_ps(a + kB), _mm512_loadu_ps(a + 3 * kB));
    out[d] = _mm512_reduce_add_ps(_mm512_add_ps(s02, s13));
  }
}

TF_END_TARGET

TF_BEGIN_TARGET(TF_ISA_AVX2)

template <KvDType T>
inline __m256 load8(const uint8_t* base, int64_t i) {
  if constexpr (T == KvDType::F32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(base) + i);
  } else {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base + i * 2)));
  }
}

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <KvDType T>
void scores_avx2(const float* q, const uint8_t* kb, int hd, int count, float* s) {
  for (int j = 0; j < count; ++j) {
    const int64_t row = static_cast<int64_t>(j) * hd;
    __m256 acc = _mm256_setzero_ps();
    int d = 0;
    for (; d + 8 <= hd; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), load8<T>(kb, row + d), acc);
    float sum = hsum8(acc);
    for (; d < hd; ++d) sum += q[d] * elem<T>(kb, row + d);
    s[j] = sum;
  }
}

template <KvDType T>
void accumulate_avx2(const float* p, const uint8_t* vb, int hd, int count, float* acc) {
  constexpr int kElem = T == KvDType::F32 ? 4 : 2;
  for (int d = 0; d < hd; ++d) {
    const uint8_t* row = vb + static_cast<int64_t>(d) * kB * kElem;
    alignas(32) uint8_t padded[kB * 4] = {};
    if (count < kB) {
      std::memcpy(padded, row, static_cast<size_t>(count) * kElem);
      row = padded;
    }
    __m256 a = _mm256_loadu_ps(acc + d * kAttentionAccLanes);
    a = _mm256_fmadd_ps(_mm256_loadu_ps(p), load8<T>(row, 0), a);
    a = _mm256_fmadd_ps(_mm256_loadu_ps(p + 8), load8<T>(row, 8), a);
    _mm256_storeu_ps(acc + d * kAttentionAccLanes, a);
  }
}

void finish_avx2(const float* acc, int hd, float* out) {
  for (int d = 0; d < hd; ++d) out[d] = hsum8(_mm256_loadu_ps(acc + d * kAttentionAccLanes));
}

TF_END_TARGET
#endif

// Decode tokens in the prefill order (ISAs without a dedicated decode order).
template <void (*Acc)(const float*, const uint8_t*, int, int, float*)>
void accumulate_as_prefill(const float* p, const uint8_t* vb, int hd, int count, int, float* acc) {
  Acc(p, vb, hd, count, acc);
}

template <KvDType T>
AttentionKernels kernels_for(IsaLevel isa) {
#if TF_X86
  if (isa == IsaLevel::Avx512) {
    return {scores_avx512<T>,        accumulate_avx512<T>,        finish_avx512,
            scores_decode_avx512<T>, accumulate_decode_avx512<T>, finish_decode_avx512};
  }
  if (isa == IsaLevel::Avx2) {
    return {scores_avx2<T>, accumulate_avx2<T>, finish_avx2,
            scores_avx2<T>, accumulate_as_prefill<accumulate_avx2<T>>, finish_avx2};
  }
#endif
  (void)isa;
  return {scores_scalar<T>, accumulate_scalar<T>, finish_scalar,
          scores_scalar<T>, accumulate_as_prefill<accumulate_scalar<T>>, finish_scalar};
}

}  // namespace

AttentionKernels attention_kernels(IsaLevel isa, KvDType dtype) {
  return dtype == KvDType::F16 ? kernels_for<KvDType::F16>(isa) : kernels_for<KvDType::F32>(isa);
}

}  // namespace tokenflow
