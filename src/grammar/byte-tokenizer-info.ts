/**
 * A TokenizerInfo built directly from token byte strings: for tests and tools that need a small
 * synthetic vocabulary (real vocabularies come from `tokenizerInfoFromVocab`).
 */

import { TokenFlag, type TokenizerInfo } from "../model/tokenizer-info.js";

const encoder = new TextEncoder();

/**
 * Tokens are given as text (UTF-8) or bytes; `null` marks a special (control) token. `eogIds`
 * must name special tokens; they get the EOG flag.
 */
export function tokenizerInfoFromByteStrings(
  tokens: readonly (string | Uint8Array | null)[],
  eogIds: readonly number[] = [],
): TokenizerInfo {
  const parts = tokens.map((t) =>
    t === null ? new Uint8Array(0) : typeof t === "string" ? encoder.encode(t) : t,
  );
  const offsets = new Uint32Array(tokens.length + 1);
  parts.forEach((p, i) => {
    offsets[i + 1] = (offsets[i] as number) + p.length;
  });
  const bytes = new Uint8Array(offsets[tokens.length] as number);
  parts.forEach((p, i) => {
    bytes.set(p, offsets[i]);
  });
  const tokenFlags = Uint8Array.from(tokens, (t) => (t === null ? TokenFlag.SPECIAL : 0));
  for (const id of eogIds) tokenFlags[id] = (tokenFlags[id] as number) | TokenFlag.EOG;
  return {
    vocabSize: tokens.length,
    kind: "bpe",
    addSpacePrefix: false,
    eogIds: [...eogIds].sort((a, b) => a - b),
    tokenFlags,
    bytes,
    offsets,
    tokenBytes: (id) => bytes.subarray(offsets[id], offsets[id + 1]),
    isSpecial: (id) => ((tokenFlags[id] ?? 0) & TokenFlag.SPECIAL) !== 0,
  };
}
