// A Llama-family model's hyperparameters and its weights, mapped read-only from the model
// files and validated (names, types, shapes, byte sizes, ranges inside the files).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gemm.h"
#include "mapped_file.h"

namespace tokenflow {

struct ModelConfig {
  int dim = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int ffn_dim = 0;
  int vocab_size = 0;
  float norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  float rope_freq_scale = 1.0f;
  bool rope_neox = false;
  bool qkv_bias = false;
  bool qk_norm = false;
  bool tied_embeddings = false;
  // head_dim / 2 frequency divisors (Llama 3 scaling); empty = none. When the model carries a
  // rope_freqs.weight tensor, that tensor is used instead.
  std::vector<float> rope_freq_factors;
};

// Where one tensor lives (from the TS model layer; shape row-major, e.g. [out, in]).
struct TensorDesc {
  std::string name;
  std::string file;
  uint64_t offset = 0;
  uint64_t size = 0;
  int32_t type_id = 0;
  std::vector<int64_t> shape;
};

struct LayerWeights {
  Matrix wq, wk, wv, wo, w_gate, w_up, w_down;
  const float* attn_norm = nullptr;
  const float* ffn_norm = nullptr;
  const float* bq = nullptr;
  const float* bk = nullptr;
  const float* bv = nullptr;
  const float* q_norm = nullptr;
  const float* k_norm = nullptr;
};

class ModelWeights {
 public:
  // Throws std::runtime_error naming the first problem (missing tensor, wrong shape, ...).
  ModelWeights(const ModelConfig& config, const std::vector<TensorDesc>& tensors, bool populate);

  const ModelConfig& config() const { return config_; }
  const Matrix& token_embd() const { return token_embd_; }
  // The LM head: output.weight, or token_embd.weight when tied.
  const Matrix& output() const { return lm_head_; }
  const float* output_norm() const { return output_norm_; }
  const LayerWeights& layer(int i) const { return layers_[static_cast<size_t>(i)]; }
  const float* rope_freq_factors() const { return rope_freq_factors_; }

  // Writes the embedding of `token` (dim floats) to out; the token must be < vocab_size.
  void embed(int32_t token, float* out) const;

 private:
  const TensorDesc& find(const std::string& name, bool required) const;
  Matrix matrix(const std::string& name, int64_t rows, int64_t cols);
  const float* vector(const std::string& name, int64_t n, bool required);

  ModelConfig config_;
  const std::vector<TensorDesc>* tensors_ = nullptr;  // only during construction
  MappedFiles files_;
  std::vector<std::unique_ptr<std::vector<float>>> owned_;
  Matrix token_embd_;
  Matrix output_;
  Matrix lm_head_;
  const float* output_norm_ = nullptr;
  const float* rope_freq_factors_ = nullptr;
  std::vector<LayerWeights> layers_;
};

// Checks a config's hyperparameters; throws std::runtime_error naming the bad one.
void validate_config(const ModelConfig& c);

}  // namespace tokenflow
