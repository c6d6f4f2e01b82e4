/**
 * KV transfers of the native runtime, TypeScript side: packing a step's {@link KvTransfer}s
 * into the addon's typed arrays (`transferIds`, `transferIsLoad`, `transferStart`,
 * `transferDeviceBlocks`, `transferHostBlocks`) and turning the addon's completion reports into
 * plain arrays. The addon checks ranges and conflicts with the copies in flight and the step's
 * rows; this module checks only what typed arrays would silently mangle (non-integers, sizes).
 */
import { InvalidArgumentError } from "../errors.js";
import type { NativeStepInput, NativeTransferReport } from "./addon-types.js";
import type { KvTransfer } from "./runtime.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Transfers completed since the previous report, in completion order; each transfer is reported
 * exactly once. Arrays are owned by the caller.
 */
export interface TransferReport {
  /** Ids of the completed transfers. */
  readonly completedTransferIds: readonly number[];
  /** Whether each was a load (else a store). */
  readonly completedTransferIsLoad: readonly boolean[];
  /** Bytes each one copied. */
  readonly completedTransferBytes: readonly number[];
  /** Copy-thread time each one took, ms (bytes / ms = its bandwidth). */
  readonly completedTransferMs: readonly number[];
  /** Issue-to-completion time of each one, ms (queueing included). */
  readonly completedTransferLatencyMs: readonly number[];
  /** Sum of `completedTransferBytes`. */
  readonly transferBytes: number;
  /** Sum of `completedTransferMs`. */
  readonly transferMs: number;
}

/** A report of nothing. */
export const EMPTY_TRANSFER_REPORT: TransferReport = {
  completedTransferIds: [],
  completedTransferIsLoad: [],
  completedTransferBytes: [],
  completedTransferMs: [],
  completedTransferLatencyMs: [],
  transferBytes: 0,
  transferMs: 0,
};

/** Copies the addon's report into plain arrays. */
export function toTransferReport(r: NativeTransferReport): TransferReport {
  return {
    completedTransferIds: Array.from(r.completedTransferIds),
    completedTransferIsLoad: Array.from(r.completedTransferIsLoad, (x) => x === 1),
    completedTransferBytes: Array.from(r.completedTransferBytes),
    completedTransferMs: Array.from(r.completedTransferMs),
    completedTransferLatencyMs: Array.from(r.completedTransferLatencyMs),
    transferBytes: r.transferBytes,
    transferMs: r.transferMs,
  };
}

/** `a` then `b` (two reports of one step: its forward half and its sampling half). */
export function mergeTransferReports(a: TransferReport, b: TransferReport): TransferReport {
  if (b.completedTransferIds.length === 0) return a;
  if (a.completedTransferIds.length === 0) return b;
  return {
    completedTransferIds: [...a.completedTransferIds, ...b.completedTransferIds],
    completedTransferIsLoad: [...a.completedTransferIsLoad, ...b.completedTransferIsLoad],
    completedTransferBytes: [...a.completedTransferBytes, ...b.completedTransferBytes],
    completedTransferMs: [...a.completedTransferMs, ...b.completedTransferMs],
    completedTransferLatencyMs: [...a.completedTransferLatencyMs, ...b.completedTransferLatencyMs],
    transferBytes: a.transferBytes + b.transferBytes,
    transferMs: a.transferMs + b.transferMs,
  };
}

function checkInt32(value: number, min: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > INT32_MAX)
    throw new InvalidArgumentError(`${what} must be an integer in [${min}, ${INT32_MAX}] (got ${value})`);
}

/** Packs transfers into typed arrays it owns and reuses (grown geometrically). */
export class TransferPacker {
  private ids = new Int32Array(16);
  private isLoad = new Uint8Array(16);
  private start = new Int32Array(17);
  private device = new Int32Array(64);
  private host = new Int32Array(64);

  /**
   * Sets the transfer fields of `input` (`numTransfers` 0 when `transfers` is empty). Throws
   * InvalidArgumentError naming `transfers[k]` for a non-integer id or block, an unknown
   * direction, or block lists of different or zero length.
   */
  pack(input: NativeStepInput, transfers: readonly KvTransfer[]): void {
    const n = transfers.length;
    input.numTransfers = n;
    if (n === 0) return;
    let pairs = 0;
    for (const [k, t] of transfers.entries()) {
      checkInt32(t.id, INT32_MIN, `transfers[${k}].id`);
      if (t.direction !== "store" && t.direction !== "load")
        throw new InvalidArgumentError(`transfers[${k}].direction must be "store" or "load"`);
      if (t.deviceBlocks.length === 0 || t.deviceBlocks.length !== t.hostBlocks.length)
        throw new InvalidArgumentError(
          `transfers[${k}] needs as many host blocks as device blocks, at least one (${t.deviceBlocks.length} vs ${t.hostBlocks.length})`,
        );
      pairs += t.deviceBlocks.length;
    }
    this.reserve(n, pairs);
    let p = 0;
    for (const [k, t] of transfers.entries()) {
      this.ids[k] = t.id;
      this.isLoad[k] = t.direction === "load" ? 1 : 0;
      this.start[k] = p;
      for (let i = 0; i < t.deviceBlocks.length; i++, p++) {
        const d = t.deviceBlocks[i] as number;
        const h = t.hostBlocks[i] as number;
        checkInt32(d, 0, `transfers[${k}].deviceBlocks[${i}]`);
        checkInt32(h, 0, `transfers[${k}].hostBlocks[${i}]`);
        this.device[p] = d;
        this.host[p] = h;
      }
    }
    this.start[n] = p;
    input.transferIds = this.ids;
    input.transferIsLoad = this.isLoad;
    input.transferStart = this.start;
    input.transferDeviceBlocks = this.device;
    input.transferHostBlocks = this.host;
  }

  private reserve(n: number, pairs: number): void {
    if (this.ids.length < n) {
      const size = Math.max(n, this.ids.length * 2);
      this.ids = new Int32Array(size);
      this.isLoad = new Uint8Array(size);
      this.start = new Int32Array(size + 1);
    }
    if (this.device.length < pairs) {
      const size = Math.max(pairs, this.device.length * 2);
      this.device = new Int32Array(size);
      this.host = new Int32Array(size);
    }
  }
}
