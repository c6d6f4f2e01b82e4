// Per-row sampling (see sampling.h for the semantics). Everything is O(vocab) except the
// truncation stages, which sort only the prefix of candidates they keep (partial selection).
#include "sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sampling_kernels.h"
#include "sampling_math.h"
#include "sampling_select.h"

namespace tokenflow {
namespace {

using namespace sampling_math;  // NOLINT: internal helpers of this file

constexpr float kInf = std::numeric_limits<float>::infinity();
// First chunk top-p sorts before growing geometrically; real distributions rarely need more.
constexpr int64_t kFirstTopPChunk = 256;
constexpr float kMinTemperature = 1e-30f;
// Block size of the inverse-CDF search: sums whole blocks first, then scans one.
constexpr int32_t kPickBlock = 1024;

// Parameters with NaN or out-of-range values mapped to neutral ones, so that nothing below can
// misbehave on a bad request.
struct Knobs {
  bool greedy;
  float inv_temperature;  // 1 / temperature, finite (0 for an infinite temperature)
  int32_t top_k;
  float top_p;
  float min_p;
  float repetition;
  float presence;
  float frequency;
  int32_t num_top;
};

Knobs normalize(const SamplingParams& p) {
  Knobs k{};
  k.greedy = !(p.temperature > 0.0f);
  // Temperatures below kMinTemperature act like it (their 1/t would overflow toward inf).
  const float t = k.greedy ? 1.0f : std::max(p.temperature, kMinTemperature);
  k.inv_temperature = 1.0f / t;
  k.top_k = p.top_k > 0 ? p.top_k : 0;
  k.top_p = p.top_p < 1.0f ? std::max(p.top_p, 0.0f) : 1.0f;  // NaN → 1 (disabled)
  k.min_p = p.min_p > 0.0f ? std::min(p.min_p, 1.0f) : 0.0f;
  const float rep = p.repetition_penalty;
  k.repetition = (rep > 0.0f && std::isfinite(rep)) ? rep : 1.0f;
  k.presence = std::isfinite(p.presence_penalty) ? p.presence_penalty : 0.0f;
  k.frequency = std::isfinite(p.frequency_penalty) ? p.frequency_penalty : 0.0f;
  k.num_top = std::clamp(p.num_top_logprobs, 0, kMaxTopLogprobs);
  return k;
}

// splitmix64's output function.
uint64_t mix64(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ULL;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, 1): output number `step` of a splitmix64 stream whose start is a hash of the
// seed. No state is shared, so a row's draw depends on (seed, step) only.
double uniform01(uint64_t seed, uint64_t step) {
  constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;
  const uint64_t h = mix64(mix64(seed + kGamma) + (step + 1) * kGamma);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

bool has_penalties(const Knobs& k, const SamplingInputs& in) {
  const bool any = k.repetition != 1.0f || k.presence != 0.0f || k.frequency != 0.0f;
  return any && in.history != nullptr && in.num_history > 0;
}

void apply_bias(float* x, int32_t vocab, const SamplingInputs& in) {
  if (in.bias_ids == nullptr || in.bias_values == nullptr) return;
  for (int32_t i = 0; i < in.num_bias; ++i) {
    const int32_t id = in.bias_ids[i];
    if (id >= 0 && id < vocab) x[id] += in.bias_values[i];
  }
}

float penalize(float v, int32_t count, const Knobs& k) {
  if (k.repetition != 1.0f) v = v > 0.0f ? v / k.repetition : v * k.repetition;
  return v - k.presence - k.frequency * static_cast<float>(count);
}

// Counts occurrences in `counts` (all zero on entry), then penalizes each distinct token once
// and puts its count back to zero: O(history), whatever the vocabulary size.
void apply_penalties(float* x, int32_t vocab, const Knobs& k, const SamplingInputs& in,
                     std::vector<int32_t>& counts) {
  if (counts.size() < static_cast<size_t>(vocab)) counts.resize(vocab, 0);
  for (int32_t i = 0; i < in.num_history; ++i) {
    const int32_t id = in.history[i];
    if (id >= 0 && id < vocab) ++counts[id];
  }
  for (int32_t i = 0; i < in.num_history; ++i) {
    const int32_t id = in.history[i];
    if (id < 0 || id >= vocab || counts[id] == 0) continue;
    x[id] = penalize(x[id], counts[id], k);
    counts[id] = 0;
  }
}

// Returns the row after bias and penalties: `logits` itself when neither applies, else a copy.
const float* process_logits(const float* logits, int32_t vocab, const Knobs& k,
                            const SamplingInputs& in, SamplingScratch& s) {
  const bool bias = in.bias_ids != nullptr && in.bias_values != nullptr && in.num_bias > 0;
  const bool penalties = has_penalties(k, in);
  if (!bias && !penalties) return logits;
  s.logits.resize(vocab);
  std::copy(logits, logits + vocab, s.logits.begin());
  if (bias) apply_bias(s.logits.data(), vocab, in);
  if (penalties) apply_penalties(s.logits.data(), vocab, k, in, s.counts);
  return s.logits.data();
}

// w[i] = exp((c[i].logit - max) * inv_t): weights relative to the most likely token (1).
void fill_weights(const ScoredToken* c, int32_t n, float max, float inv_t, float* w) {
  sampling_kernels().fill_weights(c, n, max, inv_t, w);
}

float weight(float logit, float max, float inv_t) { return exp_nonpos((logit - max) * inv_t); }

// Sum of w in blocks of kPickBlock; pick() adds the same block sums in the same order.
double blocked_sum(const float* w, int32_t n) {
  double total = 0.0;
  const SamplingKernels& kernels = sampling_kernels();
  for (int32_t b = 0; b < n; b += kPickBlock) {
    total += kernels.sum_weights(w + b, std::min(kPickBlock, n - b));
  }
  return total;
}

// log(sum exp(logit)) over the candidates; leaves their temperature-1 weights in w.
double log_sum_exp(const Candidates& cs, float* w) {
  fill_weights(cs.c, cs.n, cs.max, 1.0f, w);
  return static_cast<double>(cs.max) + std::log(blocked_sum(w, cs.n));
}

int32_t last_positive(const float* w, int32_t n) {
  for (int32_t i = n - 1; i > 0; --i) {
    if (w[i] > 0.0f) return i;
  }
  return 0;
}

// Inverse CDF: the index whose cumulative weight first exceeds `target` (0 <= target <
// blocked_sum(w, n)); never a zero-weight candidate.
int32_t pick(const float* w, int32_t n, double target) {
  double cum = 0.0;
  for (int32_t b = 0; b < n; b += kPickBlock) {
    const int32_t len = std::min(kPickBlock, n - b);
    const double block = sampling_kernels().sum_weights(w + b, len);
    if (target < cum + block) {
      double inner = cum;
      for (int32_t i = 0; i < len; ++i) {
        inner += w[b + i];
        if (target < inner) return b + i;
      }
      return b + last_positive(w + b, len);  // rounding: the block sum was a bit larger
    }
    cum += block;
  }
  return last_positive(w, n);
}

// No rank truncation: one draw over all candidates in id order, min-p as a weight floor.
int32_t sample_all(const Candidates& cs, const Knobs& k, double u, float* w) {
  const bool fresh = k.inv_temperature == 1.0f;  // w still holds log_sum_exp's weights
  if (!fresh) fill_weights(cs.c, cs.n, cs.max, k.inv_temperature, w);
  if (k.min_p > 0.0f) {
    for (int32_t i = 0; i < cs.n; ++i) w[i] = as_float(as_bits(w[i]) & (w[i] < k.min_p ? 0u : ~0u));
  }
  return pick(w, cs.n, u * blocked_sum(w, cs.n));
}

// Length of the shortest rank-order prefix of c[0, limit) holding top_p of its mass, sorting
// in growing chunks only as far as needed. c[0, limit) is sorted already when limit < n.
int32_t top_p_cutoff(Candidates& cs, int32_t limit, const Knobs& k, float* w) {
  const bool fresh = cs.sorted == 0 && k.inv_temperature == 1.0f;
  if (!fresh) fill_weights(cs.c, limit, cs.max, k.inv_temperature, w);
  const double target = static_cast<double>(k.top_p) * blocked_sum(w, limit);
  if (limit == cs.n) pool_by_mass(cs, w, target);
  double cum = 0.0;
  int64_t chunk = kFirstTopPChunk;
  for (int32_t i = 0; i < limit; ++i) {
    if (i == cs.sorted) {  // sort the rest of the pool, or the next chunk past it
      const int64_t next = cs.pool > cs.sorted ? std::min<int64_t>(cs.pool, i + chunk) : i + chunk;
      extend_sorted_prefix(cs, static_cast<int32_t>(std::min<int64_t>(limit, next)));
      chunk *= 2;
    }
    cum += weight(cs.c[i].logit, cs.max, k.inv_temperature);
    if (cum >= target) return i + 1;
  }
  return limit;
}

// Shrinks the sorted prefix c[0, r) to the tokens with p >= min_p * p_max (c[0] always stays).
int32_t min_p_cutoff(const Candidates& cs, int32_t r, const Knobs& k) {
  if (k.min_p <= 0.0f) return r;
  int32_t i = 1;
  while (i < r && weight(cs.c[i].logit, cs.max, k.inv_temperature) >= k.min_p) ++i;
  return i;
}

// Temperature, top-k, top-p, min-p and the draw; returns an index into cs.c.
int32_t sample_index(Candidates& cs, const Knobs& k, double u, float* w) {
  const int32_t limit = (k.top_k > 0 && k.top_k < cs.n) ? k.top_k : cs.n;
  if (limit == cs.n && k.top_p >= 1.0f) return sample_all(cs, k, u, w);
  if (limit < cs.n) extend_sorted_prefix(cs, limit);
  int32_t r = k.top_p < 1.0f ? top_p_cutoff(cs, limit, k, w) : limit;
  r = min_p_cutoff(cs, r, k);
  fill_weights(cs.c, r, cs.max, k.inv_temperature, w);
  return pick(w, r, u * blocked_sum(w, r));
}

void fill_top_logprobs(Candidates& cs, int32_t num_top, double lse, SampleResult& out) {
  const int32_t m = std::min(num_top, cs.n);
  extend_sorted_prefix(cs, m);
  out.top_ids.resize(m);
  out.top_logprobs.resize(m);
  for (int32_t i = 0; i < m; ++i) {
    out.top_ids[i] = cs.c[i].id;
    out.top_logprobs[i] = static_cast<float>(cs.c[i].logit - lse);
  }
}

}  // namespace

void sample_row_into(const float* logits, int32_t vocab, const SamplingParams& params,
                     const SamplingInputs& inputs, SamplingScratch& s, SampleResult& out) {
  out.token = -1;
  out.logprob = -kInf;
  out.top_ids.clear();
  out.top_logprobs.clear();
  if (logits == nullptr || vocab <= 0) return;
  const Knobs k = normalize(params);
  const float* row = process_logits(logits, vocab, k, inputs, s);
  s.candidates.resize(vocab);
  s.probs.resize(vocab);
  Candidates cs;
  cs.c = s.candidates.data();
  if (inputs.allowed_mask == nullptr) {
    gather_all(row, vocab, cs);
  } else {
    gather_masked(row, vocab, inputs.allowed_mask, cs);
  }
  if (cs.n == 0) return;
  settle_infinities(cs);
  float* w = s.probs.data();
  const double lse = log_sum_exp(cs, w);
  const double u = uniform01(params.seed, params.step);
  const int32_t i = k.greedy ? argmax_index(cs) : sample_index(cs, k, u, w);
  out.token = cs.c[i].id;
  out.logprob = static_cast<float>(cs.c[i].logit - lse);
  if (k.num_top > 0) fill_top_logprobs(cs, k.num_top, lse, out);
}

SampleResult sample_row(const float* logits, int32_t vocab, const SamplingParams& params,
                        const SamplingInputs& inputs, SamplingScratch& scratch) {
  SampleResult out;
  sample_row_into(logits, vocab, params, inputs, scratch, out);
  return out;
}

}  // namespace tokenflow
