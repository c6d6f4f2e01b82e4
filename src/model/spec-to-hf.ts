import type { SupportedDType } from "./ggml-types.js";
import type { ModelSpec } from "./model-spec.js";

const HF_CLASS: Readonly<Record<ModelSpec["architecture"], string>> = {
  llama: "LlamaForCausalLM",
  mistral: "MistralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  qwen3: "Qwen3ForCausalLM",
};

const TORCH_DTYPE: Readonly<Record<SupportedDType, string>> = {
  F32: "float32",
  F16: "float16",
  BF16: "bfloat16",
  Q8_0: "float16",
};

/** A Hugging Face `config.json` object describing `spec`. */
export function hfConfigFromSpec(spec: ModelSpec, dtype: SupportedDType): Record<string, unknown> {
  const config: Record<string, unknown> = {
    architectures: [HF_CLASS[spec.architecture]],
    model_type: spec.architecture,
    hidden_size: spec.dim,
    intermediate_size: spec.ffnDim,
    num_hidden_layers: spec.numLayers,
    num_attention_heads: spec.numHeads,
    num_key_value_heads: spec.numKvHeads,
    head_dim: spec.headDim,
    hidden_act: "silu",
    max_position_embeddings: spec.contextLength,
    rms_norm_eps: spec.normEps,
    rope_theta: spec.ropeTheta,
    tie_word_embeddings: spec.tiedEmbeddings,
    vocab_size: spec.vocabSize,
    torch_dtype: TORCH_DTYPE[dtype],
    bos_token_id: spec.specialTokens.bos,
    eos_token_id: spec.specialTokens.eos,
  };
  if (spec.architecture === "llama") config.attention_bias = spec.qkvBias;
  if (spec.ropeScaling) {
    config.rope_scaling =
      spec.ropeScaling.type === "linear"
        ? { rope_type: "linear", factor: spec.ropeScaling.factor }
        : {
            rope_type: "llama3",
            factor: spec.ropeScaling.factor,
            low_freq_factor: spec.ropeScaling.lowFreqFactor,
            high_freq_factor: spec.ropeScaling.highFreqFactor,
            original_max_position_embeddings: spec.ropeScaling.originalContextLength,
          };
  }
  return config;
}
