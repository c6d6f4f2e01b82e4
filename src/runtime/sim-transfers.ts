/**
 * KV transfers of the simulated runtime in virtual time: one FIFO queue per direction over the
 * host link, each transfer's completion time from the cost model, and the per-block locks that
 * catch a caller racing a copy (reading a block still loading, reloading data not yet stored).
 */
import { InvalidArgumentError, UnsupportedError } from "../errors.js";
import type { KvTransfer, TransferStats } from "./runtime.js";
import { countCopies, transferMs } from "./sim-cost-model.js";
import type { SimKvTier } from "./sim-kv-tier.js";
import type { SimHostLink } from "./sim-profiles.js";

const NO_BLOCKS: ReadonlySet<number> = new Set();

/** A transfer issued and not yet reported complete. */
interface InFlight {
  readonly transfer: KvTransfer;
  /** Virtual time at which its last byte lands, ms. */
  readonly endMs: number;
  /** Time the copy itself takes (ms), queueing excluded. */
  readonly copyMs: number;
  /** Issue order, to break ties between equal end times. */
  readonly seq: number;
}

/** Blocks this step's transfers touch, per role (checked together with the in-flight locks). */
interface StepClaims {
  readonly loadDevice: Set<number>;
  readonly storeDevice: Set<number>;
  readonly storeHost: Set<number>;
  readonly loadHost: Set<number>;
}

/**
 * The simulated copy engines. A block's lock lasts from issue until the transfer is reported
 * complete (the caller's view), not merely until its virtual end time.
 */
export class SimTransferQueues {
  private readonly inFlight = new Map<number, InFlight>();
  private readonly freeAtMs = { store: 0, load: 0 };
  private readonly deviceLoading: Uint8Array;
  private readonly deviceStoring: Int32Array;
  private readonly hostStoring: Uint8Array;
  private readonly hostLoading: Int32Array;
  private numIssued = 0;
  private numLoads = 0;

  /** Bytes and copy time of transfers reported complete since the last `takeStats`. */
  private measured = { storeBytes: 0, storeMs: 0, loadBytes: 0, loadMs: 0 };

  /** Returns and resets the copy volume and time of transfers reported complete since the last call. */
  takeStats(): TransferStats {
    const out = this.measured;
    this.measured = { storeBytes: 0, storeMs: 0, loadBytes: 0, loadMs: 0 };
    return out;
  }

  constructor(
    private readonly link: SimHostLink,
    private readonly blockBytes: number,
    private readonly device: SimKvTier,
    private readonly host: SimKvTier,
  ) {
    this.deviceLoading = new Uint8Array(device.numBlocks);
    this.deviceStoring = new Int32Array(device.numBlocks);
    this.hostStoring = new Uint8Array(host.numBlocks);
    this.hostLoading = new Int32Array(host.numBlocks);
  }

  /** Transfers issued and not yet reported. */
  get numInFlight(): number {
    return this.inFlight.size;
  }

  /** Loads issued and not yet reported. */
  get numLoadsInFlight(): number {
    return this.numLoads;
  }

  /** Whether device block `block` is the target of a load not yet reported complete. */
  isLoading(block: number): boolean {
    return this.deviceLoading[block] === 1;
  }

  /**
   * Checks a step's transfers against each other and against those in flight; throws
   * InvalidArgumentError (UnsupportedError without a host tier). Returns the device blocks this
   * step starts loading (rows may not use them either).
   */
  validate(transfers: readonly KvTransfer[]): ReadonlySet<number> {
    if (transfers.length === 0) return NO_BLOCKS;
    const claims: StepClaims = {
      loadDevice: new Set(),
      storeDevice: new Set(),
      storeHost: new Set(),
      loadHost: new Set(),
    };
    if (this.host.numBlocks === 0)
      throw new UnsupportedError("the sim runtime has no host KV tier (hostKvBytes is 0)");
    const ids = new Set<number>();
    for (const t of transfers) {
      if (!Number.isInteger(t.id) || this.inFlight.has(t.id) || ids.has(t.id))
        throw new InvalidArgumentError(`transfer id ${t.id} is not an integer or already in flight`);
      ids.add(t.id);
      this.validateOne(t, claims);
    }
    return claims.loadDevice;
  }

  /** Starts `transfers` (validated) at `nowMs`: copies the data now, schedules completion. */
  issue(transfers: readonly KvTransfer[], nowMs: number): void {
    for (const t of transfers) {
      const isStore = t.direction === "store";
      const n = t.deviceBlocks.length;
      const ms = transferMs(
        this.link,
        t.direction,
        n * this.blockBytes,
        countCopies(t.deviceBlocks, t.hostBlocks),
      );
      const startMs = Math.max(nowMs, this.freeAtMs[t.direction]);
      this.freeAtMs[t.direction] = startMs + ms;
      this.inFlight.set(t.id, { transfer: t, endMs: startMs + ms, seq: this.numIssued++, copyMs: ms });
      if (!isStore) this.numLoads++;
      for (let i = 0; i < n; i++) {
        const d = t.deviceBlocks[i] as number;
        const h = t.hostBlocks[i] as number;
        // The copy reads its source as of the step's start (before the step's own KV writes).
        if (isStore) {
          this.host.copyBlockFrom(this.device, d, h);
          this.deviceStoring[d] = (this.deviceStoring[d] as number) + 1;
          this.hostStoring[h] = 1;
        } else {
          this.device.copyBlockFrom(this.host, h, d);
          this.deviceLoading[d] = 1;
          this.hostLoading[h] = (this.hostLoading[h] as number) + 1;
        }
      }
    }
  }

  /** Earliest end time of the transfers in flight, ms; null when none. */
  nextEndMs(): number | null {
    let min: number | null = null;
    for (const f of this.inFlight.values()) if (min === null || f.endMs < min) min = f.endMs;
    return min;
  }

  /** Reports (and unlocks) every transfer ending at or before `nowMs`, in completion order. */
  completeUntil(nowMs: number): number[] {
    const done = [...this.inFlight.values()].filter((f) => f.endMs <= nowMs);
    done.sort((a, b) => a.endMs - b.endMs || a.seq - b.seq);
    for (const f of done) {
      this.inFlight.delete(f.transfer.id);
      const t = f.transfer;
      const bytes = t.deviceBlocks.length * this.blockBytes;
      if (t.direction === "store") {
        this.measured.storeBytes += bytes;
        this.measured.storeMs += f.copyMs;
      } else {
        this.measured.loadBytes += bytes;
        this.measured.loadMs += f.copyMs;
      }
      if (t.direction === "load") this.numLoads--;
      for (let i = 0; i < t.deviceBlocks.length; i++) {
        const d = t.deviceBlocks[i] as number;
        const h = t.hostBlocks[i] as number;
        if (t.direction === "store") {
          this.deviceStoring[d] = (this.deviceStoring[d] as number) - 1;
          this.hostStoring[h] = 0;
        } else {
          this.deviceLoading[d] = 0;
          this.hostLoading[h] = (this.hostLoading[h] as number) - 1;
        }
      }
    }
    return done.map((f) => f.transfer.id);
  }

  private validateOne(t: KvTransfer, claims: StepClaims): void {
    const where = `transfer ${t.id}`;
    if (t.direction !== "store" && t.direction !== "load")
      throw new InvalidArgumentError(`${where}: direction must be "store" or "load"`);
    const n = t.deviceBlocks.length;
    if (n === 0 || n !== t.hostBlocks.length)
      throw new InvalidArgumentError(
        `${where}: needs as many host blocks as device blocks, at least one (${n} vs ${t.hostBlocks.length})`,
      );
    for (let i = 0; i < n; i++) {
      const d = t.deviceBlocks[i] as number;
      const h = t.hostBlocks[i] as number;
      checkBlock(d, this.device.numBlocks, `${where}: device block`);
      checkBlock(h, this.host.numBlocks, `${where}: host block`);
      const problem =
        t.direction === "store" ? this.storeConflict(d, h, claims) : this.loadConflict(d, h, claims);
      if (problem) throw new InvalidArgumentError(`${where}: ${problem}`);
    }
  }

  private storeConflict(d: number, h: number, c: StepClaims): string | null {
    if (this.deviceLoading[d] || c.loadDevice.has(d)) return `device block ${d} is still loading`;
    if (this.hostStoring[h] || c.storeHost.has(h)) return `host block ${h} is already being stored`;
    if (this.hostLoading[h] || c.loadHost.has(h)) return `host block ${h} is being loaded from`;
    c.storeDevice.add(d);
    c.storeHost.add(h);
    return null;
  }

  private loadConflict(d: number, h: number, c: StepClaims): string | null {
    if (this.deviceLoading[d] || c.loadDevice.has(d)) return `device block ${d} is already loading`;
    if (this.deviceStoring[d] || c.storeDevice.has(d)) return `device block ${d} is being stored`;
    if (this.hostStoring[h] || c.storeHost.has(h)) return `host block ${h} is still being stored`;
    c.loadDevice.add(d);
    c.loadHost.add(h);
    return null;
  }
}

function checkBlock(id: number, numBlocks: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= numBlocks)
    throw new InvalidArgumentError(`${what} ${id} out of range [0, ${numBlocks})`);
}
