/**
 * SentencePiece-style BPE as llama.cpp's `llm_tokenizer_spm`: the text (spaces already escaped
 * to `▁`) is split into characters, adjacent pairs whose concatenation is a token merge
 * highest-score first (leftmost on ties), and symbols that are not tokens fall back to
 * `<0xXX>` byte tokens.
 */
import { UnsupportedError } from "../errors.js";
import { hashText, MISSING, PairTable, type TextTable } from "./tokenizer-lookup.js";
import { SymbolMerger, type SymbolRules } from "./tokenizer-merge.js";

const encoder = new TextEncoder();
const SPACE = 0x2581; // ▁
/** Words cached per encoder before the cache is cleared (bounds memory on long-running servers). */
const MAX_CACHED_WORDS = 200_000;
/** Longer words (e.g. CJK text without spaces) are rare repeats: not cached. */
const MAX_CACHED_WORD_LENGTH = 64;
/** Pairs remembered before the pair cache is cleared (bounds memory on long-running servers). */
const MAX_CACHED_PAIRS = 1 << 18;

/**
 * Symbols are token ids, or for a character that is no token `-1 - codePoint`. Whether two
 * symbols merge is looked up in the token table once per pair and then remembered, so the
 * merge loop builds no strings.
 */
class SpmRules implements SymbolRules {
  private readonly pairs = new PairTable(1 << 12);

  constructor(
    private readonly tokens: readonly string[],
    private readonly table: TextTable,
    private readonly scores: Float32Array,
  ) {}

  find(left: number, right: number): number {
    const cached = this.pairs.get(left, right);
    if (cached !== MISSING) return cached;
    const a = this.textOf(left);
    const b = this.textOf(right);
    const hA = left >= 0 ? this.table.hashAt(left) : hashText(a);
    const h =
      right >= 0 ? this.table.joinHash(hA, this.table.hashAt(right), b.length) : hashText(b, 0, b.length, hA);
    const merged = this.table.find(h, a, b, "");
    if (this.pairs.size >= MAX_CACHED_PAIRS) this.pairs.clear();
    this.pairs.setIfAbsent(left, right, merged);
    return merged;
  }

  priority(rule: number): number {
    return -(this.scores[rule] ?? 0);
  }

  result(rule: number): number {
    return rule;
  }

  textOf(symbol: number): string {
    return symbol >= 0 ? (this.tokens[symbol] as string) : String.fromCodePoint(-1 - symbol);
  }
}

/** Encodes one text fragment of an SPM vocabulary. */
export class SpmEncoder {
  /** Byte value → id of its `<0xXX>` token (-1 when the vocabulary lacks it). */
  private readonly byteIds: Int32Array;
  /** UTF-16 unit → its symbol, filled on first sight: 0 = not yet known, else symbol ^ MISSING. */
  private readonly charSymbols = new Int32Array(0x10000);
  private readonly rules: SpmRules;
  private readonly merger: SymbolMerger;
  /** Whether the text may be encoded word by word (see encode); words are then cached. */
  private readonly isWordWise: boolean;
  private readonly cache = new Map<string, readonly number[]>();

  /**
   * @param tokens token texts by id (shared with the tokenizer, not mutated).
   * @param table lookup of `tokens` (token text → id).
   * @param scores merge priority per token id (higher merges first).
   * @param unkId used for a byte without a byte token, else such bytes throw.
   */
  constructor(
    tokens: readonly string[],
    private readonly table: TextTable,
    scores: Float32Array,
    private readonly unkId: number | null,
  ) {
    this.byteIds = new Int32Array(256).fill(-1);
    for (let b = 0; b < 256; b++) {
      const id = table.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
      this.byteIds[b] = id >= 0 ? id : table.get(String.fromCharCode(b));
    }
    this.rules = new SpmRules(tokens, table, scores);
    this.merger = new SymbolMerger(this.rules);
    this.isWordWise = tokens.every((t) => !hasSpaceAfterOther(t));
  }

  /** Appends the ids of `text` (whitespace already escaped to `▁`) to `out`. */
  encode(text: string, out: number[]): void {
    if (!this.isWordWise) {
      this.encodeWord(text, out);
      return;
    }
    // No token has a `▁` right after another character, so no merge joins the symbols on
    // either side of such a place: the words between them encode alone, and repeat.
    let start = 0;
    for (let i = 1; i <= text.length; i++) {
      if (i < text.length && (text.charCodeAt(i) !== SPACE || text.charCodeAt(i - 1) === SPACE)) continue;
      this.encodeCached(text.slice(start, i), out);
      start = i;
    }
  }

  private encodeCached(word: string, out: number[]): void {
    let ids = this.cache.get(word);
    if (ids === undefined) {
      if (word.length > MAX_CACHED_WORD_LENGTH) {
        this.encodeWord(word, out);
        return;
      }
      const fresh: number[] = [];
      this.encodeWord(word, fresh);
      if (this.cache.size >= MAX_CACHED_WORDS) this.cache.clear();
      this.cache.set(word, fresh);
      ids = fresh;
    }
    for (const id of ids) out.push(id);
  }

  private encodeWord(text: string, out: number[]): void {
    const ids = new Int32Array(text.length);
    const lens = new Int32Array(text.length);
    let n = 0;
    for (let i = 0; i < text.length; n++) {
      const c = text.charCodeAt(i);
      const isPair = c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      ids[n] = isPair ? this.symbolOf(text.slice(i, i + 2)) : this.charSymbol(c);
      lens[n] = isPair ? 2 : 1;
      i += lens[n] as number;
    }
    const count = this.merger.merge(ids, lens, n);
    for (let i = 0; i < count; i++) {
      const id = ids[i] as number;
      if (id >= 0) out.push(id);
      else this.pushBytes(this.rules.textOf(id), out);
    }
  }

  private charSymbol(unit: number): number {
    const known = this.charSymbols[unit] as number;
    if (known !== 0) return known ^ MISSING;
    const symbol = this.symbolOf(String.fromCharCode(unit));
    this.charSymbols[unit] = symbol ^ MISSING;
    return symbol;
  }

  /** The symbol of one character (a code point, or a lone surrogate). */
  private symbolOf(char: string): number {
    const id = this.table.get(char);
    return id >= 0 ? id : -1 - (char.codePointAt(0) as number);
  }

  private pushBytes(s: string, out: number[]): void {
    for (const b of encoder.encode(s)) {
      const id = this.byteIds[b] ?? -1;
      if (id >= 0) out.push(id);
      else if (this.unkId !== null) out.push(this.unkId);
      else
        throw new UnsupportedError(`SPM vocabulary has no byte token for 0x${b.toString(16)} and no <unk>`);
    }
  }
}

/** Whether `t` has a `▁` right after a character other than `▁`. */
function hasSpaceAfterOther(t: string): boolean {
  for (let i = t.indexOf("▁", 1); i > 0; i = t.indexOf("▁", i + 1)) {
    if (t.charCodeAt(i - 1) !== SPACE) return true;
  }
  return false;
}
