/**
 * Splitting input text at special-token text before encoding, as llama.cpp's
 * `tokenizer_st_partition`: longest tokens first, every occurrence in every remaining text
 * fragment. Control and unknown tokens are matched only when parsing special text; user-defined
 * tokens always are.
 */
import { TokenType } from "./tokenizer-token-type.js";
import type { Vocab } from "./vocab.js";

/** A piece of input: raw text still to encode, or an already decided token id. */
export type Fragment = string | number;

interface SpecialToken {
  readonly id: number;
  readonly text: string;
  /** Matched even when special text is not parsed. */
  readonly always: boolean;
}

const encoder = new TextEncoder();

/** Finds special-token text in input. Built once per vocabulary. */
export class SpecialTokenMatcher {
  private readonly tokens: readonly SpecialToken[];
  private readonly numAlways: number;

  constructor(vocab: Vocab) {
    const found: (SpecialToken & { bytes: number })[] = [];
    vocab.tokens.forEach((text, id) => {
      const type = vocab.tokenTypes[id];
      const always = type === TokenType.USER_DEFINED;
      if (!always && type !== TokenType.CONTROL && type !== TokenType.UNKNOWN) return;
      if (text.length === 0) return;
      found.push({ id, text, always, bytes: encoder.encode(text).length });
    });
    // llama.cpp sorts by UTF-8 length, longest first (ties: by id, to be deterministic).
    found.sort((a, b) => b.bytes - a.bytes || a.id - b.id);
    this.tokens = found;
    this.numAlways = found.filter((t) => t.always).length;
  }

  /** Splits `text` into fragments; `parseSpecial` also matches control/unknown token text. */
  split(text: string, parseSpecial: boolean): Fragment[] {
    if (text.length === 0) return [];
    let fragments: Fragment[] = [text];
    if (!parseSpecial && this.numAlways === 0) return fragments;
    for (const token of this.tokens) {
      if (!parseSpecial && !token.always) continue;
      if (!text.includes(token.text)) continue;
      fragments = fragments.flatMap((f) => (typeof f === "string" ? splitAt(f, token) : [f]));
    }
    return fragments;
  }
}

function splitAt(text: string, token: SpecialToken): Fragment[] {
  const out: Fragment[] = [];
  let from = 0;
  for (let at = text.indexOf(token.text); at >= 0; at = text.indexOf(token.text, from)) {
    if (at > from) out.push(text.slice(from, at));
    out.push(token.id);
    from = at + token.text.length;
  }
  if (from < text.length) out.push(text.slice(from));
  return out;
}
