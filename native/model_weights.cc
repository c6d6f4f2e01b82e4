#include "model_weights.h"

#include <cstring>
#include <stdexcept>

#include "half.h"

namespace tokenflow {

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

void check_range(const char* what, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) {
    throw std::runtime_error(std::string(what) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                             "] (got " + std::to_string(v) + ")");
  }
}

}  // namespace

void validate_config(const ModelConfig& c) {
  check_range("dim", c.dim, 1, 1 << 16);
  check_range("numLayers", c.num_layers, 1, 1024);
  check_range("numHeads", c.num_heads, 1, 1024);
  check_range("numKvHeads", c.num_kv_heads, 1, c.num_heads);
  check_range("headDim", c.head_dim, 2, 1024);
  check_range("ffnDim", c.ffn_dim, 1, 1 << 18);
  check_range("vocabSize", c.vocab_size, 1, 1 << 24);
  if (c.num_heads % c.num_kv_heads != 0) throw std::runtime_error("numHeads must be a multiple of numKvHeads");
  if (c.head_dim % 2 != 0) throw std::runtime_error("headDim must be even");
  if (!(c.norm_eps >= 0.0f) || !(c.rope_theta > 0.0f) || !(c.rope_freq_scale > 0.0f)) {
    throw std::runtime_error("normEps, ropeTheta and ropeFreqScale must be positive numbers");
  }
  if (!c.rope_freq_factors.empty() && c.rope_freq_factors.size() != static_cast<size_t>(c.head_dim / 2)) {
    throw std::runtime_error("ropeFreqFactors must hold headDim / 2 values");
  }
}

const TensorDesc& ModelWeights::find(const std::string& name, bool required) const {
  static const TensorDesc kMissing;
  for (const auto& t : *tensors_) {
    if (t.name == name) return t;
  }
  if (required) throw std::runtime_error("the model has no tensor " + name);
  return kMissing;
}

Matrix ModelWeights::matrix(const std::string& name, int64_t rows, int64_t cols) {
  const TensorDesc& t = find(name, true);
  if (!is_supported_dtype(t.type_id)) {
    throw std::runtime_error(name + " has GGML type " + std::to_string(t.type_id) + ", which the runtime cannot compute with");
  }
  if (t.shape != std::vector<int64_t>{rows, cols}) {
    throw std::runtime_error(name + " has shape " + shape_str(t.shape) + ", expected " + shape_str({rows, cols}));
  }
  Matrix m;
  m.type = static_cast<DType>(t.type_id);
  m.rows = rows;
  m.cols = cols;
  m.row_bytes = row_bytes(m.type, cols);
  if (m.row_bytes < 0) throw std::runtime_error(name + ": row width " + std::to_string(cols) + " is not a whole number of blocks");
  if (t.size != static_cast<uint64_t>(m.row_bytes * rows)) {
    throw std::runtime_error(name + " holds " + std::to_string(t.size) + " bytes, expected " + std::to_string(m.row_bytes * rows));
  }
  m.data = files_.range(t.file, t.offset, t.size);
  return m;
}

const float* ModelWeights::vector(const std::string& name, int64_t n, bool required) {
  const TensorDesc& t = find(name, required);
  if (t.name.empty()) return nullptr;
  if (t.shape != std::vector<int64_t>{n}) {
    throw std::runtime_error(name + " has shape " + shape_str(t.shape) + ", expected [" + std::to_string(n) + "]");
  }
  const DType type = static_cast<DType>(t.type_id);
  if (t.type_id != 0 && t.type_id != 1 && t.type_id != 30) throw std::runtime_error(name + " must be F32, F16 or BF16");
  if (t.size != static_cast<uint64_t>(row_bytes(type, n))) throw std::runtime_error(name + " has the wrong byte size");
  const uint8_t* src = files_.range(t.file, t.offset, t.size);
  // Small vectors are converted to aligned F32 once (norm weights, biases, rope factors).
  auto out = std::make_unique<std::vector<float>>(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (type == DType::F32) {
      std::memcpy(&(*out)[i], src + i * 4, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, src + i * 2, 2);
      (*out)[i] = type == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
  }
  owned_.push_back(std::move(out));
  return owned_.back()->data();
}

ModelWeights::ModelWeights(const ModelConfig& config, const std::vector<TensorDesc>& tensors, bool populate)
    : config_(config), tensors_(&tensors), files_(populate) {
  validate_config(config_);
  const ModelConfig& c = config_;
  const int64_t q_width = static_cast<int64_t>(c.num_heads) * c.head_dim;
  const int64_t kv_width = static_cast<int64_t>(c.num_kv_heads) * c.head_dim;
  token_embd_ = matrix("token_embd.weight", c.vocab_size, c.dim);
  if (!c.tied_embeddings) output_ = matrix("output.weight", c.vocab_size, c.dim);
  output_norm_ = vector("output_norm.weight", c.dim, true);
  rope_freq_factors_ = vector("rope_freqs.weight", c.head_dim / 2, false);
  if (!rope_freq_factors_ && !c.rope_freq_factors.empty()) rope_freq_factors_ = c.rope_freq_factors.data();
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    LayerWeights l;
    l.attn_norm = vector(p + "attn_norm.weight", c.dim, true);
    l.ffn_norm = vector(p + "ffn_norm.weight", c.dim, true);
    l.wq = matrix(p + "attn_q.weight", q_width, c.dim);
    l.wk = matrix(p + "attn_k.weight", kv_width, c.dim);
    l.wv = matrix(p + "attn_v.weight", kv_width, c.dim);
    l.wo = matrix(p + "attn_output.weight", c.dim, q_width);
    l.w_gate = matrix(p + "ffn_gate.weight", c.ffn_dim, c.dim);
    l.w_up = matrix(p + "ffn_up.weight", c.ffn_dim, c.dim);
    l.w_down = matrix(p + "ffn_down.weight", c.dim, c.ffn_dim);
    if (c.qkv_bias) {
      l.bq = vector(p + "attn_q.bias", q_width, true);
      l.bk = vector(p + "attn_k.bias", kv_width, true);
      l.bv = vector(p + "attn_v.bias", kv_width, true);
    }
    if (c.qk_norm) {
      l.q_norm = vector(p + "attn_q_norm.weight", c.head_dim, true);
      l.k_norm = vector(p + "attn_k_norm.weight", c.head_dim, true);
    }
    if (l.wq.type != l.wk.type || l.wq.type != l.wv.type || l.w_gate.type != l.w_up.type) {
      throw std::runtime_error(p + "*: Q/K/V (and gate/up) must share one type");
    }
    if (i + 1 == c.num_layers) {
      l.w_gate.vecdot_order = true;
      l.w_up.vecdot_order = true;
      l.w_down.vecdot_order = true;
    }
    layers_.push_back(l);
  }
  lm_head_ = c.tied_embeddings ? token_embd_ : output_;
  lm_head_.vecdot_order = true;
  tensors_ = nullptr;
}

void ModelWeights::embed(int32_t token, float* out) const {
  const Matrix& e = token_embd_;
  const uint8_t* row = e.data + static_cast<int64_t>(token) * e.row_bytes;
  switch (e.type) {
    case DType::F32: std::memcpy(out, row, static_cast<size_t>(e.cols) * 4); break;
    case DType::F16:
    case DType::BF16:
      for (int64_t i = 0; i < e.cols; ++i) {
        uint16_t h;
        std::memcpy(&h, row + i * 2, 2);
        out[i] = e.type == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
      }
      break;
    case DType::Q8_0:
      for (int64_t b = 0; b < e.cols / kQ8BlockSize; ++b) {
        const uint8_t* blk = row + b * kQ8BlockBytes;
        uint16_t dh;
        std::memcpy(&dh, blk, 2);
        const float d = f16_to_f32(dh);
        const int8_t* q = reinterpret_cast<const int8_t*>(blk + 2);
        for (int j = 0; j < kQ8BlockSize; ++j) out[b * kQ8BlockSize + j] = q[j] * d;
      }
      break;
  }
}

}  // namespace tokenflow
