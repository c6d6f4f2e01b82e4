/**
 * Hash tables over typed arrays for the tokenizers: text → index (token ids, merge ranks) and
 * (int, int) → int. A JS Map of 150k tokens and one of 280k merge strings took most of a
 * tokenizer's construction; these tables are filled in one pass, and the hash of a joined text
 * (`a + b`, `a + " " + b`) is computed from the parts' hashes, without building the text.
 */

/** Value returned by {@link PairTable.get} for an absent pair. */
export const MISSING = -0x80000000;

/** Multiplier of the polynomial hash (odd, so that each step is a bijection modulo 2^32). */
const P = 0x01000193;

/** Polynomial hash of `s[from, to)` continuing from `h`: h·P^len + Σ s[i]·P^(to-1-i), mod 2^32. */
export function hashText(s: string, from = 0, to = s.length, h = 0): number {
  let x = h;
  for (let i = from; i < to; i++) x = (Math.imul(x, P) + s.charCodeAt(i)) | 0;
  return x;
}

/** Spreads a hash's bits into the low ones that pick a slot. */
function mix(h: number): number {
  const x = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return x ^ (x >>> 13);
}

/** Options of {@link TextTable}. */
export interface TextTableOptions {
  /** When a text occurs twice, keep the first index (default: the last, as `Map.set` in order). */
  keepFirst?: boolean;
}

/** Text → index in a list of texts (token ids, merge ranks). Immutable; keeps `texts` (not mutated). */
export class TextTable {
  /** Per slot: index + 1 (0 = empty), then the text's hash. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Hash of each text. */
  private readonly hashes: Int32Array;
  /** P^k for k up to the longest text's length + 1. */
  private readonly powers: Int32Array;

  constructor(
    private readonly texts: readonly string[],
    options: TextTableOptions = {},
  ) {
    let cap = 16;
    while (cap < (4 * texts.length) / 3) cap *= 2; // load factor at most 3/4
    this.slots = new Int32Array(2 * cap);
    this.mask = cap - 1;
    this.hashes = new Int32Array(texts.length);
    let maxLength = 0;
    for (let index = 0; index < texts.length; index++) {
      const text = texts[index] as string;
      const h = hashText(text);
      this.hashes[index] = h;
      maxLength = Math.max(maxLength, text.length);
      const slot = this.slotOf(h, text, "", "");
      if ((this.slots[2 * slot] as number) !== 0 && options.keepFirst) continue;
      this.slots[2 * slot] = index + 1;
      this.slots[2 * slot + 1] = h;
    }
    this.powers = new Int32Array(maxLength + 2);
    this.powers[0] = 1;
    for (let k = 1; k < this.powers.length; k++) this.powers[k] = Math.imul(this.powers[k - 1] as number, P);
  }

  /** Index of `text`, or -1. */
  get(text: string): number {
    return this.find(hashText(text), text, "", "");
  }

  /** Index of the text `a + b + c`, or -1, given that text's hash `h` (see {@link joinHash}). */
  find(h: number, a: string, b: string, c: string): number {
    return (this.slots[2 * this.slotOf(h, a, b, c)] as number) - 1;
  }

  /** Hash of the text at `index`. */
  hashAt(index: number): number {
    return this.hashes[index] as number;
  }

  /**
   * Hash of a text hashed `hA` followed by one hashed `hB` of `lengthB` UTF-16 units; `lengthB`
   * at most this table's longest text + 1 (for a longer one, use hashText(b, 0, b.length, hA)).
   */
  joinHash(hA: number, hB: number, lengthB: number): number {
    return (Math.imul(hA, this.powers[lengthB] as number) + hB) | 0;
  }

  /** The slot holding `a + b + c` (hashed `h`), or the empty slot where it would go. */
  private slotOf(h: number, a: string, b: string, c: string): number {
    const length = a.length + b.length + c.length;
    for (let i = mix(h) & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.slots[2 * i] as number;
      if (entry === 0) return i;
      if (this.slots[2 * i + 1] !== h) continue;
      const t = this.texts[entry - 1] as string;
      if (t.length === length && t.startsWith(a) && t.startsWith(b, a.length) && t.endsWith(c)) return i;
    }
  }
}

/** A growable map from a pair of int32s (e.g. two symbol ids) to an int32 other than MISSING. */
export class PairTable {
  private keys: Int32Array;
  /** Per slot: value ^ MISSING, so that a zeroed slot (never a stored value) is empty. */
  private values: Int32Array;
  private mask: number;
  private count = 0;

  /** @param expected number of pairs to make room for up front. */
  constructor(expected = 0) {
    let cap = 16;
    while (cap < (4 * expected) / 3) cap *= 2; // load factor at most 3/4
    this.keys = new Int32Array(2 * cap);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Number of pairs stored. */
  get size(): number {
    return this.count;
  }

  /** The value of (a, b), or {@link MISSING}. */
  get(a: number, b: number): number {
    for (let i = pairHash(a, b) & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.values[i] as number;
      if (v === 0 || (this.keys[2 * i] === a && this.keys[2 * i + 1] === b)) return v ^ MISSING;
    }
  }

  /** Sets (a, b) to `value` (not MISSING) unless the pair is already present. */
  setIfAbsent(a: number, b: number, value: number): void {
    if (4 * (this.count + 1) > 3 * this.values.length) this.grow();
    let i = pairHash(a, b) & this.mask;
    for (let v = this.values[i]; v !== 0; v = this.values[i]) {
      if (this.keys[2 * i] === a && this.keys[2 * i + 1] === b) return;
      i = (i + 1) & this.mask;
    }
    this.keys[2 * i] = a;
    this.keys[2 * i + 1] = b;
    this.values[i] = value ^ MISSING;
    this.count++;
  }

  /** Removes every pair (keeps the room). */
  clear(): void {
    this.values.fill(0);
    this.count = 0;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Int32Array(2 * keys.length);
    this.values = new Int32Array(2 * values.length);
    this.mask = this.values.length - 1;
    this.count = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v !== 0) this.setIfAbsent(keys[2 * i] as number, keys[2 * i + 1] as number, v ^ MISSING);
    }
  }
}

function pairHash(a: number, b: number): number {
  const h = Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1);
  return h ^ (h >>> 15);
}
