#include "runner_config.h"

#include <cmath>
#include <string>

#include "step_input_fields.h"

namespace tokenflow {

namespace {

constexpr int64_t kMaxSafeInteger = 9007199254740991LL;

ModelConfig parse_model(const Napi::Object& o) {
  ModelConfig c;
  c.dim = static_cast<int>(int_field(o, "dim", 1, 1 << 16));
  c.num_layers = static_cast<int>(int_field(o, "numLayers", 1, 1024));
  c.num_heads = static_cast<int>(int_field(o, "numHeads", 1, 1024));
  c.num_kv_heads = static_cast<int>(int_field(o, "numKvHeads", 1, 1024));
  c.head_dim = static_cast<int>(int_field(o, "headDim", 2, 1024));
  c.ffn_dim = static_cast<int>(int_field(o, "ffnDim", 1, 1 << 18));
  c.vocab_size = static_cast<int>(int_field(o, "vocabSize", 1, 1 << 24));
  c.norm_eps = static_cast<float>(number_field(o, "normEps", 1e-5));
  c.rope_theta = static_cast<float>(number_field(o, "ropeTheta", 10000.0));
  c.rope_freq_scale = static_cast<float>(number_field(o, "ropeFreqScale", 1.0));
  const std::string style = string_field(o, "ropeStyle", "normal");
  if (style != "normal" && style != "neox") field_error(o.Env(), "ropeStyle must be \"normal\" or \"neox\"");
  c.rope_neox = style == "neox";
  c.qkv_bias = bool_field(o, "qkvBias", false);
  c.qk_norm = bool_field(o, "qkNorm", false);
  c.tied_embeddings = bool_field(o, "tiedEmbeddings", false);
  copy_array(o, "ropeFreqFactors", static_cast<size_t>(c.head_dim / 2), c.rope_freq_factors, true);
  for (float f : c.rope_freq_factors) {
    if (!std::isfinite(f) || f <= 0.0f) field_error(o.Env(), "ropeFreqFactors must be positive finite numbers");
  }
  return c;
}

TensorDesc parse_tensor(const Napi::Object& t, size_t index) {
  TensorDesc d;
  const std::string where = "tensors[" + std::to_string(index) + "]";
  d.name = string_field(t, "name", "");
  d.file = string_field(t, "file", "");
  if (d.name.empty() || d.file.empty()) field_error(t.Env(), where + " needs a name and a file");
  d.offset = static_cast<uint64_t>(int_field(t, "offsetBytes", 0, kMaxSafeInteger));
  d.size = static_cast<uint64_t>(int_field(t, "sizeBytes", 0, kMaxSafeInteger));
  d.type_id = static_cast<int32_t>(int_field(t, "typeId", 0, 1 << 16));
  const Napi::Value shape = t.Get("shape");
  if (!shape.IsArray()) field_error(t.Env(), where + ".shape must be an array");
  const Napi::Array dims = shape.As<Napi::Array>();
  if (dims.Length() < 1 || dims.Length() > 4) field_error(t.Env(), where + ".shape must have 1 to 4 dimensions");
  for (uint32_t i = 0; i < dims.Length(); ++i) {
    const Napi::Value v = dims.Get(i);
    const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(x >= 1.0 && x <= static_cast<double>(1LL << 32) && std::floor(x) == x)) {
      field_error(t.Env(), where + ".shape holds a bad dimension");
    }
    d.shape.push_back(static_cast<int64_t>(x));
  }
  return d;
}

}  // namespace

RunnerConfig parse_runner_config(const Napi::Object& o) {
  RunnerConfig rc;
  rc.model = parse_model(o);
  const Napi::Value tensors = o.Get("tensors");
  if (!tensors.IsArray()) field_error(o.Env(), "tensors must be an array");
  const Napi::Array list = tensors.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const Napi::Value t = list.Get(i);
    if (!t.IsObject()) field_error(o.Env(), "tensors[" + std::to_string(i) + "] must be an object");
    rc.tensors.push_back(parse_tensor(t.As<Napi::Object>(), i));
  }
  RunnerOptions& opt = rc.options;
  opt.kv_cache_bytes = static_cast<uint64_t>(int_field(o, "kvCacheBytes", 1, kMaxSafeInteger));
  const Napi::Value host = o.Get("hostKvBytes");
  const bool no_host = host.IsUndefined() || host.IsNull();
  opt.host_kv_bytes = no_host ? 0 : static_cast<uint64_t>(int_field(o, "hostKvBytes", 0, kMaxSafeInteger));
  const std::string kv = string_field(o, "kvDtype", "f16");
  if (kv != "f16" && kv != "f32") field_error(o.Env(), "kvDtype must be \"f16\" or \"f32\"");
  opt.kv_dtype = kv == "f16" ? KvDType::F16 : KvDType::F32;
  opt.num_threads = o.Get("numThreads").IsUndefined() ? 0 : static_cast<int>(int_field(o, "numThreads", 1, 1024));
  opt.isa = string_field(o, "isa", "auto");
  opt.max_batch_tokens =
      o.Get("maxBatchTokens").IsUndefined() ? 4096 : static_cast<int>(int_field(o, "maxBatchTokens", 1, 1 << 20));
  opt.populate = bool_field(o, "populate", true);
  return rc;
}

}  // namespace tokenflow
