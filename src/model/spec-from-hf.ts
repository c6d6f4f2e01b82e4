/**
 * ModelSpec of a Hugging Face model directory, from config.json, tokenizer_config.json and
 * generation_config.json (both optional).
 */
import { basename, join } from "node:path";
import { ModelFormatError, UnsupportedError } from "../errors.js";
import type { Architecture, ModelSpec, RopeScaling, SpecialTokens } from "./model-spec.js";

const ARCHITECTURES: Readonly<Record<string, Architecture>> = {
  LlamaForCausalLM: "llama",
  MistralForCausalLM: "mistral",
  Qwen2ForCausalLM: "qwen2",
  Qwen3ForCausalLM: "qwen3",
};

/**
 * Token texts that end generation wherever a vocabulary has them (the same list llama.cpp
 * uses to complete `eogIds` when metadata names only eos).
 */
export const KNOWN_EOG_TOKEN_TEXTS: readonly string[] = [
  "<|eot_id|>",
  "<|eom_id|>",
  "<|im_end|>",
  "<|end|>",
  "<end_of_turn>",
  "<|endoftext|>",
  "<EOT>",
  "<｜end▁of▁sentence｜>",
];

type Json = Record<string, unknown>;

function asRecord(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

/** Reads config fields with defaults, naming config.json in every error. */
class ConfigFields {
  constructor(
    readonly file: string,
    readonly json: Json,
  ) {}

  int(key: string, fallback?: number): number {
    const v = this.json[key] ?? fallback;
    if (v === undefined) throw new ModelFormatError(this.file, `${key} is missing`);
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) {
      throw new ModelFormatError(this.file, `${key} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  float(key: string, fallback?: number): number {
    const v = this.json[key] ?? fallback;
    if (v === undefined) throw new ModelFormatError(this.file, `${key} is missing`);
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new ModelFormatError(this.file, `${key} must be a positive number, got ${JSON.stringify(v)}`);
    }
    return v;
  }
}

function architectureOf(file: string, config: Json): Architecture {
  const names = Array.isArray(config.architectures) ? config.architectures : [];
  for (const n of names) {
    const arch = typeof n === "string" ? ARCHITECTURES[n] : undefined;
    if (arch) return arch;
  }
  const byType = Object.values(ARCHITECTURES).find((a) => a === config.model_type);
  if (byType && names.length === 0) return byType;
  if (names.length === 0 && config.model_type === undefined) {
    throw new ModelFormatError(file, "neither architectures nor model_type is set");
  }
  const what = names.length > 0 ? names.join(", ") : JSON.stringify(config.model_type);
  throw new UnsupportedError(
    `architecture ${what} is not supported (supported: ${Object.keys(ARCHITECTURES).join(", ")})`,
  );
}

/** Parses `rope_scaling` (transformers ≤4) or `rope_parameters` (transformers 5). */
function ropeScalingOf(file: string, config: Json): RopeScaling | null {
  const raw = config.rope_scaling ?? config.rope_parameters;
  if (raw === null || raw === undefined) return null;
  const fields = new ConfigFields(file, asRecord(raw));
  const type = fields.json.rope_type ?? fields.json.type ?? "default";
  switch (type) {
    case "default":
      return null;
    case "linear":
      return { type: "linear", factor: fields.float("factor") };
    case "llama3":
      return {
        type: "llama3",
        factor: fields.float("factor"),
        lowFreqFactor: fields.float("low_freq_factor"),
        highFreqFactor: fields.float("high_freq_factor"),
        originalContextLength: fields.int("original_max_position_embeddings"),
      };
    default:
      throw new UnsupportedError(
        `${file}: rope scaling type ${JSON.stringify(type)} is not supported (supported: linear, llama3)`,
      );
  }
}

function ropeThetaOf(fields: ConfigFields): number {
  const params = asRecord(fields.json.rope_parameters);
  if (typeof params.rope_theta === "number")
    return new ConfigFields(fields.file, params).float("rope_theta", 0);
  return fields.float("rope_theta", 10000);
}

/** Sliding-window attention only differs from full attention past the window: cap the context. */
function contextLengthOf(fields: ConfigFields, arch: Architecture): number {
  const maxPos = fields.int("max_position_embeddings", 2048);
  const window = fields.json.sliding_window;
  const windowed = arch === "mistral" || fields.json.use_sliding_window === true;
  if (windowed && typeof window === "number" && Number.isSafeInteger(window) && window > 0) {
    return Math.min(maxPos, window);
  }
  return maxPos;
}

function chatTemplateOf(tokenizerConfig: Json): string | null {
  const t = tokenizerConfig.chat_template;
  if (typeof t === "string") return t;
  if (!Array.isArray(t)) return null;
  const entry = t.map(asRecord).find((e) => e.name === "default");
  return typeof entry?.template === "string" ? entry.template : null;
}

function idsOf(v: unknown): number[] {
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is number => typeof x === "number" && Number.isSafeInteger(x));
}

/** Maps token texts to ids using `added_tokens_decoder` ({"id": {content, ...}}). */
function addedTokenIds(tokenizerConfig: Json): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, entry] of Object.entries(asRecord(tokenizerConfig.added_tokens_decoder))) {
    const content = asRecord(entry).content;
    if (typeof content === "string" && /^\d+$/.test(id)) out.set(content, Number(id));
  }
  return out;
}

function tokenIdOf(added: Map<string, number>, spec: unknown): number | null {
  const text = typeof spec === "string" ? spec : asRecord(spec).content;
  return typeof text === "string" ? (added.get(text) ?? null) : null;
}

function checkIdsInRange(
  file: string,
  vocabSize: number,
  ids: Record<string, number | null | number[]>,
): void {
  for (const [what, value] of Object.entries(ids)) {
    for (const id of Array.isArray(value) ? value : [value]) {
      if (id !== null && (id < 0 || id >= vocabSize)) {
        throw new ModelFormatError(
          file,
          `${what} token id ${id} is outside the vocabulary (size ${vocabSize})`,
        );
      }
    }
  }
}

function specialTokensOf(
  file: string,
  vocabSize: number,
  sources: { config: Json; tok: Json; gen: Json },
): SpecialTokens {
  const { config, tok, gen } = sources;
  const added = addedTokenIds(tok);
  const first = (...cands: unknown[]): number | null => {
    for (const c of cands) {
      const id = idsOf(c)[0];
      if (id !== undefined) return id;
    }
    return null;
  };
  const bos = tokenIdOf(added, tok.bos_token) ?? first(gen.bos_token_id, config.bos_token_id);
  const eos = tokenIdOf(added, tok.eos_token) ?? first(gen.eos_token_id, config.eos_token_id);
  const pad = tokenIdOf(added, tok.pad_token) ?? first(config.pad_token_id, gen.pad_token_id);
  const unk = tokenIdOf(added, tok.unk_token);
  const eog = new Set<number>([
    ...(eos === null ? [] : [eos]),
    ...idsOf(gen.eos_token_id),
    ...idsOf(config.eos_token_id),
  ]);
  for (const text of KNOWN_EOG_TOKEN_TEXTS) {
    const id = added.get(text);
    if (id !== undefined) eog.add(id);
  }
  checkIdsInRange(file, vocabSize, { bos, eos, pad, unk, eog: [...eog] });
  return { bos, eos, eogIds: [...eog], pad, unk };
}

/** Heads, kv heads and head width; `head_dim` may be absent or null (then hidden / heads). */
function attentionOf(fields: ConfigFields, dim: number) {
  const numHeads = fields.int("num_attention_heads");
  const numKvHeads = fields.int("num_key_value_heads", numHeads);
  const explicit = fields.json.head_dim;
  if ((explicit === undefined || explicit === null) && dim % numHeads !== 0) {
    throw new ModelFormatError(
      fields.file,
      `hidden_size ${dim} is not divisible by num_attention_heads ${numHeads}`,
    );
  }
  const headDim = explicit === null ? dim / numHeads : fields.int("head_dim", dim / numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ModelFormatError(
      fields.file,
      `num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  }
  return { numHeads, numKvHeads, headDim };
}

/**
 * Normalises a Hugging Face config. HF Llama/Mistral/Qwen apply RoPE with `rotate_half`
 * (halves, NEOX style) and we load weights unpermuted, so `ropeStyle` is always `neox`.
 * @param config parsed config.json.
 * @param tokenizerConfig parsed tokenizer_config.json, or `null` when absent.
 * @param generationConfig parsed generation_config.json, or `null` when absent.
 * @param dirName the model directory; errors name its config.json, its base name is the model name.
 * @throws UnsupportedError for another architecture, rope scaling type or MLP biases;
 *   ModelFormatError for missing or invalid fields.
 */
export function specFromHfConfig(
  config: unknown,
  tokenizerConfig: unknown,
  generationConfig: unknown,
  dirName: string,
): ModelSpec {
  const file = join(dirName, "config.json");
  const json = asRecord(config);
  const fields = new ConfigFields(file, json);
  const architecture = architectureOf(file, json);
  if (json.mlp_bias === true) throw new UnsupportedError(`${file}: mlp_bias is not supported`);
  const dim = fields.int("hidden_size");
  const { numHeads, numKvHeads, headDim } = attentionOf(fields, dim);
  const vocabSize = fields.int("vocab_size");
  const tok = asRecord(tokenizerConfig);
  const specialTokens = specialTokensOf(file, vocabSize, {
    config: json,
    tok,
    gen: asRecord(generationConfig),
  });
  return {
    architecture,
    name: basename(dirName),
    dim,
    numLayers: fields.int("num_hidden_layers"),
    numHeads,
    numKvHeads,
    headDim,
    ffnDim: fields.int("intermediate_size"),
    vocabSize,
    ropeTheta: ropeThetaOf(fields),
    ropeStyle: "neox",
    ropeScaling: ropeScalingOf(file, json),
    normEps: fields.float("rms_norm_eps", 1e-6),
    tiedEmbeddings: json.tie_word_embeddings === true,
    contextLength: contextLengthOf(fields, architecture),
    qkvBias: architecture === "qwen2" || json.attention_bias === true,
    qkNorm: architecture === "qwen3",
    specialTokens,
    addBos: typeof tok.add_bos_token === "boolean" ? tok.add_bos_token : specialTokens.bos !== null,
    chatTemplate: chatTemplateOf(tok),
  };
}
