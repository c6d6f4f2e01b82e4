/**
 * MatcherCore for grammars that are not LR(1): a GLR parser over the Pre³ DPDA of an automaton
 * with conflicts. Where a table entry has several actions, the DPDA's leaf forks into one edge
 * per way the reduce loop can end in a shift, and the matcher keeps one stack per live branch
 * (identical stacks merge, so an ambiguity that closes, such as two `anyOf` branches that both
 * end at the same `}`, costs nothing afterwards). A mask is the union of the branches' masks,
 * each computed (and cached) exactly as for a single DPDA stack.
 *
 * A grammar whose branches never merge could need many stacks; past {@link MAX_STACKS} the
 * request continues on the Earley recogniser, replaying its bytes, with the same answers.
 */

import { type Dpda, NodeKind } from "./dpda.js";
import type { DpdaMaskWalker } from "./dpda-mask.js";
import { DpdaStack } from "./dpda-stack.js";
import type { MaskCache } from "./mask-cache.js";
import { type MatcherCore, replayByteHistory } from "./matcher-core.js";

/** Most live stacks before a request moves to the Earley recogniser. */
export const MAX_STACKS = 32;

/** The row each further stack's mask is written to before the union (masks never nest). */
let unionScratch = new Int32Array(0);

function scratchRow(words: number): Int32Array {
  if (unionScratch.length < words) unionScratch = new Int32Array(words);
  return unionScratch;
}

/** GLR engine state of one request. */
export class GlrCore implements MatcherCore {
  /** Live stacks (bottom first), pairwise distinct. */
  private stacks: Int32Array[] = [Int32Array.of(0)];
  /** The stack set before each history entry, and the entry's bytes. */
  private readonly history: Int32Array[][] = [];
  private readonly entries: Uint8Array[] = [];
  /** Set once the stack count passed MAX_STACKS: the rest of the request runs on it. */
  private earley: MatcherCore | null = null;
  /** Scratch stack for masks and acceptance. */
  private readonly scratch: DpdaStack;

  constructor(
    private readonly dpda: Dpda,
    private readonly maxDepth: number,
    private readonly walker: DpdaMaskWalker,
    private readonly cache: MaskCache | null,
    private readonly wordsPerRow: number,
    private readonly newEarley: () => MatcherCore,
  ) {
    this.scratch = new DpdaStack(dpda, maxDepth);
  }

  /** Number of live stacks (1 while the input is unambiguous so far); 0 after the Earley switch. */
  get numStacks(): number {
    return this.earley ? 0 : this.stacks.length;
  }

  /** Whether this request moved to the Earley recogniser. */
  get onEarley(): boolean {
    return this.earley !== null;
  }

  get numEntries(): number {
    return this.earley ? this.earley.numEntries : this.entries.length;
  }

  acceptBytes(bytes: Uint8Array): boolean {
    if (this.earley) return this.earley.acceptBytes(bytes);
    let cur = this.stacks;
    for (const b of bytes) {
      cur = this.step(cur, b);
      if (cur.length === 0) return false;
      if (cur.length > MAX_STACKS) return this.moveToEarley(bytes);
    }
    this.history.push(this.stacks);
    this.entries.push(bytes.slice());
    this.stacks = cur;
    return true;
  }

  rollback(n: number): void {
    if (n <= 0) return;
    if (this.earley) {
      this.earley.rollback(n);
      return;
    }
    const k = this.entries.length - n;
    this.stacks = this.history[k] as Int32Array[];
    this.history.length = k;
    this.entries.length = k;
  }

  isCompleted(): boolean {
    if (this.earley) return this.earley.isCompleted();
    return this.stacks.some((s) => {
      this.scratch.restore(s);
      return this.scratch.isAccepting();
    });
  }

  fillMask(mask: Int32Array, offset: number): void {
    if (this.earley) {
      this.earley.fillMask(mask, offset);
      return;
    }
    // Each stack's mask sets the end-of-generation bits iff that stack accepts: the union is exact.
    const words = this.wordsPerRow;
    this.scratch.restore(this.stacks[0] as Int32Array);
    this.walker.fill(this.scratch, mask, offset, this.cache);
    for (let k = 1; k < this.stacks.length; k++) {
      const row = scratchRow(words);
      this.scratch.restore(this.stacks[k] as Int32Array);
      this.walker.fill(this.scratch, row, 0, this.cache);
      for (let w = 0; w < words; w++) mask[offset + w] = (mask[offset + w] as number) | (row[w] as number);
    }
  }

  save(): unknown {
    if (this.earley) return this.earley.save();
    const bytes: number[] = [];
    for (const e of this.entries) for (const b of e) bytes.push(b);
    return { bytes, lengths: this.entries.map((e) => e.length) };
  }

  load(state: unknown): void {
    replayByteHistory(this, state, "GLR");
  }

  reset(): void {
    this.stacks = [Int32Array.of(0)];
    this.history.length = 0;
    this.entries.length = 0;
    this.earley = null;
  }

  /** Every stack after byte `b` from `stacks` (distinct; empty when all branches reject it). */
  private step(stacks: readonly Int32Array[], b: number): Int32Array[] {
    const dpda = this.dpda;
    const col = dpda.byteToAtom[b] as number;
    const out: Int32Array[] = [];
    if (col < 0) return out;
    let keys: Set<string> | null = null;
    const add = (s: Int32Array | null) => {
      if (!s) return;
      if (out.length > 0 || stacks.length > 1) {
        keys ??= new Set(out.map((x) => x.join(",")));
        const key = s.join(",");
        if (keys.has(key)) return;
        keys.add(key);
      }
      out.push(s);
    };
    for (const s of stacks) {
      const leaf = dpda.select(s, s.length, col);
      const kind = dpda.nodeKind.data[leaf];
      const arg = dpda.nodeEdge.data[leaf] as number;
      if (kind === NodeKind.EDGE) add(this.apply(s, arg));
      else if (kind === NodeKind.FORK)
        for (let k = 0, n = dpda.forkLen.data[arg] as number; k < n; k++)
          add(this.apply(s, dpda.forkPool.data[(dpda.forkStart.data[arg] as number) + k] as number));
    }
    return out;
  }

  /** Stack `s` after edge `e`, or null past the depth limit. */
  private apply(s: Int32Array, e: number): Int32Array | null {
    const dpda = this.dpda;
    const pop = dpda.edgePop.data[e] as number;
    const len = dpda.edgePushLen.data[e] as number;
    const keep = s.length - pop;
    if (keep + len > this.maxDepth) return null;
    const out = new Int32Array(keep + len);
    out.set(s.subarray(0, keep));
    const start = dpda.edgePushStart.data[e] as number;
    out.set(dpda.pushPool.data.subarray(start, start + len), keep);
    return out;
  }

  /** Replays the history on the Earley recogniser, then `bytes`; the request stays there. */
  private moveToEarley(bytes: Uint8Array): boolean {
    const e = this.newEarley();
    for (const entry of this.entries)
      if (!e.acceptBytes(entry)) throw new Error("GLR and Earley disagree on an accepted history");
    if (!e.acceptBytes(bytes)) return false;
    this.earley = e;
    return true;
  }
}
