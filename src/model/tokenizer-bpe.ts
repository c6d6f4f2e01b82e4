/**
 * Byte-level BPE as llama.cpp's `llm_tokenizer_bpe`: the pre-tokenizer regex splits the text
 * into words, each word's UTF-8 bytes are mapped to GPT-2 characters, and adjacent symbols
 * merge in merge-rank order (leftmost on ties).
 */
import { hashText, TextTable } from "./tokenizer-lookup.js";
import { mergeSymbols, SymbolMerger, type SymbolRules } from "./tokenizer-merge.js";
import { BYTE_TO_UNICODE, type PreTokenizer } from "./tokenizer-pre.js";

const encoder = new TextEncoder();
/** Words cached per encoder before the cache is cleared (bounds memory on long-running servers). */
const MAX_CACHED_WORDS = 200_000;
/** Longer words (e.g. a CJK paragraph without spaces) are rare repeats: not cached. */
const MAX_CACHED_WORD_LENGTH = 64;

/**
 * The merges for symbols that are token ids: rule = rank, result = id of the merged token
 * (looked up on first use). The merges are indexed by their own text, and a pair is looked up
 * by the hash of "left right" made from the two tokens' hashes, so building this costs a hash
 * per merge and no token lookups. Exact while every symbol is a token: each byte's GPT-2
 * character is one (the encoder checks) and every merge so far made a token. A merge that makes
 * a non-token (never seen in real vocabularies) sets `isBroken`; the encoder then merges text.
 */
class IdMerges implements SymbolRules {
  /** Set once a merge produced text that is no token. */
  isBroken = false;
  private readonly ranks: TextTable;
  /** Per rank: merged token id + 1; 0 = not looked up yet. */
  private readonly results: Int32Array;
  private readonly spaceHash: number;

  constructor(
    private readonly tokens: readonly string[],
    private readonly table: TextTable,
    merges: readonly string[],
  ) {
    this.ranks = new TextTable(merges, { keepFirst: true });
    this.results = new Int32Array(merges.length);
    this.spaceHash = hashText(" ");
  }

  find(left: number, right: number): number {
    if (this.isBroken) return -1; // the word is redone as text: just finish quickly
    const a = this.tokens[left] as string;
    const b = this.tokens[right] as string;
    const { table } = this;
    const withSpace = table.joinHash(table.hashAt(left), this.spaceHash, 1);
    return this.ranks.find(table.joinHash(withSpace, table.hashAt(right), b.length), a, " ", b);
  }

  priority(rule: number): number {
    return rule;
  }

  result(rule: number, left: number, right: number): number {
    const known = this.results[rule] as number;
    if (known !== 0 || this.isBroken) return known - 1;
    const a = this.tokens[left] as string;
    const b = this.tokens[right] as string;
    const { table } = this;
    const id = table.find(table.joinHash(table.hashAt(left), table.hashAt(right), b.length), a, b, "");
    if (id < 0) this.isBroken = true;
    else this.results[rule] = id + 1;
    return id;
  }
}

/** Encodes text fragments of a byte-level BPE vocabulary. */
export class BpeEncoder {
  /** Byte → id of its GPT-2 character token. */
  private readonly byteIds = new Int32Array(256);
  private readonly idMerges: IdMerges | null;
  private readonly merger: SymbolMerger | null;
  /** Merge ranks by "left right" text, built once IdMerges turns out not to serve. */
  private textRanks: Map<string, number> | null = null;
  private readonly cache = new Map<string, readonly number[]>();

  /**
   * @param tokens token texts by id (shared with the tokenizer, not mutated).
   * @param table lookup of `tokens` (token text → id).
   * @param merges "left right" pairs in rank order.
   */
  constructor(
    tokens: readonly string[],
    private readonly table: TextTable,
    private readonly merges: readonly string[],
    private readonly pre: PreTokenizer,
  ) {
    BYTE_TO_UNICODE.forEach((ch, b) => {
      this.byteIds[b] = table.get(ch);
    });
    this.idMerges = this.byteIds.includes(-1) ? null : new IdMerges(tokens, table, merges);
    this.merger = this.idMerges && new SymbolMerger(this.idMerges);
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
    const bytes = encoder.encode(word);
    if (this.pre.ignoreMerges) {
      let mapped = "";
      for (const b of bytes) mapped += BYTE_TO_UNICODE[b];
      const whole = this.table.get(mapped);
      if (whole >= 0) return [whole];
    }
    const { idMerges: rules, merger } = this;
    if (rules === null || merger === null || rules.isBroken) return this.encodeWordAsText(bytes);
    const ids = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) ids[i] = this.byteIds[bytes[i] as number] as number;
    const count = merger.merge(ids, new Int32Array(bytes.length).fill(1), bytes.length);
    return rules.isBroken ? this.encodeWordAsText(bytes) : Array.from(ids.subarray(0, count));
  }

  /** The general path: merges looked up as text, for vocabularies whose merges make non-tokens. */
  private encodeWordAsText(bytes: Uint8Array): number[] {
    const table = this.table;
    const textRanks = this.textRanks ?? this.buildTextRanks();
    const chars = Array.from(bytes, (b) => BYTE_TO_UNICODE[b] as string);
    const symbols = mergeSymbols(chars, (a, b) => textRanks.get(`${a} ${b}`) ?? null);
    const ids: number[] = [];
    for (const s of symbols) {
      const id = table.get(s);
      if (id >= 0) {
        ids.push(id);
        continue;
      }
      // Not a token (broken merges): llama.cpp falls back to single characters it knows.
      for (const ch of s) {
        const single = table.get(ch);
        if (single >= 0) ids.push(single);
      }
    }
    return ids;
  }

  private buildTextRanks(): Map<string, number> {
    const ranks = new Map<string, number>();
    this.merges.forEach((m, rank) => {
      if (!ranks.has(m)) ranks.set(m, rank);
    });
    this.textRanks = ranks;
    return ranks;
  }
}
