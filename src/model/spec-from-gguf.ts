/**
 * ModelSpec of a GGUF file, from the `general.*`, `{arch}.*` and `tokenizer.ggml.*` keys that
 * llama.cpp reads, cross-checked against the tensor shapes.
 */
import { basename } from "node:path";
import { ModelFormatError, UnsupportedError } from "../errors.js";
import { verifyTensors } from "./expected-tensors.js";
import {
  metaBool,
  metaInteger,
  metaNumber,
  metaString,
  metaStringArray,
  requireMetaInteger,
  requireMetaNumber,
  requireMetaString,
} from "./gguf-metadata.js";
import type { GgufFile } from "./gguf-types.js";
import type { Architecture, ModelSpec, RopeScaling, SpecialTokens } from "./model-spec.js";
import { KNOWN_EOG_TOKEN_TEXTS } from "./spec-from-hf.js";
import type { TensorRef } from "./tensor-ref.js";
import type { Vocab } from "./vocab.js";

const SUPPORTED: readonly Architecture[] = ["llama", "mistral", "qwen2", "qwen3"];

function architectureOf(file: GgufFile): Architecture {
  const arch = requireMetaString(file, "general.architecture");
  const found = SUPPORTED.find((a) => a === arch);
  if (!found)
    throw new UnsupportedError(`architecture ${arch} is not supported (supported: ${SUPPORTED.join(", ")})`);
  return found;
}

function positive(file: GgufFile, key: string, value: number): number {
  if (!(value > 0) || !Number.isSafeInteger(value)) {
    throw new ModelFormatError(file.path, `metadata key ${key}: expected a positive integer, got ${value}`);
  }
  return value;
}

function ropeScalingOf(file: GgufFile, a: string): RopeScaling | null {
  const type = metaString(file, `${a}.rope.scaling.type`);
  const legacyLinear = metaNumber(file, `${a}.rope.scale_linear`);
  if (type === null || type === "none") {
    return legacyLinear !== null && legacyLinear !== 1 ? { type: "linear", factor: legacyLinear } : null;
  }
  if (type !== "linear") {
    throw new UnsupportedError(
      `${file.path}: rope scaling type ${type} is not supported (supported: none, linear)`,
    );
  }
  const factor = requireMetaNumber(file, `${a}.rope.scaling.factor`);
  if (!(factor > 0))
    throw new ModelFormatError(file.path, `${a}.rope.scaling.factor must be positive, got ${factor}`);
  return { type: "linear", factor };
}

/** Refuses what our attention does not implement: V width ≠ K width, partial rotary. */
function checkRotaryAndValues(file: GgufFile, a: string, headDim: number): void {
  const valueLength = metaInteger(file, `${a}.attention.value_length`);
  if (valueLength !== null && valueLength !== headDim) {
    throw new UnsupportedError(
      `${file.path}: value_length ${valueLength} differs from key_length ${headDim}`,
    );
  }
  const ropeDims = metaInteger(file, `${a}.rope.dimension_count`);
  if (ropeDims !== null && ropeDims !== headDim) {
    throw new UnsupportedError(
      `${file.path}: partial rotary embeddings (rope.dimension_count ${ropeDims} < head width ${headDim})`,
    );
  }
}

/** Attention geometry: heads, kv heads, head width, with llama.cpp's defaults. */
function attentionOf(file: GgufFile, a: string, dim: number) {
  const numHeads = positive(
    file,
    `${a}.attention.head_count`,
    requireMetaInteger(file, `${a}.attention.head_count`),
  );
  const numKvHeads = positive(
    file,
    `${a}.attention.head_count_kv`,
    metaInteger(file, `${a}.attention.head_count_kv`) ?? numHeads,
  );
  if (numHeads % numKvHeads !== 0) {
    throw new ModelFormatError(
      file.path,
      `head_count ${numHeads} is not a multiple of head_count_kv ${numKvHeads}`,
    );
  }
  const keyLength = metaInteger(file, `${a}.attention.key_length`);
  if (keyLength === null && dim % numHeads !== 0) {
    throw new ModelFormatError(
      file.path,
      `embedding_length ${dim} is not divisible by head_count ${numHeads}`,
    );
  }
  const headDim = positive(file, `${a}.attention.key_length`, keyLength ?? dim / numHeads);
  checkRotaryAndValues(file, a, headDim);
  return { numHeads, numKvHeads, headDim };
}

function tokenId(file: GgufFile, key: string, vocabSize: number, required: boolean): number | null {
  const id = metaInteger(file, `tokenizer.ggml.${key}`);
  if (id === null) return null;
  if (id >= 0 && id < vocabSize) return id;
  if (!required) return null; // some converters store -1 / 0xFFFFFFFF for "none"
  throw new ModelFormatError(
    file.path,
    `tokenizer.ggml.${key} ${id} is outside the vocabulary (size ${vocabSize})`,
  );
}

function specialTokensOf(file: GgufFile, vocabSize: number): SpecialTokens {
  const bos = tokenId(file, "bos_token_id", vocabSize, true);
  const eos = tokenId(file, "eos_token_id", vocabSize, true);
  const eog = new Set<number>();
  for (const id of [
    eos,
    tokenId(file, "eot_token_id", vocabSize, true),
    tokenId(file, "eom_token_id", vocabSize, true),
  ]) {
    if (id !== null) eog.add(id);
  }
  const tokens = metaStringArray(file, "tokenizer.ggml.tokens") ?? [];
  for (const text of KNOWN_EOG_TOKEN_TEXTS) {
    const id = tokens.indexOf(text);
    if (id >= 0 && id < vocabSize) eog.add(id);
  }
  const pad = tokenId(file, "padding_token_id", vocabSize, false);
  const unk = tokenId(file, "unknown_token_id", vocabSize, false);
  return { bos, eos, eogIds: [...eog], pad, unk };
}

/** Special tokens as the tokenizer sees them (llama.cpp's load-time completion), or from metadata. */
function tokensOf(file: GgufFile, vocabSize: number, vocab: Vocab | null) {
  if (vocab === null) {
    return {
      specialTokens: specialTokensOf(file, vocabSize),
      addBos:
        metaBool(file, "tokenizer.ggml.add_bos_token") ??
        metaString(file, "tokenizer.ggml.model") === "llama",
      chatTemplate: metaString(file, "tokenizer.chat_template"),
    };
  }
  const { bosId: bos, eosId: eos, eogIds, padId: pad, unkId: unk } = vocab;
  return {
    specialTokens: { bos, eos, eogIds: [...eogIds], pad, unk },
    addBos: vocab.addBos,
    chatTemplate: vocab.chatTemplate,
  };
}

function vocabSizeOf(file: GgufFile, a: string, tensors: ReadonlyMap<string, TensorRef>): number {
  const explicit = metaInteger(file, `${a}.vocab_size`);
  if (explicit !== null) return positive(file, `${a}.vocab_size`, explicit);
  const tokens = metaStringArray(file, "tokenizer.ggml.tokens");
  if (tokens !== null && tokens.length > 0) return tokens.length;
  const rows = tensors.get("token_embd.weight")?.shape[0];
  if (rows === undefined)
    throw new ModelFormatError(file.path, "no vocab_size, tokenizer.ggml.tokens or token_embd.weight");
  return rows;
}

/**
 * Normalises a GGUF file's metadata. `general.architecture` must be llama, mistral, qwen2 or
 * qwen3. Tied embeddings, Q/K/V biases, Q/K norms and rope frequency factors are detected from
 * which tensors exist; present tensors are checked against the hyperparameters (absent ones
 * are the business of `openModel`). GGUF `llama` rotary rows are stored permuted to adjacent
 * pairs by llama.cpp's converter (`normal`); qwen2/qwen3 keep halves (`neox`).
 * @param vocab the file's tokenizer (`vocabFromGguf`), whose special ids, `addBos` and chat
 *   template the spec copies so that both agree; `null` reads the `tokenizer.ggml.*` keys
 *   directly (a file without a tokenizer has no special tokens).
 * @throws UnsupportedError for another architecture or rope scaling; ModelFormatError for
 *   missing or inconsistent metadata, naming the key or tensor.
 */
export function specFromGguf(file: GgufFile, vocab: Vocab | null = null): ModelSpec {
  const architecture = architectureOf(file);
  const a = requireMetaString(file, "general.architecture");
  const tensors = new Map(file.tensors.map((t) => [t.name, t]));
  const dim = positive(file, `${a}.embedding_length`, requireMetaInteger(file, `${a}.embedding_length`));
  const vocabSize = vocabSizeOf(file, a, tensors);
  const normEps = requireMetaNumber(file, `${a}.attention.layer_norm_rms_epsilon`);
  if (!(normEps > 0))
    throw new ModelFormatError(file.path, `${a}.attention.layer_norm_rms_epsilon must be positive`);
  const ropeTheta = metaNumber(file, `${a}.rope.freq_base`) ?? 10000;
  if (!(ropeTheta > 0)) throw new ModelFormatError(file.path, `${a}.rope.freq_base must be positive`);
  const spec: ModelSpec = {
    architecture,
    name: metaString(file, "general.name") ?? basename(file.path).replace(/\.gguf$/i, ""),
    dim,
    numLayers: positive(file, `${a}.block_count`, requireMetaInteger(file, `${a}.block_count`)),
    ...attentionOf(file, a, dim),
    ffnDim: positive(file, `${a}.feed_forward_length`, requireMetaInteger(file, `${a}.feed_forward_length`)),
    vocabSize,
    ropeTheta,
    ropeStyle: architecture === "qwen2" || architecture === "qwen3" ? "neox" : "normal",
    ropeScaling: ropeScalingOf(file, a),
    ...(tensors.has("rope_freqs.weight") ? { ropeFreqFactors: true } : {}),
    normEps,
    tiedEmbeddings: !tensors.has("output.weight"),
    contextLength: positive(file, `${a}.context_length`, requireMetaInteger(file, `${a}.context_length`)),
    qkvBias: tensors.has("blk.0.attn_q.bias"),
    qkNorm: tensors.has("blk.0.attn_q_norm.weight"),
    ...tokensOf(file, vocabSize, vocab),
  };
  verifyTensors(spec, tensors, file.path, false);
  return spec;
}
