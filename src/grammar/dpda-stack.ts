/**
 * A DPDA configuration: the stack of LR states, stepped one byte at a time with an undo log, so
 * trie walks and rejected tokens restore it in O(changes). Tracks the deepest stack index any
 * guard read (`lowWater`) and the highest stack size reached (`highWater`), which key the mask
 * cache. The stack grows on demand up to `maxDepth`; a step that would exceed it is rejected.
 */

import { type Dpda, NodeKind } from "./dpda.js";
import { IntVec } from "./int-vec.js";

/** Stack of one DPDA run. Not shared between requests. */
export class DpdaStack {
  stack: Int32Array;
  sp = 1;
  /** Entries popped by logged steps, restored by `undoStep`. */
  readonly undoLog = new IntVec(256);
  /** Lowest stack index read since the last `resetWatermarks`. */
  lowWater = 0;
  /** Highest stack size reached since the last `resetWatermarks`. */
  highWater = 1;
  /** Set when a step was refused for exceeding `maxDepth` since the last `resetWatermarks`. */
  overflowed = false;

  constructor(
    readonly dpda: Dpda,
    readonly maxDepth: number,
  ) {
    this.stack = new Int32Array(64);
    this.reset();
  }

  /** Back to the start configuration (stack = [0]). */
  reset(): void {
    this.stack[0] = 0;
    this.sp = 1;
    this.undoLog.length = 0;
    this.resetWatermarks();
  }

  /** Starts a new watermark measurement from the current configuration. */
  resetWatermarks(): void {
    this.lowWater = this.sp - 1;
    this.highWater = this.sp;
    this.overflowed = false;
  }

  /**
   * Steps byte `b`. On success the popped entries are appended to the undo log (undo with
   * `undoStep(spBefore, undoLenBefore)`); on rejection nothing changes and false is returned.
   */
  step(b: number): boolean {
    return this.stepAbove(b, 0) === 1;
  }

  /**
   * Like `step`, but the stack below index `base` is treated as unknown: returns 1 (stepped),
   * 0 (rejected) or -1 (the outcome depends on entries below `base`; nothing changed).
   */
  stepAbove(b: number, base: number): number {
    const dpda = this.dpda;
    const col = dpda.byteToAtom[b] as number;
    if (col < 0) return 0;
    const leaf = dpda.select(this.stack, this.sp, col, base);
    if (leaf < 0) return -1;
    const readIdx = this.sp - 1 - (dpda.nodeDepth.data[leaf] as number);
    if (readIdx < this.lowWater) this.lowWater = readIdx;
    if (dpda.nodeKind.data[leaf] !== NodeKind.EDGE) return 0;
    const e = dpda.nodeEdge.data[leaf] as number;
    const pop = dpda.edgePop.data[e] as number;
    const len = dpda.edgePushLen.data[e] as number;
    const next = this.sp - pop + len;
    if (next > this.maxDepth) {
      this.overflowed = true;
      return 0;
    }
    if (next > this.stack.length) this.grow(next);
    const stack = this.stack;
    for (let i = this.sp - pop; i < this.sp; i++) this.undoLog.push(stack[i] as number);
    const start = dpda.edgePushStart.data[e] as number;
    const pool = dpda.pushPool.data;
    let at = this.sp - pop;
    for (let i = 0; i < len; i++) stack[at++] = pool[start + i] as number;
    this.sp = next;
    if (next > this.highWater) this.highWater = next;
    return 1;
  }

  /** Undoes the last logged step, which started at stack size `spBefore` and undo length `undoBefore`. */
  undoStep(spBefore: number, undoBefore: number): void {
    const log = this.undoLog;
    const pop = log.length - undoBefore;
    const base = spBefore - pop;
    for (let i = 0; i < pop; i++) this.stack[base + i] = log.data[undoBefore + i] as number;
    log.length = undoBefore;
    this.sp = spBefore;
  }

  /** Whether the input so far is a complete sentence. */
  isAccepting(): boolean {
    return this.acceptingAbove(0) === 1;
  }

  /** Like `isAccepting` with the stack below `base` unknown: 1 yes, 0 no, -1 depends on it. */
  acceptingAbove(base: number): number {
    const leaf = this.dpda.select(this.stack, this.sp, this.dpda.eof, base);
    if (leaf < 0) return -1;
    const readIdx = this.sp - 1 - (this.dpda.nodeDepth.data[leaf] as number);
    if (readIdx < this.lowWater) this.lowWater = readIdx;
    return this.dpda.nodeKind.data[leaf] === NodeKind.ACCEPT ? 1 : 0;
  }

  /** A copy of the stack contents (bottom first). */
  snapshot(): Int32Array {
    return this.stack.slice(0, this.sp);
  }

  /** Replaces the stack contents with `entries` (bottom first) and clears the undo log. */
  restore(entries: ArrayLike<number>): void {
    if (entries.length > this.stack.length) this.grow(entries.length);
    this.stack.set(entries);
    this.sp = entries.length;
    this.undoLog.length = 0;
  }

  private grow(min: number): void {
    let cap = this.stack.length * 2;
    while (cap < min) cap *= 2;
    const next = new Int32Array(cap);
    next.set(this.stack.subarray(0, this.sp));
    this.stack = next;
  }
}
