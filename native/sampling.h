// Per-row token sampling over one row of logits, in native code. Stateless across steps: the
// random stream of a request is derived from (seed, step), so the same seed gives the same
// tokens whatever else is in the batch.
//
// Stages, in order: allowed-token mask → logit bias → penalties (repetition, then presence and
// frequency) → greedy argmax, or temperature → top-k → top-p → min-p → one draw.
// Non-finite logits are handled deterministically, after bias and penalties:
// - NaN reads as -inf (probability 0);
// - if some allowed token is +inf, the +inf tokens share all the probability equally;
// - if every allowed token is -inf (or NaN), all allowed tokens share it equally.
// Ties are broken towards the lower token id (greedy picks the lowest id among the maxima).
// Cost: a few vectorized O(vocab) passes (AVX2 when the CPU has it, bit-identical results
// either way); top-k, top-p and top logprobs sort only a pool of candidates found by threshold
// passes, so a row costs O(vocab + m log m) with m ~ the number of tokens top-k/top-p keep.
#pragma once

#include <cstdint>
#include <vector>

namespace tokenflow {

// The most top-logprob alternatives sample_row reports (OpenAI's limit).
constexpr int32_t kMaxTopLogprobs = 20;

// Sampling parameters of one row. Neutral values disable a stage. Out-of-range values (NaN,
// negative penalties...) are read as the neutral value rather than trusted; callers validate
// requests before they get here.
struct SamplingParams {
  float temperature = 0.0f;         // <= 0 or NaN: greedy (argmax after mask, bias, penalties)
  int32_t top_k = 0;                // <= 0: disabled; otherwise keep the k most likely tokens
  float top_p = 1.0f;               // >= 1: disabled; keep the smallest most-likely set whose
                                    // mass (after top-k, renormalized) is >= top_p
  float min_p = 0.0f;               // <= 0: disabled; drop tokens with p < min_p * p_max
  float repetition_penalty = 1.0f;  // 1: disabled; once per distinct token in the history:
                                    // logit > 0 → logit / p, else logit * p (HF / llama.cpp)
  float presence_penalty = 0.0f;    // subtracted once per distinct token in the history
  float frequency_penalty = 0.0f;   // subtracted per occurrence in the history
  uint64_t seed = 0;                // the request's seed
  uint64_t step = 0;                // index of the token being sampled within the request
  int32_t num_top_logprobs = 0;     // 0..kMaxTopLogprobs top alternatives to report
};

// Inputs beside the logits. Pointers may be null when the count is 0 / no mask. Ids outside
// [0, vocab) are ignored.
struct SamplingInputs {
  const int32_t* history = nullptr;  // tokens all three penalties look at (prompt and/or output,
  int32_t num_history = 0;           // the caller's choice; OpenAI penalizes output only)
  const int32_t* bias_ids = nullptr;  // logit bias: ids and additive values (a repeated id
  const float* bias_values = nullptr; // gets each of its values added)
  int32_t num_bias = 0;
  // Allowed-token bitmask: ceil(vocab/32) int32 words, bit (i % 32) of word (i / 32) set =
  // token i allowed. Null = every token allowed. Disallowed tokens are removed before any
  // other stage: no bias or penalty can bring them back.
  const int32_t* allowed_mask = nullptr;
};

// What sampling returns for one row. Log-probabilities are those of the *processed*
// distribution at temperature 1 before truncation: log_softmax over the allowed tokens of the
// logits after mask, bias and penalties (non-finite values settled as above). They do not
// depend on temperature, top-k, top-p or min-p, so `logprob` and `top_logprobs` are always
// comparable, also for greedy rows.
struct SampleResult {
  int32_t token = -1;              // -1 only if the mask allowed no token (an error)
  float logprob = 0.0f;            // log-probability of `token` (see above); -inf when token -1
  std::vector<int32_t> top_ids;    // min(num_top_logprobs, number of tokens with p > 0)
  std::vector<float> top_logprobs; // alternatives, most likely first, ties by lower id
};

// One candidate token: its processed logit and id.
struct ScoredToken {
  float logit;
  int32_t id;
};

// Reusable scratch memory so that sampling allocates nothing per step once it has grown to the
// vocabulary size. One per thread.
struct SamplingScratch {
  std::vector<float> logits;             // the row after bias and penalties (when any apply)
  std::vector<int32_t> ids;              // not used by sample_row; free for callers
  std::vector<float> probs;              // unnormalized weights of the candidates being drawn
  std::vector<ScoredToken> candidates;   // allowed tokens; partially sorted by truncation
  std::vector<int32_t> counts;           // per-token occurrences; all zero between calls
};

// Samples one token from `logits` (length `vocab`; not modified). Thread-safe given distinct
// scratch objects. Allocates only for the result's top-logprob vectors (when requested).
SampleResult sample_row(const float* logits, int32_t vocab, const SamplingParams& params,
                        const SamplingInputs& inputs, SamplingScratch& scratch);

// Same as sample_row, writing into `out` and reusing its vectors' capacity: allocates nothing in
// steady state.
void sample_row_into(const float* logits, int32_t vocab, const SamplingParams& params,
                     const SamplingInputs& inputs, SamplingScratch& scratch, SampleResult& out);

}  // namespace tokenflow
