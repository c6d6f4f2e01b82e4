/**
 * What the grammar engine and the detokenizer need to know about every token: the exact bytes
 * it contributes to the output and its flags. Built once per vocabulary (like xgrammar's
 * TokenizerInfo) and immutable afterwards.
 */

import { BYTE_TO_UNICODE } from "./tokenizer-pre.js";
import { TokenType } from "./tokenizer-token-type.js";
import type { Vocab } from "./vocab.js";

/** Bits of {@link TokenizerInfo.tokenFlags}. */
export const TokenFlag = {
  /** Control or unknown token (`<s>`, `<|im_end|>`, `<unk>`): no output bytes. */
  SPECIAL: 1,
  /** User-defined added token: its text, always matched in input text. */
  USER_DEFINED: 2,
  /** `<0xXX>` byte-fallback token: exactly one byte. */
  BYTE: 4,
  /** Unused / padding / undefined token: no output bytes, never produced by encode. */
  UNUSED: 8,
  /** Ends generation. */
  EOG: 16,
} as const;

/** Per-token bytes and flags of a vocabulary. All arrays are owned by the info; do not mutate. */
export interface TokenizerInfo {
  /** Number of token ids (max id + 1). */
  readonly vocabSize: number;
  readonly kind: Vocab["kind"];
  /** SPM: a leading space is added before text (and stripped from the start when decoding). */
  readonly addSpacePrefix: boolean;
  /** End-of-generation ids, sorted. */
  readonly eogIds: readonly number[];
  /** {@link TokenFlag} bits per token id. */
  readonly tokenFlags: Uint8Array;
  /** All tokens' bytes, concatenated in id order. */
  readonly bytes: Uint8Array;
  /** Token `id`'s bytes are `bytes[offsets[id] .. offsets[id + 1])`; length vocabSize + 1. */
  readonly offsets: Uint32Array;
  /**
   * The exact bytes token `id` adds to the output (SPM: `▁` → space, `<0xXX>` → that byte;
   * byte-level: GPT-2 mapping reversed; special/unused: empty). A view into `bytes`.
   */
  tokenBytes(id: number): Uint8Array;
  /** Whether `id` is a control/unknown token. */
  isSpecial(id: number): boolean;
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

/** GPT-2 character (as a code point, all below 324) → byte; -1 for other code points. */
const GPT2_BYTE = (() => {
  const table = new Int16Array(324).fill(-1);
  BYTE_TO_UNICODE.forEach((ch, b) => {
    table[ch.codePointAt(0) ?? 0] = b;
  });
  return table;
})();

function flagsOf(type: number): number {
  switch (type) {
    case TokenType.CONTROL:
    case TokenType.UNKNOWN:
      return TokenFlag.SPECIAL;
    case TokenType.USER_DEFINED:
      return TokenFlag.USER_DEFINED;
    case TokenType.BYTE:
      return TokenFlag.BYTE;
    case TokenType.NORMAL:
      return 0;
    default:
      return TokenFlag.UNUSED;
  }
}

/** Writes the UTF-8 of code point `cp` (a lone surrogate as U+FFFD, as TextEncoder) at `at`. */
function putCodePoint(out: Uint8Array, at: number, cp: number): number {
  let n = at;
  const c = cp >= 0xd800 && cp < 0xe000 ? 0xfffd : cp;
  if (c < 0x80) out[n++] = c;
  else if (c < 0x800) {
    out[n++] = 0xc0 | (c >> 6);
    out[n++] = 0x80 | (c & 0x3f);
  } else if (c < 0x10000) {
    out[n++] = 0xe0 | (c >> 12);
    out[n++] = 0x80 | ((c >> 6) & 0x3f);
    out[n++] = 0x80 | (c & 0x3f);
  } else {
    out[n++] = 0xf0 | (c >> 18);
    out[n++] = 0x80 | ((c >> 12) & 0x3f);
    out[n++] = 0x80 | ((c >> 6) & 0x3f);
    out[n++] = 0x80 | (c & 0x3f);
  }
  return n;
}

/** How the characters of a token's text become output bytes. */
enum Mapping {
  /** UTF-8 as is. */
  TEXT,
  /** UTF-8, with SentencePiece's `▁` written as a space. */
  SPM,
  /** Each GPT-2 byte character is its byte; other characters (llama.cpp: [UNK_BYTE_…]) UTF-8. */
  GPT2,
}

/** Writes the bytes of `text` under `mapping` at `at` (room: 3 bytes per UTF-16 unit); returns the end. */
function putText(out: Uint8Array, at: number, text: string, mapping: Mapping): number {
  let n = at;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const b = mapping === Mapping.GPT2 ? (GPT2_BYTE[unit] ?? -1) : unit < 0x80 ? unit : -1;
    if (b >= 0) out[n++] = b;
    else if (mapping === Mapping.SPM && unit === 0x2581) out[n++] = 0x20;
    else {
      const cp = text.codePointAt(i) as number;
      if (cp > 0xffff) i++;
      n = putCodePoint(out, n, cp);
    }
  }
  return n;
}

/** Writes the output bytes of one token, as llama.cpp's `token_to_piece` with special = false. */
function putPiece(out: Uint8Array, at: number, vocab: Vocab, text: string, flags: number): number {
  if (flags & (TokenFlag.SPECIAL | TokenFlag.UNUSED)) return at;
  if (flags & TokenFlag.USER_DEFINED) return putText(out, at, text, Mapping.TEXT);
  if (flags & TokenFlag.BYTE) {
    const m = BYTE_TOKEN.exec(text);
    if (m === null) return putText(out, at, text, Mapping.TEXT);
    out[at] = Number.parseInt(m[1] as string, 16);
    return at + 1;
  }
  return putText(out, at, text, vocab.kind === "spm" ? Mapping.SPM : Mapping.GPT2);
}

/** Builds the {@link TokenizerInfo} of `vocab` (reads it; keeps no reference to its arrays). */
export function tokenizerInfoFromVocab(vocab: Vocab): TokenizerInfo {
  const n = vocab.tokens.length;
  const tokenFlags = new Uint8Array(n);
  const offsets = new Uint32Array(n + 1);
  let numUnits = 0;
  for (let id = 0; id < n; id++) numUnits += (vocab.tokens[id] ?? "").length;
  // One pass into a buffer of the largest size (3 bytes per UTF-16 unit), then trimmed.
  const room = new Uint8Array(3 * numUnits);
  for (let id = 0; id < n; id++) {
    const flags = flagsOf(vocab.tokenTypes[id] ?? 0);
    tokenFlags[id] = flags;
    offsets[id + 1] = putPiece(room, offsets[id] as number, vocab, vocab.tokens[id] ?? "", flags);
  }
  for (const id of vocab.eogIds)
    if (id >= 0 && id < n) tokenFlags[id] = (tokenFlags[id] as number) | TokenFlag.EOG;
  const bytes = room.slice(0, offsets[n]);
  return {
    vocabSize: n,
    kind: vocab.kind,
    addSpacePrefix: vocab.addSpacePrefix,
    eogIds: [...vocab.eogIds],
    tokenFlags,
    bytes,
    offsets,
    tokenBytes: (id) => bytes.subarray(offsets[id], offsets[id + 1]),
    isSpecial: (id) => ((tokenFlags[id] ?? 0) & TokenFlag.SPECIAL) !== 0,
  };
}
