import type { KvTransfer, TransferStats } from "../runtime/runtime.js";
import type { BlockManager } from "./block-manager.js";
import type { HostBlockPool } from "./host-block-pool.js";

/**
 * How a paused request keeps its KV: `swap` copies what the host lacks, then frees the device
 * blocks; `hybrid` frees them at once, keeping only the host copy already written through
 * (the rest is recomputed on resume); `recompute` keeps nothing.
 */
export type PauseMode = "swap" | "hybrid" | "recompute";

/** Host-side state of one request. */
interface HostCopy {
  /** Per logical block: host block id, or -1. */
  readonly hostBlocks: number[];
  /** Per logical block: tokens valid in the host copy (a completed store). */
  readonly hostTokens: number[];
  /** Transfers in flight that touch this request. */
  readonly inFlight: Set<number>;
  /** Set when the request left (finished or recomputed): host blocks go back once idle. */
  isDropped: boolean;
}

/** A transfer in flight, with what to do when it completes. */
interface Pending {
  readonly transfer: KvTransfer;
  readonly seqId: string;
  readonly logical: readonly number[];
  /** Tokens each copied block holds (stores). */
  readonly tokens: readonly number[];
  /** Device blocks to return to the pool on completion (their request let them go). */
  readonly releaseDevice: number[];
  readonly bytes: number;
  readonly issuedMs: number;
}

/** Counters for metrics. */
export interface OffloadStats {
  numWriteThroughBytes: number;
  numEvictBytes: number;
  numLoadBytes: number;
  numSwapPauses: number;
  numHybridPauses: number;
  numHostFullFallbacks: number;
}

/**
 * The host KV tier's planner (TokenFlow's write-through, evict and load): which device blocks
 * of which request have a host copy, which copies are in flight, and the transfers to issue.
 * Block ids only; the runtime moves the bytes. Every device or host block that a transfer in
 * flight touches stays reserved until the runtime reports the transfer complete.
 */
export class KvOffload {
  readonly stats: OffloadStats = {
    numWriteThroughBytes: 0,
    numEvictBytes: 0,
    numLoadBytes: 0,
    numSwapPauses: 0,
    numHybridPauses: 0,
    numHostFullFallbacks: 0,
  };
  private readonly copies = new Map<string, HostCopy>();
  private readonly pending = new Map<number, Pending>();
  private readonly loading = new Map<string, Set<number>>();
  private nextTransferId = 1;
  private storeBytesInFlight = 0;
  private loadBytesInFlight = 0;
  /** EWMA of the runtime's measured copy bandwidth per direction, bytes/ms (0 = nothing measured yet). */
  storeBytesPerMs = 0;
  loadBytesPerMs = 0;

  constructor(
    private readonly blocks: BlockManager,
    readonly host: HostBlockPool,
    /** Bytes of one KV block (all layers). */
    readonly blockBytes: number,
  ) {}

  /** Bytes of copies queued or running, per direction. */
  get pendingStoreBytes(): number {
    return this.storeBytesInFlight;
  }

  get pendingLoadBytes(): number {
    return this.loadBytesInFlight;
  }

  get numTransfersInFlight(): number {
    return this.pending.size;
  }

  /** Whether `seqId`'s loads are still in flight (it may not run yet). */
  isLoading(seqId: string): boolean {
    return (this.loading.get(seqId)?.size ?? 0) > 0;
  }

  /** Whether `seqId` has copies in flight (a swap-paused request can be resumed only after). */
  hasTransfersInFlight(seqId: string): boolean {
    return (this.copies.get(seqId)?.inFlight.size ?? 0) > 0;
  }

  /** Leading tokens of `seqId` whose KV the host holds completely (what a reload restores). */
  numHostTokens(seqId: string, numComputedTokens: number): number {
    const c = this.copies.get(seqId);
    if (!c) return 0;
    const bt = this.blocks.blockTokens;
    let n = 0;
    for (let i = 0; i * bt < numComputedTokens; i++) {
      const want = Math.min(bt, numComputedTokens - i * bt);
      if ((c.hostTokens[i] ?? 0) < want) break;
      n += want;
    }
    return n;
  }

  /** Bytes a swap pause of `seqId` would still copy out (its unsynced blocks). */
  unsyncedBytes(seqId: string, numComputedTokens: number): number {
    const c = this.copies.get(seqId);
    const bt = this.blocks.blockTokens;
    let n = 0;
    for (let i = 0; i * bt < numComputedTokens; i++)
      if ((c?.hostTokens[i] ?? 0) < Math.min(bt, numComputedTokens - i * bt)) n++;
    return n * this.blockBytes;
  }

  /**
   * Write-through: stores the full, not yet copied blocks of `seqs` (in the given order: the
   * likeliest to be paused first) until `budgetBytes` or the host tier runs out.
   */
  planWriteThrough(
    seqs: readonly { readonly id: string; readonly numComputedTokens: number }[],
    budgetBytes: number,
    nowMs: number,
  ): KvTransfer[] {
    const out: KvTransfer[] = [];
    let budget = Math.floor(budgetBytes / this.blockBytes);
    for (const seq of seqs) {
      if (budget <= 0) break;
      const numFull = Math.floor(seq.numComputedTokens / this.blocks.blockTokens);
      const todo = this.unsyncedBlocks(seq.id, numFull, numFull * this.blocks.blockTokens).slice(0, budget);
      if (todo.length === 0) continue;
      const t = this.store(seq.id, todo, numFull * this.blocks.blockTokens, nowMs, "writeThrough");
      if (!t) break; // the host tier is full
      out.push(t);
      budget -= todo.length;
    }
    return out;
  }

  /**
   * Pauses `seqId` (its device table is given up): `swap` stores its unsynced blocks (device
   * blocks return to the pool as their copies complete, synced ones at once); `hybrid` drops
   * the unsynced tail. Returns the transfers to issue and the tokens the host will hold, or
   * `null` (nothing changed) when the host tier cannot take the blocks.
   */
  pause(
    seqId: string,
    numComputedTokens: number,
    mode: "swap" | "hybrid",
    nowMs: number,
  ): { transfers: KvTransfer[]; numHostTokens: number } | null {
    const bt = this.blocks.blockTokens;
    const numBlocks = Math.ceil(numComputedTokens / bt);
    const transfers: KvTransfer[] = [];
    if (mode === "swap") {
      const todo = this.unsyncedBlocks(seqId, numBlocks, numComputedTokens);
      const c = this.copyOf(seqId);
      const missing = todo.filter((i) => (c.hostBlocks[i] ?? -1) < 0).length;
      if (missing > this.host.numFreeBlocks) {
        this.stats.numHostFullFallbacks++;
        return null;
      }
      const t = this.store(seqId, todo, numComputedTokens, nowMs, "evict");
      if (t) transfers.push(t);
      this.stats.numSwapPauses++;
    } else this.stats.numHybridPauses++;
    this.releaseDeviceTable(seqId);
    return { transfers, numHostTokens: this.numHostTokens(seqId, numComputedTokens) };
  }

  /**
   * Resumes `seqId` from the host: allocates device blocks for its first `numTokens` tokens
   * (a whole number of host-held tokens, see `numHostTokens`) and loads them. Returns the load
   * transfer (none when `numTokens` is 0), or `null` (nothing changed) when the device pool
   * lacks room or copies of it are still in flight.
   */
  resume(seqId: string, numTokens: number, nowMs: number): KvTransfer[] | null {
    if (this.hasTransfersInFlight(seqId)) return null;
    if (numTokens === 0) return [];
    const table = this.blocks.allocateSlots(seqId, numTokens);
    if (!table) return null;
    const c = this.copyOf(seqId);
    const n = Math.ceil(numTokens / this.blocks.blockTokens);
    const logical = Array.from({ length: n }, (_, i) => i);
    const transfer: KvTransfer = {
      id: this.nextTransferId++,
      direction: "load",
      deviceBlocks: table.slice(0, n),
      hostBlocks: logical.map((i) => c.hostBlocks[i] as number),
    };
    this.track(transfer, seqId, logical, [], nowMs);
    this.stats.numLoadBytes += n * this.blockBytes;
    const set = this.loading.get(seqId) ?? new Set<number>();
    this.loading.set(seqId, set);
    set.add(transfer.id);
    return [transfer];
  }

  /**
   * `seqId` left the device and host tiers (finished, aborted, or preempted to recompute):
   * its device blocks return to the pool (after copies in flight), its host copy is dropped.
   */
  drop(seqId: string): void {
    const c = this.copies.get(seqId);
    if (c?.inFlight.size) {
      this.releaseDeviceTable(seqId);
      c.isDropped = true;
      // Park the copy under a key of its own until its copies land, so that the request (if it
      // comes back to recompute) starts a fresh host copy.
      const parked = `${seqId}\u0000dropped${this.nextTransferId++}`;
      this.copies.delete(seqId);
      this.copies.set(parked, c);
      this.loading.delete(seqId);
      for (const id of c.inFlight) {
        const p = this.pending.get(id);
        if (p) this.pending.set(id, { ...p, seqId: parked });
      }
    } else {
      this.blocks.free(seqId);
      if (c) this.freeHost(seqId, c);
    }
  }

  /**
   * Applies completed transfers (ids from the runtime; unknown ids are ignored): host copies
   * become valid, loads finish, reserved blocks go back.
   */
  complete(ids: readonly number[]): void {
    for (const id of ids) {
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      const c = this.copies.get(p.seqId);
      const isStore = p.transfer.direction === "store";
      if (isStore) this.storeBytesInFlight -= p.bytes;
      else this.loadBytesInFlight -= p.bytes;
      if (p.releaseDevice.length > 0) this.blocks.release(p.releaseDevice);
      this.loading.get(p.seqId)?.delete(id);
      if (!c) continue;
      c.inFlight.delete(id);
      if (isStore) for (const [k, i] of p.logical.entries()) c.hostTokens[i] = p.tokens[k] as number;
      if (c.isDropped && c.inFlight.size === 0) this.freeHost(p.seqId, c);
    }
  }

  /**
   * Checks the accounting invariants (tests): each used host block belongs to exactly one copy,
   * each detached device block waits on exactly one transfer in flight.
   */
  checkInvariants(): void {
    const hostSeen = new Set<number>();
    for (const [id, c] of this.copies)
      for (const b of c.hostBlocks) {
        if (b < 0) continue;
        if (hostSeen.has(b)) throw new Error(`host block ${b} held twice (by ${id})`);
        hostSeen.add(b);
      }
    if (hostSeen.size !== this.host.numUsedBlocks)
      throw new Error(`host blocks: ${this.host.numUsedBlocks} used, ${hostSeen.size} held (leak)`);
    const waiting = new Set<number>();
    for (const p of this.pending.values())
      for (const b of p.releaseDevice) {
        if (waiting.has(b)) throw new Error(`device block ${b} released by two transfers`);
        waiting.add(b);
      }
    if (waiting.size !== this.blocks.numDetachedBlocks)
      throw new Error(`${this.blocks.numDetachedBlocks} detached device blocks, ${waiting.size} awaited`);
  }

  /** Host blocks held per request (tests). */
  hostBlocksOf(seqId: string): readonly number[] {
    return this.copies.get(seqId)?.hostBlocks.filter((b) => b >= 0) ?? [];
  }

  private copyOf(seqId: string): HostCopy {
    let c = this.copies.get(seqId);
    if (!c) {
      c = { hostBlocks: [], hostTokens: [], inFlight: new Set(), isDropped: false };
      this.copies.set(seqId, c);
    }
    return c;
  }

  /** Logical blocks below `numBlocks` whose host copy is incomplete and not being written. */
  private unsyncedBlocks(seqId: string, numBlocks: number, numTokens: number): number[] {
    const c = this.copies.get(seqId);
    const bt = this.blocks.blockTokens;
    const busy = new Set<number>();
    for (const id of c?.inFlight ?? []) for (const i of this.pending.get(id)?.logical ?? []) busy.add(i);
    const out: number[] = [];
    for (let i = 0; i < numBlocks; i++) {
      const want = Math.min(bt, numTokens - i * bt);
      if ((c?.hostTokens[i] ?? 0) < want && !busy.has(i)) out.push(i);
    }
    return out;
  }

  /** Issues one store of `logical` blocks of `seqId`, allocating host blocks; `null` if none fit. */
  private store(
    seqId: string,
    logical: readonly number[],
    numTokens: number,
    nowMs: number,
    kind: "writeThrough" | "evict",
  ): KvTransfer | null {
    const table = this.blocks.blockTable(seqId);
    if (!table || logical.length === 0) return null;
    const c = this.copyOf(seqId);
    const missing = logical.filter((i) => (c.hostBlocks[i] ?? -1) < 0);
    const got = this.host.allocate(missing.length);
    if (!got) return null;
    for (const [k, i] of missing.entries()) {
      while (c.hostBlocks.length <= i) {
        c.hostBlocks.push(-1);
        c.hostTokens.push(0);
      }
      c.hostBlocks[i] = got[k] as number;
    }
    const bt = this.blocks.blockTokens;
    const transfer: KvTransfer = {
      id: this.nextTransferId++,
      direction: "store",
      deviceBlocks: logical.map((i) => table[i] as number),
      hostBlocks: logical.map((i) => c.hostBlocks[i] as number),
    };
    const tokens = logical.map((i) => Math.min(bt, numTokens - i * bt));
    this.track(transfer, seqId, logical, tokens, nowMs);
    if (kind === "writeThrough") this.stats.numWriteThroughBytes += logical.length * this.blockBytes;
    else this.stats.numEvictBytes += logical.length * this.blockBytes;
    return transfer;
  }

  private track(
    transfer: KvTransfer,
    seqId: string,
    logical: readonly number[],
    tokens: readonly number[],
    nowMs: number,
  ): void {
    const bytes = logical.length * this.blockBytes;
    this.pending.set(transfer.id, {
      transfer,
      seqId,
      logical,
      tokens,
      releaseDevice: [],
      bytes,
      issuedMs: nowMs,
    });
    this.copyOf(seqId).inFlight.add(transfer.id);
    if (transfer.direction === "store") this.storeBytesInFlight += bytes;
    else this.loadBytesInFlight += bytes;
  }

  /**
   * Gives up `seqId`'s device table: blocks no copy in flight touches return to the pool now,
   * the others when their copy completes.
   */
  private releaseDeviceTable(seqId: string): void {
    const table = this.blocks.detach(seqId);
    const busy = new Map<number, Pending>();
    for (const id of this.copies.get(seqId)?.inFlight ?? []) {
      const p = this.pending.get(id);
      if (p) for (const b of p.transfer.deviceBlocks) busy.set(b, p);
    }
    const now: number[] = [];
    for (const b of table) {
      const p = busy.get(b);
      if (p) p.releaseDevice.push(b);
      else now.push(b);
    }
    this.blocks.release(now);
  }

  private freeHost(seqId: string, c: HostCopy): void {
    this.host.free(c.hostBlocks.filter((b) => b >= 0));
    this.copies.delete(seqId);
    this.loading.delete(seqId);
  }

  /** Updates the bandwidth estimates from the runtime's measured copy volume and busy time. */
  measure(stats: TransferStats): void {
    if (stats.storeMs > 0)
      this.storeBytesPerMs = ewma(this.storeBytesPerMs, stats.storeBytes / stats.storeMs);
    if (stats.loadMs > 0) this.loadBytesPerMs = ewma(this.loadBytesPerMs, stats.loadBytes / stats.loadMs);
  }
}

/** Exponentially weighted average (the first sample is taken as is). */
function ewma(current: number, sample: number): number {
  return current === 0 ? sample : 0.8 * current + 0.2 * sample;
}
