/**
 * Converts a Hugging Face `tokenizer.json` (+ `tokenizer_config.json`) into a {@link Vocab},
 * following `convert_hf_to_gguf.py`: SentencePiece-style BPE (byte_fallback, `▁` for spaces)
 * becomes an SPM vocab with scores derived from merge order; byte-level BPE becomes a "gpt2"
 * vocab with merges and the llama.cpp pre-tokenizer name matching its split regex.
 */
import { UnsupportedError } from "../errors.js";
import { defaultAddBos, preTokenizerNameForRegex } from "./tokenizer-pre.js";
import { applySpecialTokenHeuristics, looksSpecial } from "./tokenizer-special-tokens.js";
import { TokenType } from "./tokenizer-token-type.js";
import type { Vocab } from "./vocab.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;

/** Components of a normalizer / pre-tokenizer / decoder, flattening `Sequence`s. */
function components(node: unknown): Json[] {
  if (!isObject(node)) return [];
  const inner = node.normalizers ?? node.pretokenizers ?? node.decoders;
  if (node.type === "Sequence" && Array.isArray(inner)) return inner.flatMap(components);
  return [node];
}

/** Text of a special-token entry in tokenizer_config.json (`"<s>"` or `{content: "<s>"}`). */
function tokenText(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v.content === "string") return v.content;
  return null;
}

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

function addedTokens(json: Json): AddedToken[] {
  const list = Array.isArray(json.added_tokens) ? json.added_tokens : [];
  return list
    .filter(isObject)
    .flatMap((t) =>
      typeof t.id === "number" && typeof t.content === "string"
        ? [{ id: t.id, content: t.content, special: t.special === true }]
        : [],
    );
}

/** "spm" for SentencePiece-style BPE, "bpe" for byte-level BPE; throws for anything else. */
function detectKind(json: Json, model: Json): { kind: Vocab["kind"]; pre: string | null } {
  const type = model.type ?? (model.merges ? "BPE" : undefined);
  if (type !== "BPE") {
    throw new UnsupportedError(
      `tokenizer.json model type ${String(type)} is not supported (only BPE: SentencePiece-style or byte-level)`,
    );
  }
  const pre = components(json.pre_tokenizer);
  if (pre.some((p) => p.type === "ByteLevel")) return { kind: "bpe", pre: detectPre(pre) };
  const norm = components(json.normalizer);
  const prepends = norm.some((n) => n.type === "Prepend" && n.prepend === "▁");
  const metaspace = pre.find((p) => p.type === "Metaspace");
  if (metaspace?.split === true)
    throw new UnsupportedError("tokenizer.json: Metaspace pre-tokenizer with split=true is not supported");
  if (model.byte_fallback === true && (prepends || metaspace)) return { kind: "spm", pre: null };
  throw new UnsupportedError(
    "tokenizer.json: BPE without byte_fallback+Metaspace/Prepend or ByteLevel is not supported",
  );
}

function detectPre(pre: Json[]): string {
  const split = pre.find((p) => p.type === "Split");
  if (split) {
    const pattern = isObject(split.pattern) ? split.pattern.Regex : undefined;
    const name = typeof pattern === "string" ? preTokenizerNameForRegex(pattern) : null;
    if (name === null)
      throw new UnsupportedError(
        `tokenizer.json: pre-tokenizer regex ${JSON.stringify(pattern)} is not supported`,
      );
    return name;
  }
  throw new UnsupportedError(
    "tokenizer.json: byte-level BPE without a Llama-3 or Qwen2 split regex is not supported",
  );
}

function normalizeMerges(raw: unknown): string[] {
  if (!Array.isArray(raw)) throw new UnsupportedError("tokenizer.json: model.merges is missing");
  return raw.map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : unshared(String(m))));
}

/**
 * A copy of `text` outside V8's string table. `JSON.parse` interns object keys and short
 * values, and every full garbage collection walks the interned strings (twice): a kept
 * 128k-token vocabulary adds about 9 ms to each pause. Copies made by concatenation are not
 * interned, and die with nothing else referring to the parsed JSON.
 */
function unshared(text: string): string {
  return ` ${text}`.slice(1);
}

/** Token texts and types, holes filled with `[PAD{id}]` (UNUSED) as convert_hf_to_gguf does. */
function buildTokens(model: Json, added: AddedToken[], kind: Vocab["kind"], byteFallback: boolean) {
  const vocab = isObject(model.vocab) ? model.vocab : {};
  let size = 0;
  for (const id of Object.values(vocab)) if (typeof id === "number") size = Math.max(size, id + 1);
  for (const t of added) size = Math.max(size, t.id + 1);
  const tokens = new Array<string>(size);
  const tokenTypes = new Int32Array(size).fill(TokenType.UNUSED);
  for (const [text, id] of Object.entries(vocab)) {
    if (typeof id !== "number") continue;
    tokens[id] = unshared(text);
    tokenTypes[id] =
      byteFallback && kind === "spm" && BYTE_TOKEN.test(text) ? TokenType.BYTE : TokenType.NORMAL;
  }
  const unk = typeof model.unk_token === "string" ? model.unk_token : null;
  for (const t of added) {
    tokens[t.id] = t.content;
    const special = t.special || looksSpecial(t.content);
    tokenTypes[t.id] =
      t.content === unk ? TokenType.UNKNOWN : special ? TokenType.CONTROL : TokenType.USER_DEFINED;
  }
  for (let id = 0; id < size; id++) if (tokens[id] === undefined) tokens[id] = `[PAD${id}]`;
  return { tokens, tokenTypes };
}

/**
 * SPM scores from merge order: a token made by the merge of rank r scores -r, so llama.cpp's
 * highest-score-first bigram merging replays the BPE merges in rank order. Other tokens score
 * 0 (bytes, control) or below every merge (single characters, which are never merge results).
 */
function scoresFromMerges(tokens: string[], tokenTypes: Int32Array, merges: string[]): Float32Array {
  const rankOf = new Map<string, number>();
  merges.forEach((m, rank) => {
    const sp = m.indexOf(" ", 1);
    const text = m.slice(0, sp) + m.slice(sp + 1);
    if (!rankOf.has(text)) rankOf.set(text, rank);
  });
  const scores = new Float32Array(tokens.length);
  tokens.forEach((text, id) => {
    if (tokenTypes[id] !== TokenType.NORMAL) return;
    const rank = rankOf.get(text);
    scores[id] = rank === undefined ? -merges.length : -rank;
  });
  return scores;
}

function chatTemplateOf(config: Json | null): string | null {
  const t = config?.chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t.filter(isObject);
    const pick = named.find((x) => x.name === "default") ?? named[0];
    return typeof pick?.template === "string" ? pick.template : null;
  }
  return null;
}

/** Whether the post-processor template puts `text` before the sequence (first) or after (last). */
function templateHas(json: Json, text: string, where: "first" | "last"): boolean | null {
  const post = components(json.post_processor).find((p) => p.type === "TemplateProcessing");
  if (!post || !Array.isArray(post.single)) return null;
  const items = post.single.filter(isObject);
  const item = where === "first" ? items[0] : items[items.length - 1];
  const special = isObject(item?.SpecialToken) ? item.SpecialToken : null;
  return special?.id === text;
}

/**
 * Builds a {@link Vocab} from a parsed `tokenizer.json` and (optionally) `tokenizer_config.json`.
 * Token types: added special tokens → CONTROL (the unk token → UNKNOWN), other added tokens →
 * USER_DEFINED unless they look special (`<|...|>`, as convert_hf_to_gguf), `<0xXX>` → BYTE.
 * Throws UnsupportedError for WordPiece, Unigram, WordLevel and unknown pre-tokenizers.
 */
export function vocabFromTokenizerJson(tokenizerJson: unknown, tokenizerConfig: unknown | null): Vocab {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
    throw new UnsupportedError("tokenizer.json: not an object with a `model` section");
  }
  const json = tokenizerJson;
  const model = tokenizerJson.model;
  const config = isObject(tokenizerConfig) ? tokenizerConfig : null;
  const { kind, pre } = detectKind(json, model);
  const merges = normalizeMerges(model.merges);
  const added = addedTokens(json);
  const { tokens, tokenTypes } = buildTokens(model, added, kind, model.byte_fallback === true);
  const lookup = (v: unknown) => {
    const text = tokenText(v);
    return text === null ? null : idOfText(tokens, added, model, text);
  };
  const bosText = tokenText(config?.bos_token) ?? (kind === "spm" ? "<s>" : null);
  const eosText = tokenText(config?.eos_token) ?? (kind === "spm" ? "</s>" : null);
  const vocab: Vocab = {
    kind,
    pre,
    tokens,
    scores: kind === "spm" ? scoresFromMerges(tokens, tokenTypes, merges) : null,
    tokenTypes,
    merges: kind === "bpe" ? merges : null,
    bosId: lookup(bosText),
    eosId: lookup(eosText),
    unkId: lookup(config?.unk_token ?? model.unk_token),
    padId: lookup(config?.pad_token),
    eotId: null,
    eogIds: [],
    ...addSpecialFlags(json, config, bosText, eosText, defaultAddBos(kind, pre)),
    addSpacePrefix: kind === "spm",
    chatTemplate: chatTemplateOf(config),
  };
  applySpecialTokenHeuristics(vocab);
  return vocab;
}

/** Id of a token text: added tokens first (they override the model vocabulary), else the vocab. */
function idOfText(tokens: string[], added: AddedToken[], model: Json, text: string): number | null {
  const fromAdded = added.findLast((t) => t.content === text);
  if (fromAdded) return fromAdded.id;
  const id = isObject(model.vocab) ? model.vocab[text] : undefined;
  return typeof id === "number" && tokens[id] === text ? id : null;
}

/** add_bos/add_eos: tokenizer_config.json, else the post-processor template, else llama.cpp's default. */
function addSpecialFlags(
  json: Json,
  config: Json | null,
  bos: string | null,
  eos: string | null,
  bosDefault: boolean,
) {
  return {
    addBos:
      configBool(config, "add_bos_token") ?? (bos ? templateHas(json, bos, "first") : null) ?? bosDefault,
    addEos: configBool(config, "add_eos_token") ?? (eos ? templateHas(json, eos, "last") : null) ?? false,
  };
}

function configBool(config: Json | null, key: string): boolean | null {
  const v = config?.[key];
  return typeof v === "boolean" ? v : null;
}
