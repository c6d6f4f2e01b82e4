// Candidate gathering and partial selection for sampling (see sampling_select.h). Selection
// first narrows a pool with vectorized threshold passes (a binary search over thresholds
// max - 2^(k/8)), then sorts inside the pool only, so top-k, top-p and top logprobs cost O(vocab)
// plus a sort of a few hundred candidates on typical rows.
#include "sampling_select.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sampling_kernels.h"
#include "sampling_math.h"

namespace tokenflow {
namespace {

using sampling_math::nan_to_neg_inf;

constexpr float kInf = std::numeric_limits<float>::infinity();
// Pool thresholds: max - d_r with d_r = 2^(r / kRungsPerOctave - kRungBias) for rung r in
// [0, kNumRungs); rung kNumRungs takes everything. Eighth-octave steps keep a pool within ~9%
// (in logit distance) of the tightest threshold, at ~9 vectorized passes per search.
constexpr int32_t kRungsPerOctave = 8;
constexpr int32_t kRungBias = 16;
constexpr int32_t kNumRungs = 48 * kRungsPerOctave;

float rung_threshold(float max, int32_t rung) {
  static constexpr float kEighths[kRungsPerOctave] = {1.0f,        1.09050773f, 1.18920712f, 1.29683955f,
                                                      1.41421356f, 1.54221083f, 1.68179283f, 1.83400809f};
  if (rung >= kNumRungs) return -kInf;
  const int32_t octave = rung / kRungsPerOctave - kRungBias;
  return max - std::ldexp(kEighths[rung % kRungsPerOctave], octave);
}

// The rank order: higher logit first, then lower id. A strict total order (logits are finite).
bool ranks_before(const ScoredToken& a, const ScoredToken& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// Smallest rung for which `enough(rung)` holds (it must be monotone); kNumRungs if none does.
template <typename Enough>
int32_t lowest_rung(Enough enough) {
  int32_t lo = 0;
  int32_t hi = kNumRungs;
  while (lo < hi) {
    const int32_t mid = (lo + hi) / 2;
    if (enough(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// Moves the candidates of c[sorted, n) with logit >= threshold to the front of that range and
// makes them the pool. Valid when every sorted candidate has logit >= threshold.
void partition_pool(Candidates& cs, float threshold) {
  auto at_least = [threshold](const ScoredToken& t) { return t.logit >= threshold; };
  ScoredToken* end = std::partition(cs.c + cs.sorted, cs.c + cs.n, at_least);
  cs.pool = static_cast<int32_t>(end - cs.c);
}

// Widens the pool to at least `want` (> sorted) candidates: the want best all lie above the
// threshold found, sorted ones included.
void grow_pool(Candidates& cs, int32_t want) {
  const SamplingKernels& kernels = sampling_kernels();
  const int32_t rung = lowest_rung(
      [&](int32_t r) { return kernels.count_at_least(cs.c, cs.n, rung_threshold(cs.max, r)) >= want; });
  partition_pool(cs, rung_threshold(cs.max, rung));
}

}  // namespace

void gather_all(const float* row, int32_t vocab, Candidates& cs) {
  sampling_kernels().gather_all(row, vocab, cs.c, &cs.max, &cs.num_neg_inf);
  cs.n = vocab;
}

void gather_masked(const float* row, int32_t vocab, const int32_t* mask, Candidates& cs) {
  const int32_t num_words = (vocab + 31) / 32;
  int32_t n = 0;
  int32_t neg = 0;
  float max = -kInf;
  for (int32_t w = 0; w < num_words; ++w) {
    uint32_t bits = static_cast<uint32_t>(mask[w]);
    while (bits != 0) {
      const int32_t id = w * 32 + __builtin_ctz(bits);
      bits &= bits - 1;
      if (id >= vocab) break;
      const float v = nan_to_neg_inf(row[id]);
      cs.c[n++] = {v, id};
      max = std::max(max, v);
      neg += v == -kInf ? 1 : 0;
    }
  }
  cs.n = n;
  cs.max = max;
  cs.num_neg_inf = neg;
}

void settle_infinities(Candidates& cs) {
  if (cs.max == -kInf) {
    for (int32_t i = 0; i < cs.n; ++i) cs.c[i].logit = 0.0f;
    cs.max = 0.0f;
    return;
  }
  const bool top_is_inf = cs.max == kInf;
  if (!top_is_inf && cs.num_neg_inf == 0) return;
  int32_t kept = 0;
  for (int32_t i = 0; i < cs.n; ++i) {
    const float v = cs.c[i].logit;
    if (top_is_inf ? v == kInf : v != -kInf) cs.c[kept++] = {top_is_inf ? 0.0f : v, cs.c[i].id};
  }
  cs.n = kept;
  cs.num_neg_inf = 0;
  if (top_is_inf) cs.max = 0.0f;
}

int32_t argmax_index(const Candidates& cs) {
  constexpr int32_t kBlock = 64;  // a vectorized "any hit" per block, then a scan of one block
  for (int32_t b = 0; b < cs.n; b += kBlock) {
    const int32_t end = std::min(b + kBlock, cs.n);
    uint32_t hit = 0;
    for (int32_t i = b; i < end; ++i) hit |= cs.c[i].logit == cs.max ? 1u : 0u;
    if (hit == 0) continue;
    for (int32_t i = b; i < end; ++i) {
      if (cs.c[i].logit == cs.max) return i;
    }
  }
  return 0;
}

void extend_sorted_prefix(Candidates& cs, int32_t want) {
  want = std::min(want, cs.n);
  if (want <= cs.sorted) return;
  if (want > cs.pool) grow_pool(cs, want);
  ScoredToken* c = cs.c;
  if (want < cs.pool) std::nth_element(c + cs.sorted, c + want, c + cs.pool, ranks_before);
  std::sort(c + cs.sorted, c + want, ranks_before);
  cs.sorted = want;
}

void pool_by_mass(Candidates& cs, const float* w, double target) {
  if (cs.sorted != 0 || cs.pool != 0) return;  // w would no longer line up with c
  const SamplingKernels& kernels = sampling_kernels();
  const int32_t rung = lowest_rung(
      [&](int32_t r) { return kernels.mass_at_least(cs.c, w, cs.n, rung_threshold(cs.max, r)) >= target; });
  partition_pool(cs, rung_threshold(cs.max, rung));
}

}  // namespace tokenflow
