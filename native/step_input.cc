#include "step_input.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kv_pool.h"
#include "step_input_fields.h"
#include "step_transfers.h"

namespace tokenflow {

namespace {

[[noreturn]] void fail(const Napi::Env& env, const std::string& message) { field_error(env, message); }

std::string at(const char* name, int64_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

void parse_layout(const Napi::Object& o, const StepLimits& lim, StepInput& s) {
  s.num_rows = static_cast<int>(int_field(o, "numRows", 0, lim.max_batch_tokens));
  s.num_tokens = static_cast<int>(int_field(o, "numTokens", s.num_rows, lim.max_batch_tokens));
  s.max_blocks_per_row = static_cast<int>(int_field(o, "maxBlocksPerRow", 1, (1 << 24) / kKvBlockTokens));
  const size_t rows = static_cast<size_t>(s.num_rows);
  const size_t toks = static_cast<size_t>(s.num_tokens);
  copy_array(o, "tokens", toks, s.tokens);
  copy_array(o, "positions", toks, s.positions);
  copy_array(o, "rowQueryStart", rows + 1, s.row_query_start);
  copy_array(o, "rowContextLen", rows, s.row_context_len);
  copy_array(o, "blockTables", rows * static_cast<size_t>(s.max_blocks_per_row), s.block_tables);
  copy_array(o, "slotMapping", toks, s.slot_mapping);
  copy_array(o, "rowIsDecode", rows, s.row_is_decode, true);
}

// One row's context length, block table, tokens, positions and slots.
void check_row(const Napi::Env& env, const StepLimits& lim, const StepInput& s, int r) {
  const int32_t q0 = s.row_query_start[r];
  const int32_t q1 = s.row_query_start[r + 1];
  if (q1 <= q0 || q1 > s.num_tokens) fail(env, "rowQueryStart must be strictly increasing (row " + std::to_string(r) + " is empty)");
  const int32_t ctx = s.row_context_len[r];
  const int32_t nq = q1 - q0;
  if (!s.row_is_decode.empty() && (s.row_is_decode[r] > 1 || (s.row_is_decode[r] == 1 && nq != 1))) {
    fail(env, at("rowIsDecode", r) + " must be 0, or 1 for a row of exactly one token");
  }
  if (ctx < nq || ctx > s.max_blocks_per_row * kKvBlockTokens) {
    fail(env, at("rowContextLen", r) + " = " + std::to_string(ctx) + " must be in [" + std::to_string(nq) +
                  ", maxBlocksPerRow * 16 = " + std::to_string(s.max_blocks_per_row * kKvBlockTokens) + "]");
  }
  const int32_t* table = s.block_tables.data() + static_cast<int64_t>(r) * s.max_blocks_per_row;
  for (int b = 0; b < (ctx + kKvBlockTokens - 1) / kKvBlockTokens; ++b) {
    if (table[b] < 0 || table[b] >= lim.num_blocks) {
      fail(env, at("blockTables", static_cast<int64_t>(r) * s.max_blocks_per_row + b) + " = " + std::to_string(table[b]) +
                    " is outside the KV pool of " + std::to_string(lim.num_blocks) + " blocks");
    }
  }
  for (int32_t t = q0; t < q1; ++t) {
    if (s.tokens[t] < 0 || s.tokens[t] >= lim.vocab_size) {
      fail(env, at("tokens", t) + " = " + std::to_string(s.tokens[t]) + " is outside the vocabulary of " + std::to_string(lim.vocab_size));
    }
    const int32_t pos = ctx - nq + (t - q0);
    if (s.positions[t] != pos) {
      fail(env, at("positions", t) + " = " + std::to_string(s.positions[t]) + ", expected " + std::to_string(pos) +
                    " (a row's tokens are the last positions of its context)");
    }
    const int32_t slot = table[pos / kKvBlockTokens] * kKvBlockTokens + pos % kKvBlockTokens;
    if (s.slot_mapping[t] != slot) {
      fail(env, at("slotMapping", t) + " = " + std::to_string(s.slot_mapping[t]) + " disagrees with the block table (expected " +
                    std::to_string(slot) + ")");
    }
  }
}

// Query ranges, then every row, then that no two tokens write the same KV slot.
void check_rows(const Napi::Env& env, const StepLimits& lim, const StepInput& s) {
  if (s.row_query_start[0] != 0) fail(env, "rowQueryStart[0] must be 0");
  if (s.row_query_start[s.num_rows] != s.num_tokens) fail(env, "rowQueryStart[numRows] must equal numTokens");
  for (int r = 0; r < s.num_rows; ++r) check_row(env, lim, s, r);
  std::vector<int32_t> slots(s.slot_mapping);
  std::sort(slots.begin(), slots.end());
  if (std::adjacent_find(slots.begin(), slots.end()) != slots.end()) fail(env, "two tokens of the step write the same KV slot");
}

void check_finite(const Napi::Env& env, const char* name, int r, float v, float lo, float hi) {
  if (!std::isfinite(v) || v < lo || v > hi) {
    fail(env, at(name, r) + " = " + std::to_string(v) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}

// Per-row sampling parameters (only rows with sample = 1 are checked and used).
void parse_sampling(const Napi::Object& o, StepInput& s) {
  const Napi::Env env = o.Env();
  const size_t rows = static_cast<size_t>(s.num_rows);
  std::vector<uint8_t> sample;
  std::vector<float> temp, top_p, min_p, rep, pres, freq;
  std::vector<int32_t> top_k, step, num_top;
  std::vector<uint64_t> seed;
  copy_array(o, "sample", rows, sample);
  copy_array(o, "temperature", rows, temp);
  copy_array(o, "topP", rows, top_p);
  copy_array(o, "minP", rows, min_p);
  copy_array(o, "repetitionPenalty", rows, rep);
  copy_array(o, "presencePenalty", rows, pres);
  copy_array(o, "frequencyPenalty", rows, freq);
  copy_array(o, "topK", rows, top_k);
  copy_array(o, "seed", rows, seed);
  copy_array(o, "stepIndex", rows, step);
  copy_array(o, "numTopLogprobs", rows, num_top);
  for (int r = 0; r < s.num_rows; ++r) {
    if (sample[r] != 1) continue;
    check_finite(env, "temperature", r, temp[r], 0.0f, 1e6f);
    check_finite(env, "topP", r, top_p[r], 0.0f, 1.0f);
    check_finite(env, "minP", r, min_p[r], 0.0f, 1.0f);
    check_finite(env, "repetitionPenalty", r, rep[r], 1e-6f, 1e6f);
    check_finite(env, "presencePenalty", r, pres[r], -1e6f, 1e6f);
    check_finite(env, "frequencyPenalty", r, freq[r], -1e6f, 1e6f);
  }
  s.params.assign(rows, SamplingParams{});
  s.sampled_rows.clear();
  s.logit_tokens.clear();
  for (int r = 0; r < s.num_rows; ++r) {
    if (sample[r] > 1) fail(env, at("sample", r) + " must be 0 or 1");
    if (!sample[r]) continue;
    if (top_k[r] < 0) fail(env, at("topK", r) + " must be >= 0");
    if (step[r] < 0) fail(env, at("stepIndex", r) + " must be >= 0");
    if (num_top[r] < 0 || num_top[r] > kMaxTopLogprobs) fail(env, at("numTopLogprobs", r) + " must be in [0, 20]");
    SamplingParams& p = s.params[r];
    p.temperature = temp[r];
    p.top_k = top_k[r];
    p.top_p = top_p[r];
    p.min_p = min_p[r];
    p.repetition_penalty = rep[r];
    p.presence_penalty = pres[r];
    p.frequency_penalty = freq[r];
    p.seed = seed[r];
    p.step = static_cast<uint64_t>(step[r]);
    p.num_top_logprobs = num_top[r];
    s.sampled_rows.push_back(r);
    s.logit_tokens.push_back(s.row_query_start[r + 1] - 1);
  }
}

// An optional CSR list (start offsets per row + items): start must run from 0, non-decreasing,
// within the items array.
void parse_ranges(const Napi::Object& o, const char* start_key, const char* items_key, int rows,
                  std::vector<int32_t>& start, std::vector<int32_t>& items) {
  const Napi::Env env = o.Env();
  if (!copy_array(o, start_key, static_cast<size_t>(rows) + 1, start, true)) {
    items.clear();
    return;
  }
  const int64_t len = array_length<int32_t>(o, items_key);
  if (start[0] != 0) fail(env, std::string(start_key) + "[0] must be 0");
  for (int r = 0; r < rows; ++r) {
    if (start[r + 1] < start[r]) fail(env, std::string(start_key) + " must be non-decreasing");
  }
  if (start[rows] > std::max<int64_t>(len, 0)) fail(env, std::string(start_key) + "[numRows] exceeds the length of " + items_key);
  copy_array(o, items_key, static_cast<size_t>(start[rows]), items);
}

void parse_masks(const Napi::Object& o, const StepLimits& lim, StepInput& s) {
  s.mask_words = (lim.vocab_size + 31) / 32;
  if (copy_array(o, "hasMask", static_cast<size_t>(s.num_rows), s.has_mask, true)) {
    copy_array(o, "bitmask", static_cast<size_t>(s.num_rows) * s.mask_words, s.bitmask);
    for (int r = 0; r < s.num_rows; ++r) {
      if (s.has_mask[r] > 1) fail(o.Env(), at("hasMask", r) + " must be 0 or 1");
    }
  } else {
    s.has_mask.clear();
    s.bitmask.clear();
  }
}

void parse_extras(const Napi::Object& o, const StepLimits& lim, StepInput& s) {
  const Napi::Env env = o.Env();
  parse_ranges(o, "historyStart", "historyTokens", s.num_rows, s.history_start, s.history_tokens);
  for (size_t i = 0; i < s.history_tokens.size(); ++i) {
    if (s.history_tokens[i] < 0 || s.history_tokens[i] >= lim.vocab_size) fail(env, at("historyTokens", i) + " is outside the vocabulary");
  }
  parse_ranges(o, "biasStart", "biasIds", s.num_rows, s.bias_start, s.bias_ids);
  copy_array(o, "biasValues", s.bias_ids.size(), s.bias_values, s.bias_ids.empty());
  for (size_t i = 0; i < s.bias_ids.size(); ++i) {
    if (s.bias_ids[i] < 0 || s.bias_ids[i] >= lim.vocab_size) fail(env, at("biasIds", i) + " is outside the vocabulary");
    if (!std::isfinite(s.bias_values[i]) && s.bias_values[i] != -INFINITY) fail(env, at("biasValues", i) + " must be finite or -Infinity");
  }
  parse_masks(o, lim, s);
}

}  // namespace

void parse_step_input(const Napi::Object& o, const StepLimits& limits, StepInput& out) {
  parse_layout(o, limits, out);
  check_rows(o.Env(), limits, out);
  parse_sampling(o, out);
  parse_extras(o, limits, out);
  parse_step_transfers(o, limits, out);
  out.want_logits = array_length<float>(o, "logitsOut") >= 0;
  const Napi::Value defer = o.Get("deferSampling");
  if (!defer.IsUndefined() && !defer.IsBoolean()) field_error(o.Env(), "deferSampling must be a boolean");
  out.defer_sampling = defer.IsBoolean() && defer.As<Napi::Boolean>().Value();
  const size_t rows = static_cast<size_t>(out.num_rows);
  const size_t sampled = out.sampled_rows.size();
  auto need = [&](int64_t len, const char* key, size_t min) {
    if (len < static_cast<int64_t>(min)) {
      field_error(o.Env(), std::string(key) + (len < 0 ? " is required" : " is too short") + " (needs " + std::to_string(min) + " elements)");
    }
  };
  need(array_length<int32_t>(o, "outTokens"), "outTokens", rows);
  need(array_length<float>(o, "outLogprobs"), "outLogprobs", rows);
  need(array_length<int32_t>(o, "outTopIds"), "outTopIds", rows * kMaxTopLogprobs);
  need(array_length<float>(o, "outTopLogprobs"), "outTopLogprobs", rows * kMaxTopLogprobs);
  if (out.want_logits) need(array_length<float>(o, "logitsOut"), "logitsOut", sampled * static_cast<size_t>(limits.vocab_size));
}

void parse_step_masks(const Napi::Object& o, const StepLimits& limits, StepInput& out) { parse_masks(o, limits, out); }

}  // namespace tokenflow
