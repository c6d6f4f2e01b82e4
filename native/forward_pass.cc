#include "forward_pass.h"

#include <algorithm>
#include <cstring>

namespace tokenflow {

ForwardPass::ForwardPass(const ModelWeights& weights, KvPool& kv, ThreadPool& pool, IsaLevel isa)
    : w_(weights),
      c_(weights.config()),
      kv_(kv),
      pool_(pool),
      isa_(isa),
      gemm_(pool, isa),
      attention_(pool, isa, weights.config().num_heads, weights.config().num_kv_heads, weights.config().head_dim) {
  rope_.head_dim = c_.head_dim;
  rope_.neox = c_.rope_neox;
  rope_.theta_base = c_.rope_theta;
  rope_.freq_scale = c_.rope_freq_scale;
  rope_.freq_factors = weights.rope_freq_factors();
  rope_.fused = isa != IsaLevel::Scalar;
}

void ForwardPass::norm_rows(const float* w, const float* x, float* y, int n, int width) {
  pool_.run(n, [&](int t, int) { rms_norm_row(x + static_cast<int64_t>(t) * width, w, y + static_cast<int64_t>(t) * width, width, c_.norm_eps); });
}

void ForwardPass::add_rows(float* x, const float* d, int64_t count) {
  for (int64_t i = 0; i < count; ++i) x[i] += d[i];
}

void ForwardPass::embed(const ForwardInput& in, int n) {
  const int64_t dim = c_.dim;
  x_.resize(n * dim);
  rope_cache_.resize(static_cast<size_t>(n) * c_.head_dim);
  pool_.run(n, [&](int t, int) {
    w_.embed(in.tokens[t], x_.data() + t * dim);
    rope_cache(rope_, in.rows.positions[t], rope_cache_.data() + static_cast<int64_t>(t) * c_.head_dim);
  });
}

void ForwardPass::qkv_postprocess(const LayerWeights& lw, int layer, const ForwardInput& in, int n) {
  const int hd = c_.head_dim;
  const int64_t qw = static_cast<int64_t>(c_.num_heads) * hd;
  const int64_t kw = static_cast<int64_t>(c_.num_kv_heads) * hd;
  pool_.run(n, [&](int t, int) {
    float* q = q_.data() + t * qw;
    float* k = k_.data() + t * kw;
    float* v = v_.data() + t * kw;
    if (lw.bq) {
      for (int64_t i = 0; i < qw; ++i) q[i] += lw.bq[i];
      for (int64_t i = 0; i < kw; ++i) k[i] += lw.bk[i];
      for (int64_t i = 0; i < kw; ++i) v[i] += lw.bv[i];
    }
    const float* cache = rope_cache_.data() + static_cast<int64_t>(t) * hd;
    for (int h = 0; h < c_.num_heads; ++h) {
      if (lw.q_norm) rms_norm_row(q + h * hd, lw.q_norm, q + h * hd, hd, c_.norm_eps);
      rope_apply(rope_, cache, q + h * hd);
    }
    for (int h = 0; h < c_.num_kv_heads; ++h) {
      if (lw.k_norm) rms_norm_row(k + h * hd, lw.k_norm, k + h * hd, hd, c_.norm_eps);
      rope_apply(rope_, cache, k + h * hd);
    }
    kv_.write(in.slot_mapping[t], layer, k, v);
  });
}

void ForwardPass::attention_block(int layer, const ForwardInput& in, int n) {
  const LayerWeights& lw = w_.layer(layer);
  const int64_t dim = c_.dim;
  const int64_t qw = static_cast<int64_t>(c_.num_heads) * c_.head_dim;
  const int64_t kw = static_cast<int64_t>(c_.num_kv_heads) * c_.head_dim;
  xn_.resize(n * std::max(dim, qw));
  q_.resize(n * qw);
  k_.resize(n * kw);
  v_.resize(n * kw);
  att_.resize(n * qw);
  tmp_.resize(n * dim);
  norm_rows(lw.attn_norm, x_.data(), xn_.data(), n, c_.dim);
  const GemmOutput qkv[3] = {{&lw.wq, q_.data()}, {&lw.wk, k_.data()}, {&lw.wv, v_.data()}};
  gemm_.run_many(qkv, 3, xn_.data(), n, in.rows.num_decode);
  qkv_postprocess(lw, layer, in, n);
  attention_.run(kv_, layer, in.rows, q_.data(), att_.data());
  gemm_.run(lw.wo, att_.data(), n, tmp_.data(), in.rows.num_decode);
  add_rows(x_.data(), tmp_.data(), n * dim);
}

void ForwardPass::ffn_block(int layer, int n, int n_decode) {
  const LayerWeights& lw = w_.layer(layer);
  const int64_t dim = c_.dim;
  const int64_t ffn = c_.ffn_dim;
  xn_.resize(n * dim);
  gate_.resize(n * ffn);
  up_.resize(n * ffn);
  tmp_.resize(n * dim);
  norm_rows(lw.ffn_norm, x_.data(), xn_.data(), n, c_.dim);
  const GemmOutput gu[2] = {{&lw.w_gate, gate_.data()}, {&lw.w_up, up_.data()}};
  gemm_.run_many(gu, 2, xn_.data(), n, n_decode);
  pool_.run(n, [&](int t, int) { swiglu(isa_, gate_.data() + t * ffn, up_.data() + t * ffn, gate_.data() + t * ffn, ffn); });
  gemm_.run(lw.w_down, gate_.data(), n, tmp_.data(), n_decode);
  add_rows(x_.data(), tmp_.data(), n * dim);
}

// Keeps only the given token rows of x (in order): after the last layer's attention, only
// rows whose logits are wanted go on (as llama.cpp does with its output ids).
void ForwardPass::keep_rows(const std::vector<int32_t>& rows) {
  const int64_t dim = c_.dim;
  tmp_.resize(rows.size() * dim);
  for (size_t i = 0; i < rows.size(); ++i) std::memcpy(tmp_.data() + i * dim, x_.data() + rows[i] * dim, dim * sizeof(float));
  std::memcpy(x_.data(), tmp_.data(), rows.size() * dim * sizeof(float));
}

void ForwardPass::run(const ForwardInput& in, float* logits) {
  const int n = in.rows.num_tokens;
  const std::vector<int32_t>& outs = *in.logit_tokens;
  const int s = static_cast<int>(outs.size());
  embed(in, n);
  for (int l = 0; l < c_.num_layers; ++l) {
    attention_block(l, in, n);
    if (l + 1 < c_.num_layers) {
      ffn_block(l, n, in.rows.num_decode);
    } else if (s > 0) {
      // The last layer's FFN and the LM head always sum in one-row order (vecdot_order).
      keep_rows(outs);
      ffn_block(l, s, 0);
    }
  }
  if (s == 0) return;
  xn_.resize(static_cast<size_t>(s) * c_.dim);
  norm_rows(w_.output_norm(), x_.data(), xn_.data(), s, c_.dim);
  gemm_.run(w_.output(), xn_.data(), s, logits);
}

}  // namespace tokenflow
