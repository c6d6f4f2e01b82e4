import { describe, expect, it } from "vitest";
import { ModelFormatError, UnsupportedError } from "../errors.js";
import { specFromHfConfig } from "./spec-from-hf.js";

const BASE = {
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  vocab_size: 1000,
  max_position_embeddings: 4096,
};

const QWEN_TOKENIZER = {
  add_bos_token: false,
  bos_token: null,
  eos_token: "<|im_end|>",
  pad_token: "<|endoftext|>",
  chat_template: "{{ messages }}",
  added_tokens_decoder: {
    "997": { content: "<|endoftext|>" },
    "998": { content: "<|im_start|>" },
    "999": { content: "<|im_end|>" },
  },
};

describe("specFromHfConfig", () => {
  it("normalises Qwen2 (biases, neox, tied, special tokens from tokenizer_config)", () => {
    const config = {
      ...BASE,
      architectures: ["Qwen2ForCausalLM"],
      tie_word_embeddings: true,
      rope_theta: 1e6,
      bos_token_id: 997,
    };
    const spec = specFromHfConfig(
      config,
      QWEN_TOKENIZER,
      { eos_token_id: [999, 997] },
      "/models/Qwen2.5-0.5B",
    );
    expect(spec).toMatchObject({
      architecture: "qwen2",
      name: "Qwen2.5-0.5B",
      headDim: 8,
      qkvBias: true,
      qkNorm: false,
      ropeStyle: "neox",
      ropeTheta: 1e6,
      tiedEmbeddings: true,
      normEps: 1e-6,
      addBos: false,
      chatTemplate: "{{ messages }}",
    });
    expect(spec.specialTokens).toMatchObject({ bos: 997, eos: 999, pad: 997, unk: null });
    expect([...spec.specialTokens.eogIds].sort()).toEqual([997, 999]);
  });

  it("normalises Qwen3 (explicit head_dim, q/k norms) and Mistral (sliding window caps the context)", () => {
    const q3 = specFromHfConfig(
      { ...BASE, architectures: ["Qwen3ForCausalLM"], head_dim: 16 },
      null,
      null,
      "q3",
    );
    expect(q3).toMatchObject({
      architecture: "qwen3",
      headDim: 16,
      qkNorm: true,
      qkvBias: false,
      tiedEmbeddings: false,
    });
    const m = specFromHfConfig(
      { ...BASE, model_type: "mistral", sliding_window: 1024, head_dim: null },
      null,
      null,
      "m",
    );
    expect(m).toMatchObject({ architecture: "mistral", contextLength: 1024, headDim: 8, qkvBias: false });
  });

  it("reads llama attention_bias, linear scaling and transformers 5 rope_parameters", () => {
    const lin = specFromHfConfig(
      {
        ...BASE,
        architectures: ["LlamaForCausalLM"],
        attention_bias: true,
        rope_scaling: { type: "linear", factor: 2 },
      },
      null,
      null,
      "l",
    );
    expect(lin).toMatchObject({
      qkvBias: true,
      ropeScaling: { type: "linear", factor: 2 },
      ropeTheta: 10000,
    });
    const v5 = specFromHfConfig(
      { ...BASE, model_type: "llama", rope_parameters: { rope_type: "default", rope_theta: 500000 } },
      null,
      null,
      "l",
    );
    expect(v5).toMatchObject({ ropeTheta: 500000, ropeScaling: null });
  });

  it("picks the default chat template from a list", () => {
    const tok = {
      chat_template: [
        { name: "rag", template: "r" },
        { name: "default", template: "d" },
      ],
    };
    expect(specFromHfConfig({ ...BASE, model_type: "llama" }, tok, null, "l").chatTemplate).toBe("d");
    expect(
      specFromHfConfig({ ...BASE, model_type: "llama" }, { chat_template: [] }, null, "l").chatTemplate,
    ).toBeNull();
  });

  it("refuses other architectures and rope scaling types, naming them", () => {
    expect(() => specFromHfConfig({ ...BASE, architectures: ["GPT2LMHeadModel"] }, null, null, "g")).toThrow(
      new UnsupportedError(
        "architecture GPT2LMHeadModel is not supported (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)",
      ),
    );
    expect(() => specFromHfConfig({ ...BASE, model_type: "gemma" }, null, null, "g")).toThrow(
      /architecture "gemma"/,
    );
    const yarn = { ...BASE, model_type: "qwen2", rope_scaling: { type: "yarn", factor: 4 } };
    expect(() => specFromHfConfig(yarn, null, null, "y")).toThrow(
      /rope scaling type "yarn" is not supported/,
    );
    expect(() => specFromHfConfig({ ...BASE, model_type: "llama", mlp_bias: true }, null, null, "b")).toThrow(
      UnsupportedError,
    );
  });

  it("names config.json for missing or invalid fields", () => {
    const noDim = { ...BASE, model_type: "llama", hidden_size: undefined };
    expect(() => specFromHfConfig(noDim, null, null, "/m/x")).toThrow(
      new ModelFormatError("/m/x/config.json", "hidden_size is missing"),
    );
    const badHeads = { ...BASE, model_type: "llama", num_key_value_heads: 3 };
    expect(() => specFromHfConfig(badHeads, null, null, "/m/x")).toThrow(
      /not a multiple of num_key_value_heads 3/,
    );
    const badEos = { ...BASE, model_type: "llama", eos_token_id: 5000 };
    expect(() => specFromHfConfig(badEos, null, null, "/m/x")).toThrow(
      /eos token id 5000 is outside the vocabulary/,
    );
    const llama3 = { ...BASE, model_type: "llama", rope_scaling: { rope_type: "llama3", factor: 8 } };
    expect(() => specFromHfConfig(llama3, null, null, "/m/x")).toThrow(/low_freq_factor is missing/);
    expect(() => specFromHfConfig({ ...BASE }, null, null, "/m/x")).toThrow(
      /neither architectures nor model_type/,
    );
  });
});
