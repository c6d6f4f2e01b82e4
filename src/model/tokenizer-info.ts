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

const encoder = new TextEncoder();
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

/** The output bytes of one token, as llama.cpp's `token_to_piece` with special = false. */
function pieceBytes(vocab: Vocab, text: string, flags: number): Uint8Array {
  if (flags & (TokenFlag.SPECIAL | TokenFlag.UNUSED)) return new Uint8Array(0);
  if (flags & TokenFlag.USER_DEFINED) return encoder.encode(text);
  if (flags & TokenFlag.BYTE) {
    const m = BYTE_TOKEN.exec(text);
    return m ? Uint8Array.of(Number.parseInt(m[1] as string, 16)) : encoder.encode(text);
  }
  if (vocab.kind === "spm") return encoder.encode(text.replaceAll("▁", " "));
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const b = GPT2_BYTE[text.charCodeAt(i)] ?? -1;
    if (b >= 0) out[n++] = b;
    else {
      // Not a GPT-2 byte character (llama.cpp would print [UNK_BYTE_…]): keep its UTF-8.
      const cp = text.codePointAt(i) ?? 0;
      n += encoder.encodeInto(String.fromCodePoint(cp), out.subarray(n)).written;
      if (cp > 0xffff) i++;
    }
  }
  return out.slice(0, n);
}

/** Builds the {@link TokenizerInfo} of `vocab` (reads it; keeps no reference to its arrays). */
export function tokenizerInfoFromVocab(vocab: Vocab): TokenizerInfo {
  const n = vocab.tokens.length;
  const tokenFlags = new Uint8Array(n);
  const pieces: Uint8Array[] = new Array(n);
  const offsets = new Uint32Array(n + 1);
  for (let id = 0; id < n; id++) {
    const flags = flagsOf(vocab.tokenTypes[id] ?? 0);
    tokenFlags[id] = flags;
    const piece = pieceBytes(vocab, vocab.tokens[id] ?? "", flags);
    pieces[id] = piece;
    offsets[id + 1] = (offsets[id] as number) + piece.length;
  }
  for (const id of vocab.eogIds)
    if (id >= 0 && id < n) tokenFlags[id] = (tokenFlags[id] as number) | TokenFlag.EOG;
  const bytes = new Uint8Array(offsets[n] as number);
  pieces.forEach((p, id) => {
    bytes.set(p, offsets[id]);
  });
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
