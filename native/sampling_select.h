// Candidate tokens of one sampling row and the selection operations on them: gathering the
// allowed tokens, settling non-finite logits, and partial selection in rank order (higher
// logit first, then lower id) without sorting the whole vocabulary. Internal to sampling.cc.
#pragma once

#include <cstdint>

#include "sampling.h"

namespace tokenflow {

// The allowed tokens of a row (c[0, n), caller-owned). Invariants once gathered:
// - c[0, sorted) are the `sorted` best candidates, in rank order;
// - c[0, pool) holds every candidate that ranks before any candidate of c[pool, n)
//   (pool >= sorted; pool == sorted when no wider pool has been selected);
// - until something is sorted or pooled, c is in id order.
struct Candidates {
  ScoredToken* c = nullptr;
  int32_t n = 0;
  float max = 0.0f;         // largest logit (finite after settle_infinities)
  int32_t num_neg_inf = 0;  // candidates whose logit is -inf (NaN counts as -inf)
  int32_t sorted = 0;
  int32_t pool = 0;
};

// Copies every token of `row` (NaN read as -inf) into cs.c, in id order.
void gather_all(const float* row, int32_t vocab, Candidates& cs);

// Copies the tokens that `mask` (ceil(vocab/32) words) allows into cs.c, in id order.
void gather_masked(const float* row, int32_t vocab, const int32_t* mask, Candidates& cs);

// Leaves every candidate finite, keeping id order: with a +inf maximum only the +inf tokens
// stay (as 0, sharing all the mass); with a -inf maximum every candidate becomes 0 (uniform);
// otherwise -inf tokens (probability 0) are dropped. Afterwards cs.max is finite.
void settle_infinities(Candidates& cs);

// Index of the first (lowest-id) candidate with the maximum logit; needs id order.
int32_t argmax_index(const Candidates& cs);

// Makes c[0, want) the `want` best candidates in rank order (min(want, n) of them).
void extend_sorted_prefix(Candidates& cs, int32_t want);

// Narrows the pool to a rank-order prefix of the candidates whose weights (w, aligned with c in
// id order, so only before any sorting) add up to at least `target`.
void pool_by_mass(Candidates& cs, const float* w, double target);

}  // namespace tokenflow
