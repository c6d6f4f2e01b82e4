/**
 * The tokenizer data of a model, as GGUF stores it (llama.cpp conventions), and its conversion
 * to and from GGUF metadata. Building a Vocab from a Hugging Face `tokenizer.json` lives in
 * `tokenizer-json.ts` and is re-exported here.
 */
import { ModelFormatError } from "../errors.js";
import {
  metaBool,
  metaInteger,
  metaNumberArray,
  metaString,
  metaStringArray,
  requireMetaStringArray,
} from "./gguf-metadata.js";
import { type GgufFile, type GgufMetadata, type GgufMetadataValue, GgufValueType } from "./gguf-types.js";
import { defaultAddBos } from "./tokenizer-pre.js";
import { applySpecialTokenHeuristics } from "./tokenizer-special-tokens.js";
import { TokenType } from "./tokenizer-token-type.js";

export { vocabFromTokenizerJson } from "./tokenizer-json.js";
export { TokenType } from "./tokenizer-token-type.js";

/**
 * A model's tokenizer data.
 *
 * - `kind`: `"spm"` = SentencePiece-style BPE over characters with `▁` for spaces, merges by
 *   score, `<0xXX>` byte fallback (GGUF `tokenizer.ggml.model` = "llama"); `"bpe"` = GPT-2
 *   byte-level BPE with merges and a pre-tokenizer regex (GGUF "gpt2").
 * - `pre`: llama.cpp pre-tokenizer name (`tokenizer.ggml.pre`), e.g. "llama-bpe", "qwen2";
 *   `null` for SPM.
 * - `tokens[id]`: token text as stored (SPM: `▁` for space; byte-level: GPT-2 byte-unicode).
 * - `scores`: one per token (SPM merge priority, higher merges first); `null` when absent.
 * - `tokenTypes`: one {@link TokenType} per token.
 * - `merges`: byte-level merges "left right" in rank order; `null` for SPM.
 * - Special ids are `null` when the model has none. `eogIds` lists every id that ends
 *   generation, computed as llama.cpp does (eos, eot, `<|im_end|>`, FIM pad/repo/sep, ...).
 *
 * Arrays are owned by the Vocab and must not be mutated once a tokenizer was built from it.
 */
export interface Vocab {
  kind: "spm" | "bpe";
  pre: string | null;
  tokens: string[];
  scores: Float32Array | null;
  tokenTypes: Int32Array;
  merges: string[] | null;
  bosId: number | null;
  eosId: number | null;
  unkId: number | null;
  padId: number | null;
  eotId: number | null;
  eogIds: number[];
  addBos: boolean;
  addEos: boolean;
  addSpacePrefix: boolean;
  chatTemplate: string | null;
}

const K = "tokenizer.ggml.";

const SPECIAL_ID_KEYS = [
  ["bosId", `${K}bos_token_id`],
  ["eosId", `${K}eos_token_id`],
  ["unkId", `${K}unknown_token_id`],
  ["padId", `${K}padding_token_id`],
  ["eotId", `${K}eot_token_id`],
] as const;

const FIM_EOG_KEYS = [
  `${K}fim_pad_token_id`,
  `${K}fim_rep_token_id`,
  `${K}fim_sep_token_id`,
  `${K}eom_token_id`,
];

/**
 * Reads the tokenizer of a GGUF file. Throws ModelFormatError when the tokenizer is missing or
 * inconsistent (array lengths differ, special ids out of range, unknown tokenizer model).
 * Special-token attributes and end-of-generation ids are completed as llama.cpp does at load.
 */
export function vocabFromGguf(file: GgufFile): Vocab {
  const model = metaString(file, `${K}model`);
  if (model === null) throw new ModelFormatError(file.path, `missing metadata key ${K}model (no tokenizer)`);
  if (model !== "llama" && model !== "gpt2") {
    throw new ModelFormatError(
      file.path,
      `tokenizer model "${model}" is not supported (only "llama" and "gpt2")`,
    );
  }
  const kind = model === "llama" ? "spm" : "bpe";
  const tokens = requireMetaStringArray(file, `${K}tokens`).slice();
  const n = tokens.length;
  if (n === 0) throw new ModelFormatError(file.path, `${K}tokens is empty`);
  const scores = readScores(file, n);
  const tokenTypes = readTokenTypes(file, n);
  const merges = metaStringArray(file, `${K}merges`);
  if (kind === "bpe" && merges === null)
    throw new ModelFormatError(file.path, `missing metadata key ${K}merges`);
  const ids = readSpecialIds(file, kind, n);
  const vocab: Vocab = {
    kind,
    pre: kind === "bpe" ? (metaString(file, `${K}pre`) ?? "default") : null,
    tokens,
    scores,
    tokenTypes,
    merges: kind === "bpe" && merges ? merges.slice() : null,
    ...ids,
    eogIds: [],
    addBos: metaBool(file, `${K}add_bos_token`) ?? defaultAddBos(kind, metaString(file, `${K}pre`)),
    addEos: metaBool(file, `${K}add_eos_token`) ?? false,
    addSpacePrefix: metaBool(file, `${K}add_space_prefix`) ?? kind === "spm",
    chatTemplate: metaString(file, "tokenizer.chat_template"),
  };
  const extraEog = FIM_EOG_KEYS.map((key) => metaInteger(file, key)).filter(
    (id): id is number => id !== null && id < n,
  );
  applySpecialTokenHeuristics(vocab, extraEog);
  return vocab;
}

function readScores(file: GgufFile, n: number): Float32Array | null {
  const raw = metaNumberArray(file, `${K}scores`);
  if (raw === null) return null;
  if (raw.length !== n) {
    throw new ModelFormatError(file.path, `${K}scores has ${raw.length} entries for ${n} tokens`);
  }
  return raw instanceof Float32Array ? raw.slice() : Float32Array.from(raw);
}

function readTokenTypes(file: GgufFile, n: number): Int32Array {
  const raw = metaNumberArray(file, `${K}token_type`);
  if (raw === null) return new Int32Array(n).fill(TokenType.NORMAL);
  if (raw.length !== n) {
    throw new ModelFormatError(file.path, `${K}token_type has ${raw.length} entries for ${n} tokens`);
  }
  const types = raw instanceof Int32Array ? raw.slice() : Int32Array.from(raw);
  for (let i = 0; i < n; i++) {
    const t = types[i] ?? 0;
    if (t < 0 || t > TokenType.BYTE)
      throw new ModelFormatError(file.path, `${K}token_type[${i}] = ${t} is invalid`);
  }
  return types;
}

type SpecialIds = Pick<Vocab, "bosId" | "eosId" | "unkId" | "padId" | "eotId">;

function readSpecialIds(file: GgufFile, kind: Vocab["kind"], n: number): SpecialIds {
  // llama.cpp's defaults when a key is absent: SPM bos 1, eos 2, unk 0.
  const ids: SpecialIds =
    kind === "spm"
      ? { bosId: 1, eosId: 2, unkId: 0, padId: null, eotId: null }
      : { bosId: null, eosId: null, unkId: null, padId: null, eotId: null };
  for (const [field, key] of SPECIAL_ID_KEYS) {
    const id = metaInteger(file, key);
    if (id === null) continue;
    if (id < 0 || id >= n)
      throw new ModelFormatError(file.path, `${key} = ${id} is outside the vocabulary (${n} tokens)`);
    ids[field] = id;
  }
  for (const [field] of SPECIAL_ID_KEYS) {
    const id = ids[field];
    if (id !== null && id >= n) ids[field] = null;
  }
  return ids;
}

const u32 = (value: number): GgufMetadataValue => ({ type: GgufValueType.UINT32, value });
const bool = (value: boolean): GgufMetadataValue => ({ type: GgufValueType.BOOL, value });
const str = (value: string): GgufMetadataValue => ({ type: GgufValueType.STRING, value });
const strArray = (items: string[]): GgufMetadataValue => ({
  type: GgufValueType.ARRAY,
  value: { itemType: GgufValueType.STRING, items },
});

/**
 * The `tokenizer.ggml.*` keys llama.cpp reads, plus `tokenizer.chat_template`, for `vocab`.
 * The returned map shares the vocab's arrays (do not mutate either afterwards).
 */
export function vocabToGgufMetadata(vocab: Vocab): GgufMetadata {
  const m: GgufMetadata = new Map();
  m.set(`${K}model`, str(vocab.kind === "spm" ? "llama" : "gpt2"));
  if (vocab.pre !== null) m.set(`${K}pre`, str(vocab.pre));
  m.set(`${K}tokens`, strArray(vocab.tokens));
  if (vocab.scores)
    m.set(`${K}scores`, {
      type: GgufValueType.ARRAY,
      value: { itemType: GgufValueType.FLOAT32, items: vocab.scores },
    });
  m.set(`${K}token_type`, {
    type: GgufValueType.ARRAY,
    value: { itemType: GgufValueType.INT32, items: vocab.tokenTypes },
  });
  if (vocab.merges) m.set(`${K}merges`, strArray(vocab.merges));
  for (const [field, key] of SPECIAL_ID_KEYS) {
    const id = vocab[field];
    if (id !== null) m.set(key, u32(id));
  }
  m.set(`${K}add_bos_token`, bool(vocab.addBos));
  m.set(`${K}add_eos_token`, bool(vocab.addEos));
  m.set(`${K}add_space_prefix`, bool(vocab.addSpacePrefix));
  if (vocab.chatTemplate !== null) m.set("tokenizer.chat_template", str(vocab.chatTemplate));
  return m;
}
