// The O(vocab) loops of sampling, compiled for the baseline x86-64 ISA and for AVX2 and picked
// at run time. Both builds run the same IEEE operations in the same order (no FMA contraction,
// fixed summation lanes), so they return bit-identical results: a seed samples the same token
// on every machine. Internal to sampling.
#pragma once

#include <cstdint>

#include "sampling.h"

namespace tokenflow {

struct SamplingKernels {
  // c[id] = {row[id] (NaN read as -inf), id} for id in [0, vocab); sets the max logit and the
  // number of -inf logits.
  void (*gather_all)(const float* row, int32_t vocab, ScoredToken* c, float* max, int32_t* num_neg_inf);
  // w[i] = exp((c[i].logit - max) * inv_t), for logits <= max.
  void (*fill_weights)(const ScoredToken* c, int32_t n, float max, float inv_t, float* w);
  // Sum of n non-negative weights, in double.
  double (*sum_weights)(const float* w, int32_t n);
  // Number of candidates with logit >= threshold.
  int32_t (*count_at_least)(const ScoredToken* c, int32_t n, float threshold);
  // Sum of w[i] over the candidates with logit >= threshold, in double.
  double (*mass_at_least)(const ScoredToken* c, const float* w, int32_t n, float threshold);
};

// The best build this CPU runs (chosen once per process).
const SamplingKernels& sampling_kernels();

// The baseline build, for tests that compare builds.
const SamplingKernels& baseline_sampling_kernels();

}  // namespace tokenflow
