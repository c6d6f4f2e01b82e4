// Parsing and validation of one step's input: the typed arrays the engine fills (token ids,
// positions, per-row query ranges, block tables, slot mapping, sampling rows, penalties, logit
// bias, grammar bitmask, KV transfers). Everything is checked before any work is done, and copied, so the
// caller may reuse its arrays as soon as step() returns its promise.
#pragma once

#include <napi.h>

#include <cstdint>
#include <vector>

#include "sampling.h"

namespace tokenflow {

// kMaxTopLogprobs (sampling.h) is also the row stride of the top-logprob outputs.

struct StepLimits {
  int vocab_size = 0;
  int64_t num_blocks = 0;
  int max_batch_tokens = 0;
  int64_t num_host_blocks = 0;  // 0 = no host tier (a step with transfers is rejected)
};

// A validated, owned copy of one step's input.
struct StepInput {
  int num_rows = 0;
  int num_tokens = 0;
  int max_blocks_per_row = 0;
  std::vector<int32_t> tokens, positions, row_query_start, row_context_len, block_tables, slot_mapping;
  std::vector<SamplingParams> params;  // per row
  std::vector<int32_t> history_start, history_tokens;  // history_start: num_rows + 1 (empty = none)
  std::vector<int32_t> bias_start, bias_ids;           // bias_start: num_rows + 1 (empty = none)
  std::vector<float> bias_values;
  int mask_words = 0;  // ceil(vocab / 32)
  std::vector<int32_t> bitmask;
  std::vector<uint8_t> has_mask;  // empty = no masks
  std::vector<uint8_t> row_is_decode;  // empty = no decode rows
  std::vector<int32_t> sampled_rows;  // rows sampled this step, in order
  std::vector<int32_t> logit_tokens;  // the last token of each of those rows
  bool want_logits = false;           // the caller passed logitsOut
  bool defer_sampling = false;        // forward pass only; sampling follows in a second call
  // KV transfers to start with this step (step_transfers.h); num_transfers = 0: none. Transfer
  // k copies the block pairs transfer_start[k] .. transfer_start[k + 1] - 1 of the two lists.
  int num_transfers = 0;
  std::vector<int32_t> transfer_ids, transfer_start, transfer_device_blocks, transfer_host_blocks;
  std::vector<uint8_t> transfer_is_load;  // 1 = load (host -> device), 0 = store
};

// Fills `out` from `obj`, or throws Napi::Error naming the first problem found. numRows may be
// 0 (a step that only issues or waits for transfers; the Runner decides whether it may).
void parse_step_input(const Napi::Object& obj, const StepLimits& limits, StepInput& out);

// Re-reads only the grammar masks (`hasMask`, `bitmask`) of `obj` into `out`, whose rows were
// parsed by parse_step_input: the second half of a step with deferred sampling.
void parse_step_masks(const Napi::Object& obj, const StepLimits& limits, StepInput& out);

}  // namespace tokenflow
