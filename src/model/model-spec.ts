/**
 * The normalised description of a Llama-family model, the same whether it came from GGUF
 * metadata, a Hugging Face `config.json` or a llama2.c header.
 */

/** Architectures tokenflow runs. Anything else is refused when a model is opened. */
export type Architecture = "llama" | "mistral" | "qwen2" | "qwen3";

/** How rotary embeddings pair dimensions: `normal` = adjacent pairs (GGUF llama), `neox` = halves. */
export type RopeStyle = "normal" | "neox";

/** Rotary frequency scaling. */
export type RopeScaling =
  | { readonly type: "linear"; readonly factor: number }
  | {
      readonly type: "llama3";
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalContextLength: number;
    };

/** Special token ids; `null` when the model has none. */
export interface SpecialTokens {
  readonly bos: number | null;
  readonly eos: number | null;
  /** Every id that ends generation (eos, eot, `<|im_end|>`, …), deduplicated. */
  readonly eogIds: readonly number[];
  readonly pad: number | null;
  readonly unk: number | null;
}

/** A normalised model description. */
export interface ModelSpec {
  readonly architecture: Architecture;
  /** Human-readable name (from metadata or the directory name). */
  readonly name: string;
  /** Hidden size (embedding width). */
  readonly dim: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  /** Width of one attention head (usually dim / numHeads; Qwen3 may differ). */
  readonly headDim: number;
  /** Feed-forward (intermediate) width. */
  readonly ffnDim: number;
  readonly vocabSize: number;
  readonly ropeTheta: number;
  readonly ropeStyle: RopeStyle;
  readonly ropeScaling: RopeScaling | null;
  /**
   * `true` when the model carries a `rope_freqs.weight` tensor (F32, `[headDim / 2]`) by whose
   * entries each rotary frequency is divided: how llama.cpp's converter stores Llama 3.1
   * scaling in GGUF (`ropeScaling` is then `null`). Absent or `false` otherwise.
   */
  readonly ropeFreqFactors?: boolean;
  readonly normEps: number;
  /** Output projection shares the token embedding matrix. */
  readonly tiedEmbeddings: boolean;
  /** Maximum context length the model was trained for, in tokens. */
  readonly contextLength: number;
  /** Q, K and V projections carry a bias (Qwen2/2.5). */
  readonly qkvBias: boolean;
  /** Per-head RMSNorm on queries and keys (Qwen3). */
  readonly qkNorm: boolean;
  readonly specialTokens: SpecialTokens;
  /** Whether prompts get a BOS token by default. */
  readonly addBos: boolean;
  /** Jinja chat template, `null` when the model ships none. */
  readonly chatTemplate: string | null;
}
