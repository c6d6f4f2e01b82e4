/**
 * Byte-level BPE as llama.cpp's `llm_tokenizer_bpe`: the pre-tokenizer regex splits the text
 * into words, each word's UTF-8 bytes are mapped to GPT-2 characters, and adjacent symbols
 * merge in merge-rank order (leftmost on ties).
 */
import { mergeSymbols } from "./tokenizer-merge.js";
import { BYTE_TO_UNICODE, type PreTokenizer } from "./tokenizer-pre.js";

const encoder = new TextEncoder();
/** Words cached per encoder before the cache is cleared (bounds memory on long-running servers). */
const MAX_CACHED_WORDS = 200_000;
/** Longer words (e.g. a CJK paragraph without spaces) are rare repeats: not cached. */
const MAX_CACHED_WORD_LENGTH = 64;

/** Encodes text fragments of a byte-level BPE vocabulary. */
export class BpeEncoder {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, readonly number[]>();

  /**
   * @param tokenToId token text → id (shared with the tokenizer, not mutated).
   * @param merges "left right" pairs in rank order.
   */
  constructor(
    private readonly tokenToId: ReadonlyMap<string, number>,
    merges: readonly string[],
    private readonly pre: PreTokenizer,
  ) {
    merges.forEach((m, rank) => {
      const sp = m.indexOf(" ", 1);
      const key = sp < 0 ? m : `${m.slice(0, sp)} ${m.slice(sp + 1)}`;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
  }

  /** Appends the ids of `text` to `out`. */
  encode(text: string, out: number[]): void {
    for (const match of text.matchAll(this.pre.regex)) {
      const word = match[0];
      let ids = this.cache.get(word);
      if (ids === undefined) {
        ids = this.encodeWord(word);
        if (word.length <= MAX_CACHED_WORD_LENGTH) {
          if (this.cache.size >= MAX_CACHED_WORDS) this.cache.clear();
          this.cache.set(word, ids);
        }
      }
      for (const id of ids) out.push(id);
    }
  }

  private encodeWord(word: string): number[] {
    let mapped = "";
    for (const b of encoder.encode(word)) mapped += BYTE_TO_UNICODE[b];
    const whole = this.tokenToId.get(mapped);
    if (this.pre.ignoreMerges && whole !== undefined) return [whole];
    const { ranks, tokenToId } = this;
    const symbols = mergeSymbols(Array.from(mapped), (a, b) => ranks.get(`${a} ${b}`) ?? null);
    const ids: number[] = [];
    for (const s of symbols) {
      const id = tokenToId.get(s);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      // Not a token (broken merges): llama.cpp falls back to single characters it knows.
      for (const ch of s) {
        const single = tokenToId.get(ch);
        if (single !== undefined) ids.push(single);
      }
    }
    return ids;
  }
}
