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
