/**
 * The priority queue of candidate merges shared by the SPM and byte-level BPE encoders: pops the
 * candidate with the lowest `priority`, ties going to the leftmost (lowest `left`), exactly as
 * llama.cpp's `llm_bigram_spm` / `llm_bigram_bpe` comparators order them.
 */

/** A candidate merge of symbol `left` with symbol `right`. */
export interface MergeCandidate {
  /** Lower pops first (BPE: merge rank; SPM: minus the merged token's score). */
  priority: number;
  /** Index of the left symbol (text order). */
  left: number;
  right: number;
  /** Combined length (UTF-16 units) of both symbols when the candidate was made. */
  size: number;
}

/** A binary min-heap of {@link MergeCandidate}s. */
export class MergeQueue {
  private readonly heap: MergeCandidate[] = [];

  /** Number of queued candidates. */
  get size(): number {
    return this.heap.length;
  }

  /** Adds a candidate. */
  push(c: MergeCandidate): void {
    const h = this.heap;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as MergeCandidate;
      if (!before(c, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = c;
  }

  /** Removes and returns the first candidate, or `undefined` when empty. */
  pop(): MergeCandidate | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(h[r] as MergeCandidate, h[l] as MergeCandidate) ? r : l;
      const c = h[child] as MergeCandidate;
      if (!before(c, last)) break;
      h[i] = c;
      i = child;
    }
    h[i] = last;
    return top;
  }
}

function before(a: MergeCandidate, b: MergeCandidate): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.left < b.left);
}

/**
 * Merges adjacent symbols greedily, always taking the candidate pair with the lowest priority
 * (leftmost on ties) until none is left; returns the final symbols in order. `priorityOf`
 * returns `null` for a pair that cannot merge. `symbols` is consumed (modified in place).
 */
export function mergeSymbols(
  symbols: string[],
  priorityOf: (left: string, right: string) => number | null,
): string[] {
  const n = symbols.length;
  if (n < 2) return symbols;
  const prev = new Int32Array(n);
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  const queue = new MergeQueue();
  const tryAdd = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const a = symbols[left] as string;
    const b = symbols[right] as string;
    const priority = priorityOf(a, b);
    if (priority !== null) queue.push({ priority, left, right, size: a.length + b.length });
  };
  for (let i = 1; i < n; i++) tryAdd(i - 1, i);
  for (let c = queue.pop(); c !== undefined; c = queue.pop()) {
    const a = symbols[c.left] as string;
    const b = symbols[c.right] as string;
    // Stale: one side was merged away or grew since the candidate was queued.
    if (a.length === 0 || b.length === 0 || a.length + b.length !== c.size) continue;
    symbols[c.left] = a + b;
    symbols[c.right] = "";
    const after = next[c.right] as number;
    next[c.left] = after;
    if (after >= 0) prev[after] = c.left;
    tryAdd(prev[c.left] as number, c.left);
    tryAdd(c.left, after);
  }
  return symbols.filter((s) => s.length > 0);
}

/** How symbol ids merge: rules found by pair, each with a priority and a resulting id. */
export interface SymbolRules {
  /** The rule merging symbol `left` with the symbol `right` after it, or -1 when none does. */
  find(left: number, right: number): number;
  /** Priority of a rule (lower merges first). */
  priority(rule: number): number;
  /** Symbol id that a rule's merge of symbol `left` with `right` produces. */
  result(rule: number, left: number, right: number): number;
}

/** Scratch room of a new SymbolMerger, in symbols. */
const INITIAL_SYMBOLS = 256;
/** Scratch room kept between calls, in symbols (a longer text's room is given back). */
const MAX_KEPT_SYMBOLS = 1 << 16;

/**
 * {@link mergeSymbols} over symbol ids, with the candidates in typed arrays (a heap of
 * candidate indices) instead of objects: a long SPM fragment queues millions of candidates.
 * One per encoder; its scratch space is reused between calls.
 */
export class SymbolMerger {
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  // Candidate c: merge symbol left[c] with right[c], queued when their lengths summed to size[c].
  private priorities = new Float64Array(0);
  private lefts = new Int32Array(0);
  private rights = new Int32Array(0);
  private sizes = new Int32Array(0);
  private rules = new Int32Array(0);
  /** Min-heap of candidate indices (lowest priority, then leftmost, first). */
  private heap = new Int32Array(0);
  private numCandidates = 0;
  private heapSize = 0;

  constructor(private readonly symbolRules: SymbolRules) {
    // Room for typical words up front: growing replaces the arrays, which deoptimizes callers.
    this.reserve(INITIAL_SYMBOLS);
  }

  /**
   * Merges `ids[0, n)` (symbol ids; `lens` their lengths, which only tell stale candidates
   * apart) in place, exactly as mergeSymbols; returns the number of symbols left, which are
   * then `ids[0, count)`. Both arrays are the caller's; `lens` is overwritten.
   */
  merge(ids: Int32Array, lens: Int32Array, n: number): number {
    this.reserve(n);
    const { prev, next } = this;
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    this.numCandidates = 0;
    this.heapSize = 0;
    for (let i = 1; i < n; i++) this.tryAdd(ids, lens, i - 1, i);
    while (this.heapSize > 0) {
      const c = this.pop();
      const left = this.lefts[c] as number;
      const right = this.rights[c] as number;
      const a = lens[left] as number;
      const b = lens[right] as number;
      if (a === 0 || b === 0 || a + b !== this.sizes[c]) continue; // stale, as in mergeSymbols
      ids[left] = this.symbolRules.result(this.rules[c] as number, ids[left] as number, ids[right] as number);
      lens[left] = a + b;
      lens[right] = 0;
      const after = next[right] as number;
      next[left] = after;
      if (after >= 0) prev[after] = left;
      this.tryAdd(ids, lens, prev[left] as number, left);
      this.tryAdd(ids, lens, left, after);
    }
    let count = 0;
    for (let i = 0; i < n; i++) if ((lens[i] as number) > 0) ids[count++] = ids[i] as number;
    if (this.prev.length > MAX_KEPT_SYMBOLS) this.reserve(INITIAL_SYMBOLS, true); // give a huge text's room back
    return count;
  }

  private tryAdd(ids: Int32Array, lens: Int32Array, left: number, right: number): void {
    if (left < 0 || right < 0) return;
    const rule = this.symbolRules.find(ids[left] as number, ids[right] as number);
    if (rule < 0) return;
    // At most n - 1 initial candidates and 2 per merge (n - 1 merges at most): 3n fit.
    const c = this.numCandidates++;
    this.priorities[c] = this.symbolRules.priority(rule);
    this.lefts[c] = left;
    this.rights[c] = right;
    this.sizes[c] = (lens[left] as number) + (lens[right] as number);
    this.rules[c] = rule;
    this.push(c);
  }

  /** Whether candidate x pops before candidate y. */
  private before(x: number, y: number): boolean {
    const px = this.priorities[x] as number;
    const py = this.priorities[y] as number;
    return px < py || (px === py && (this.lefts[x] as number) < (this.lefts[y] as number));
  }

  private push(c: number): void {
    const h = this.heap;
    let i = this.heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as number;
      if (!this.before(c, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = c;
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0] as number;
    const last = h[--this.heapSize] as number;
    const n = this.heapSize;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.before(h[r] as number, h[l] as number) ? r : l;
      const c = h[child] as number;
      if (!this.before(c, last)) break;
      h[i] = c;
      i = child;
    }
    h[i] = last;
    return top;
  }

  /** Makes room for `n` symbols and their 3n candidates (`shrink`: exactly that room). */
  private reserve(n: number, shrink = false): void {
    if (this.prev.length >= n && !shrink) return;
    const cap = shrink ? n : Math.max(n, 2 * this.prev.length);
    this.prev = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.priorities = new Float64Array(3 * cap);
    this.lefts = new Int32Array(3 * cap);
    this.rights = new Int32Array(3 * cap);
    this.sizes = new Int32Array(3 * cap);
    this.rules = new Int32Array(3 * cap);
    this.heap = new Int32Array(3 * cap);
  }
}
