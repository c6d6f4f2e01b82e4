#include "runner_core.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace tokenflow {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

RunnerCore::RunnerCore(const ModelConfig& config, const std::vector<TensorDesc>& tensors, const RunnerOptions& options)
    : isa_(isa_from_name(options.isa)), max_batch_tokens_(options.max_batch_tokens) {
  weights_ = std::make_unique<ModelWeights>(config, tensors, options.populate);
  const ModelConfig& c = weights_->config();
  kv_ = std::make_unique<KvPool>(c.num_layers, c.num_kv_heads, c.head_dim, options.kv_dtype, options.kv_cache_bytes);
  pool_ = std::make_unique<ThreadPool>(options.num_threads);
  forward_ = std::make_unique<ForwardPass>(*weights_, *kv_, *pool_, isa_);
  scratch_.resize(static_cast<size_t>(pool_->size()));
  if (options.host_kv_bytes > 0) {
    host_ = std::make_unique<HostKvPool>(kv_->block_bytes(), options.host_kv_bytes);
    locks_ = std::make_unique<TransferLocks>(kv_->num_blocks(), host_->num_blocks());
    transfers_ = std::make_unique<TransferEngine>(kv_->data(), host_->block(0), kv_->block_bytes());
  }
}

void RunnerCore::check_transfers(const StepInput& in) const {
  if (locks_) locks_->check(in);
}

void RunnerCore::issue_transfers(const StepInput& in) {
  if (!transfers_ || in.num_transfers == 0) return;
  locks_->claim(in);
  for (int k = 0; k < in.num_transfers; ++k) {
    const int32_t i0 = in.transfer_start[k];
    transfers_->enqueue(in.transfer_ids[k], in.transfer_is_load[k] == 1, in.transfer_device_blocks.data() + i0,
                        in.transfer_host_blocks.data() + i0, in.transfer_start[k + 1] - i0);
  }
}

void RunnerCore::take_transfers(std::vector<TransferDone>& out) {
  if (!transfers_) return;
  const size_t first = out.size();
  transfers_->take_completed(out);
  for (size_t i = first; i < out.size(); ++i) locks_->release(out[i].id);
}

void RunnerCore::wait_transfers() {
  if (transfers_) transfers_->wait_idle();
}

void RunnerCore::stop_transfers() {
  if (transfers_) transfers_->shutdown();
}

void RunnerCore::step(const StepInput& in, StepOutput& out) {
  forward(in, out);
  sample(in, out);
}

void RunnerCore::forward(const StepInput& in, StepOutput& out) {
  const auto t0 = std::chrono::steady_clock::now();
  out.sample_ms = 0.0;
  if (in.num_rows == 0) {
    out.logits.clear();
    if (transfers_) transfers_->wait_progress();
    out.forward_ms = 0.0;
    return;
  }
  const size_t vocab = static_cast<size_t>(config().vocab_size);
  out.logits.resize(in.logit_tokens.size() * vocab);
  ForwardInput fin;
  order_tokens(in, fin);
  forward_->run(fin, out.logits.data());
  out.forward_ms = ms_since(t0);
}

void RunnerCore::sample(const StepInput& in, StepOutput& out) {
  const auto t0 = std::chrono::steady_clock::now();
  sample_rows(in, out);
  out.sample_ms = ms_since(t0);
}

void RunnerCore::order_tokens(const StepInput& in, ForwardInput& fin) {
  tokens_.clear();
  positions_.clear();
  slots_.clear();
  token_row_.clear();
  new_index_.assign(static_cast<size_t>(in.num_tokens), 0);
  int num_decode = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (int r = 0; r < in.num_rows; ++r) {
      const bool decode = !in.row_is_decode.empty() && in.row_is_decode[r];
      if (decode != (pass == 0)) continue;
      for (int32_t t = in.row_query_start[r]; t < in.row_query_start[r + 1]; ++t) {
        new_index_[t] = static_cast<int32_t>(tokens_.size());
        tokens_.push_back(in.tokens[t]);
        positions_.push_back(in.positions[t]);
        slots_.push_back(in.slot_mapping[t]);
        token_row_.push_back(r);
      }
    }
    if (pass == 0) num_decode = static_cast<int>(tokens_.size());
  }
  logit_tokens_.clear();
  for (int32_t t : in.logit_tokens) logit_tokens_.push_back(new_index_[t]);
  fin.rows.num_tokens = in.num_tokens;
  fin.rows.num_decode = num_decode;
  fin.rows.positions = positions_.data();
  fin.rows.token_row = token_row_.data();
  fin.rows.block_tables = in.block_tables.data();
  fin.rows.max_blocks_per_row = in.max_blocks_per_row;
  fin.tokens = tokens_.data();
  fin.slot_mapping = slots_.data();
  fin.logit_tokens = &logit_tokens_;
}

void RunnerCore::sample_rows(const StepInput& in, StepOutput& out) {
  const int32_t vocab = config().vocab_size;
  const size_t rows = static_cast<size_t>(in.num_rows);
  out.tokens.assign(rows, -1);
  out.logprobs.assign(rows, NAN);
  out.num_top.assign(rows, 0);
  out.top_ids.assign(rows * kMaxTopLogprobs, -1);
  out.top_logprobs.assign(rows * kMaxTopLogprobs, NAN);
  const int num_sampled = static_cast<int>(in.sampled_rows.size());
  results_.resize(static_cast<size_t>(num_sampled));
  pool_->run(num_sampled, [&](int i, int thread) {
    const int r = in.sampled_rows[i];
    SamplingInputs si;
    if (!in.history_start.empty()) {
      si.history = in.history_tokens.data() + in.history_start[r];
      si.num_history = in.history_start[r + 1] - in.history_start[r];
    }
    if (!in.bias_start.empty()) {
      si.bias_ids = in.bias_ids.data() + in.bias_start[r];
      si.bias_values = in.bias_values.data() + in.bias_start[r];
      si.num_bias = in.bias_start[r + 1] - in.bias_start[r];
    }
    if (!in.has_mask.empty() && in.has_mask[r]) si.allowed_mask = in.bitmask.data() + static_cast<int64_t>(r) * in.mask_words;
    sample_row_into(out.logits.data() + static_cast<int64_t>(i) * vocab, vocab, in.params[r], si, scratch_[thread], results_[i]);
  });
  for (int i = 0; i < num_sampled; ++i) {
    const int r = in.sampled_rows[i];
    const SampleResult& res = results_[i];
    out.tokens[r] = res.token;
    out.logprobs[r] = res.logprob;
    const int n = static_cast<int>(std::min<size_t>(res.top_ids.size(), kMaxTopLogprobs));
    out.num_top[r] = n;
    for (int k = 0; k < n; ++k) {
      out.top_ids[static_cast<size_t>(r) * kMaxTopLogprobs + k] = res.top_ids[k];
      out.top_logprobs[static_cast<size_t>(r) * kMaxTopLogprobs + k] = res.top_logprobs[k];
    }
  }
}

}  // namespace tokenflow
