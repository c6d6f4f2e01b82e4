// Sampling's O(vocab) loops (see sampling_kernels.h). The bodies are written once, as inline
// templates over branch-free helpers, and instantiated twice: as plain functions, and inside a
// TF_BEGIN_TARGET("avx2") region where the compiler vectorizes them 8 floats wide.
#include "sampling_kernels.h"

#include <limits>

#include "cpu_features.h"
#include "isa_target.h"
#include "sampling_math.h"

namespace tokenflow {
namespace {

using namespace sampling_math;  // NOLINT: internal helpers

#define TF_SAMPLING_INLINE inline __attribute__((always_inline))

TF_SAMPLING_INLINE void gather_all_body(const float* row, int32_t vocab, ScoredToken* c, float* max,
                                        int32_t* num_neg_inf) {
  int32_t max_key = order_key(-std::numeric_limits<float>::infinity());
  int32_t neg = 0;
  for (int32_t id = 0; id < vocab; ++id) {
    const float v = nan_to_neg_inf(row[id]);
    c[id] = {v, id};
    const int32_t key = order_key(v);
    max_key = max_key < key ? key : max_key;
    neg += as_bits(v) == kNegInfBits ? 1 : 0;
  }
  *max = from_order_key(max_key);
  *num_neg_inf = neg;
}

TF_SAMPLING_INLINE void fill_weights_body(const ScoredToken* c, int32_t n, float max, float inv_t, float* w) {
  for (int32_t i = 0; i < n; ++i) w[i] = exp_nonpos((c[i].logit - max) * inv_t);
}

// Eight interleaved double lanes, combined in a fixed order.
TF_SAMPLING_INLINE double sum_weights_body(const float* w, int32_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int32_t j = 0; j < 8; ++j) acc[j] += w[i + j];
  }
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) s += w[i];
  return s;
}

TF_SAMPLING_INLINE int32_t count_at_least_body(const ScoredToken* c, int32_t n, float threshold) {
  int32_t count = 0;
  for (int32_t i = 0; i < n; ++i) count += c[i].logit >= threshold ? 1 : 0;
  return count;
}

TF_SAMPLING_INLINE double mass_at_least_body(const ScoredToken* c, const float* w, int32_t n,
                                             float threshold) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int32_t j = 0; j < 8; ++j) {
      acc[j] += as_float(as_bits(w[i + j]) & (c[i + j].logit >= threshold ? ~0u : 0u));
    }
  }
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) s += c[i].logit >= threshold ? w[i] : 0.0f;
  return s;
}

// One instantiation of every kernel, compiled for the ISA of the enclosing region.
#define TF_SAMPLING_KERNELS(ns)                                                              \
  namespace ns {                                                                             \
  void gather_all(const float* row, int32_t vocab, ScoredToken* c, float* max, int32_t* neg) { \
    gather_all_body(row, vocab, c, max, neg);                                                \
  }                                                                                          \
  void fill_weights(const ScoredToken* c, int32_t n, float max, float inv_t, float* w) {     \
    fill_weights_body(c, n, max, inv_t, w);                                                  \
  }                                                                                          \
  double sum_weights(const float* w, int32_t n) { return sum_weights_body(w, n); }           \
  int32_t count_at_least(const ScoredToken* c, int32_t n, float t) {                         \
    return count_at_least_body(c, n, t);                                                     \
  }                                                                                          \
  double mass_at_least(const ScoredToken* c, const float* w, int32_t n, float t) {           \
    return mass_at_least_body(c, w, n, t);                                                   \
  }                                                                                          \
  const SamplingKernels kKernels{gather_all, fill_weights, sum_weights, count_at_least,      \
                                 mass_at_least};                                             \
  }

TF_SAMPLING_KERNELS(baseline)

#if TF_X86
TF_BEGIN_TARGET("avx2")
TF_SAMPLING_KERNELS(avx2)
TF_END_TARGET
#endif

}  // namespace

const SamplingKernels& baseline_sampling_kernels() { return baseline::kKernels; }

const SamplingKernels& sampling_kernels() {
#if TF_X86
  static const SamplingKernels& best = cpu_features().avx2 ? avx2::kKernels : baseline::kKernels;
  return best;
#else
  return baseline::kKernels;
#endif
}

}  // namespace tokenflow
