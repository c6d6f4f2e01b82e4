import type { SupportedDType } from "./ggml-types.js";

/** Generated-model architectures (`make-model --arch`). */
export type MakeArch = "llama" | "qwen2" | "qwen3";

/** Real vocabularies shipped by npm packages (`make-model --vocab`). */
export type VocabName = "llama2" | "llama3" | "qwen3";

/** Everything that defines a generated model's shape. */
export interface ModelShape {
  readonly arch: MakeArch;
  readonly vocab: VocabName;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  /** Head width; defaults to dim / heads. */
  readonly headDim?: number;
  readonly ffn: number;
  readonly maxContext: number;
  readonly ropeTheta: number;
  readonly tiedEmbeddings: boolean;
  readonly dtype: SupportedDType;
}

/** Named shapes for `make-model --preset`. */
export const PRESETS: Readonly<Record<string, ModelShape>> = {
  /** Loads and runs in well under a second: for tests. */
  tiny: {
    arch: "llama",
    vocab: "llama2",
    dim: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    ffn: 192,
    maxContext: 2048,
    ropeTheta: 10000,
    tiedEmbeddings: false,
    dtype: "F32",
  },
  /** A few times larger, with a modern vocabulary: quick end-to-end runs of the server. */
  small: {
    arch: "llama",
    vocab: "llama3",
    dim: 256,
    layers: 4,
    heads: 8,
    kvHeads: 4,
    ffn: 768,
    maxContext: 4096,
    ropeTheta: 500000,
    tiedEmbeddings: true,
    dtype: "F16",
  },
  /** The shape of Qwen2.5-0.5B-Instruct (with the Qwen3 vocabulary): for benchmarks. */
  bench: {
    arch: "qwen2",
    vocab: "qwen3",
    dim: 896,
    layers: 24,
    heads: 14,
    kvHeads: 2,
    ffn: 4864,
    maxContext: 32768,
    ropeTheta: 1000000,
    tiedEmbeddings: true,
    dtype: "F16",
  },
};
