/**
 * MatcherCore over the Pre³ DPDA: the configuration is a DpdaStack; each history entry keeps a
 * snapshot of the stack before it (stacks are shallow: nesting depth, not input length).
 */

import { InvalidArgumentError } from "../errors.js";
import type { Dpda } from "./dpda.js";
import type { DpdaMaskWalker } from "./dpda-mask.js";
import { DpdaStack } from "./dpda-stack.js";
import { IntVec } from "./int-vec.js";
import type { MaskCache } from "./mask-cache.js";
import type { MatcherCore } from "./matcher-core.js";

/** DPDA engine state of one request. */
export class DpdaCore implements MatcherCore {
  readonly st: DpdaStack;
  /** Stack snapshots before each entry: entries of snapshot k are `pool[starts[k] .. starts[k + 1])`. */
  private readonly pool = new IntVec(256);
  private readonly starts = new IntVec(64);

  constructor(
    dpda: Dpda,
    private readonly numStates: number,
    maxDepth: number,
    private readonly walker: DpdaMaskWalker,
    private readonly cache: MaskCache | null,
  ) {
    this.st = new DpdaStack(dpda, maxDepth);
  }

  get numEntries(): number {
    return this.starts.length;
  }

  acceptBytes(bytes: Uint8Array): boolean {
    const st = this.st;
    const sp0 = st.sp;
    const start = this.pool.length;
    for (let i = 0; i < sp0; i++) this.pool.push(st.stack[i] as number);
    st.undoLog.length = 0;
    for (const b of bytes) {
      if (!st.step(b)) {
        st.restore(this.pool.data.subarray(start, start + sp0));
        this.pool.length = start;
        return false;
      }
    }
    st.undoLog.length = 0;
    this.starts.push(start);
    return true;
  }

  rollback(n: number): void {
    if (n <= 0) return;
    const k = this.starts.length - n;
    const start = this.starts.data[k] as number;
    const end = k + 1 < this.starts.length ? (this.starts.data[k + 1] as number) : this.pool.length;
    this.st.restore(this.pool.data.subarray(start, end));
    this.starts.length = k;
    this.pool.length = start;
  }

  isCompleted(): boolean {
    return this.st.isAccepting();
  }

  fillMask(mask: Int32Array, offset: number): void {
    this.walker.fill(this.st, mask, offset, this.cache);
  }

  save(): unknown {
    const history: number[][] = [];
    for (let k = 0; k < this.starts.length; k++) {
      const end = k + 1 < this.starts.length ? (this.starts.data[k + 1] as number) : this.pool.length;
      history.push(Array.from(this.pool.data.subarray(this.starts.data[k] as number, end)));
    }
    return { stack: Array.from(this.st.snapshot()), history };
  }

  load(state: unknown): void {
    const s = state as { stack?: unknown; history?: unknown };
    const stack = this.checkStack(s.stack);
    if (!Array.isArray(s.history))
      throw new InvalidArgumentError("matcher state: history must be an array", "state");
    this.reset();
    for (const h of s.history) {
      this.starts.push(this.pool.length);
      for (const v of this.checkStack(h)) this.pool.push(v);
    }
    this.st.restore(stack);
  }

  reset(): void {
    this.st.reset();
    this.pool.length = 0;
    this.starts.length = 0;
  }

  private checkStack(v: unknown): number[] {
    const ok =
      Array.isArray(v) &&
      v.length > 0 &&
      v[0] === 0 &&
      v.every((x) => Number.isInteger(x) && x >= 0 && x < this.numStates);
    if (!ok) throw new InvalidArgumentError("matcher state: invalid DPDA stack", "state");
    return v as number[];
  }
}
