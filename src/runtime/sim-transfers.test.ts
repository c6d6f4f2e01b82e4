import { describe, expect, it } from "vitest";
import { InvalidArgumentError, UnsupportedError } from "../errors.js";
import { type KvTransfer, type RuntimeRow, VirtualClock } from "./runtime.js";
import { countCopies, transferMs } from "./sim-cost-model.js";
import { simProfile } from "./sim-profiles.js";
import { SimRuntime } from "./sim-runtime.js";

const PROFILE = simProfile("h200-llama3-8b");
const LINK = PROFILE.hostLink;
const BLOCK_BYTES = PROFILE.model.kvBytesPerToken * 16;

function makeSim(numHostBlocks = 512) {
  const clock = new VirtualClock();
  const sim = SimRuntime.create(PROFILE, {
    clock,
    kvCacheBytes: 512 * BLOCK_BYTES,
    hostKvBytes: numHostBlocks * BLOCK_BYTES,
  });
  return { sim, clock };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const store = (id: number, deviceBlocks: number[], hostBlocks: number[]): KvTransfer => ({
  id,
  direction: "store",
  deviceBlocks,
  hostBlocks,
});
const load = (id: number, deviceBlocks: number[], hostBlocks: number[]): KvTransfer => ({
  id,
  direction: "load",
  deviceBlocks,
  hostBlocks,
});

/** A small one-row step on block 511, the same each time (keeps the GPU busy during transfers). */
function busyRow(ctx: number): RuntimeRow {
  return {
    tokens: Array.from({ length: ctx }, (_, i) => 1 + i),
    contextLen: ctx,
    blockTable: [511],
    sample: {},
  };
}

describe("SimRuntime transfers", () => {
  it("completes a transfer after bytes / bandwidth, reported by the first step ending after it", async () => {
    const { sim, clock } = makeSim();
    const rows = [busyRow(4)];
    const first = await sim.step({ rows, transfers: [store(1, range(0, 400), range(0, 400))] });
    const stepMs = first.forwardMs + first.sampleMs;
    const copyMs = transferMs(LINK, "store", 400 * BLOCK_BYTES, 1); // 839 MB at 54.6 GB/s ≈ 15.4 ms
    expect(copyMs).toBeCloseTo(0.0104 + (1000 * 400 * BLOCK_BYTES) / 54.6e9, 9);
    expect(copyMs).toBeGreaterThan(2 * stepMs);
    expect(first.completedTransferIds).toBeUndefined();
    const ends: number[] = [];
    let reportedAt = -1;
    for (let s = 0; s < 40 && reportedAt < 0; s++) {
      const out = await sim.step({ rows });
      ends.push(clock.now());
      if (out.completedTransferIds) {
        expect(out.completedTransferIds).toEqual([1]);
        reportedAt = clock.now();
      }
    }
    // Reported by the first step ending at or after the copy's end, not by the one before.
    expect(reportedAt).toBeGreaterThanOrEqual(copyMs);
    expect(reportedAt - stepMs).toBeLessThan(copyMs);
    // Compute is not slowed by the copy: every step took the same time.
    const gaps = ends.map((t, i) => t - (i === 0 ? stepMs : (ends[i - 1] as number)));
    for (const g of gaps) expect(g).toBeCloseTo(stepMs, 9);
    expect(sim.stats()).toMatchObject({ numBlocksStored: 400, numBlocksLoaded: 0 });
  });

  it("queues each direction FIFO, runs the two directions concurrently", async () => {
    const { sim, clock } = makeSim();
    // A step without rows waits for the next completion.
    const oneMs = transferMs(LINK, "store", 20 * BLOCK_BYTES, 1);
    const loadMs = transferMs(LINK, "load", 20 * BLOCK_BYTES, 1);
    await sim.step({ rows: [busyRow(3)] }); // something to load later
    await sim.step({ rows: [], transfers: [store(9, [511], [63])] });
    const t0 = clock.now();
    const a = await sim.step({
      rows: [],
      transfers: [
        store(1, range(0, 20), range(0, 20)),
        store(2, range(20, 20), range(20, 20)),
        load(3, range(40, 20), [63, ...range(40, 19)]),
      ],
    });
    expect(a.completedTransferIds).toEqual([1]);
    expect(clock.now() - t0).toBeCloseTo(oneMs, 9);
    const b = await sim.step({ rows: [] });
    // The load (two copies: host 63, then 40..58) ran beside the stores and ends next.
    const loadTwoCopies = loadMs + LINK.loadCopyLatencyMs;
    expect(b.completedTransferIds).toEqual([3]);
    expect(clock.now() - t0).toBeCloseTo(loadTwoCopies, 9);
    const c = await sim.step({ rows: [] });
    expect(c.completedTransferIds).toEqual([2]);
    expect(clock.now() - t0).toBeCloseTo(2 * oneMs, 9);
    await expect(sim.step({ rows: [] })).rejects.toThrow(/at least one row/);
  });

  it("charges one copy per contiguous run: scattered blocks are slower", async () => {
    expect(countCopies([1, 3, 5, 7], [0, 1, 2, 3])).toBe(4);
    const { sim, clock } = makeSim();
    await sim.step({ rows: [], transfers: [store(1, [1, 3, 5, 7], range(0, 4))] });
    expect(clock.now()).toBeCloseTo(transferMs(LINK, "store", 4 * BLOCK_BYTES, 4), 9);
  });

  it("a reload restores the KV: same next tokens as without preemption", async () => {
    const tokensAfter = async (preempt: "none" | "reload" | "wrong") => {
      const { sim } = makeSim();
      const p = Array.from({ length: 40 }, (_, i) => 100 + i);
      let table = [0, 1, 2, 3, 4];
      let out = await sim.step({ rows: [{ tokens: p, contextLen: 40, blockTable: table, sample: {} }] });
      const produced: number[] = [];
      for (let s = 0; s < 30; s++) {
        const last = out.tokens[0] as number;
        produced.push(last);
        if (s === 10 && preempt !== "none") {
          await sim.step({ rows: [], transfers: [store(1, table, range(5, 5))] });
          const host = preempt === "reload" ? range(5, 5) : [6, 5, 7, 8, 9]; // "wrong": blocks 0, 1 swapped
          table = range(50, 5);
          await sim.step({ rows: [], transfers: [load(2, table, host)] });
        }
        out = await sim.step({
          rows: [{ tokens: [last], contextLen: 41 + s, blockTable: table, sample: {}, decode: true }],
        });
      }
      return produced;
    };
    const base = await tokensAfter("none");
    expect(await tokensAfter("reload")).toEqual(base);
    const wrong = await tokensAfter("wrong");
    expect(wrong.slice(0, 11)).toEqual(base.slice(0, 11));
    expect(wrong.slice(11)).not.toEqual(base.slice(11));
  });

  it("rejects invalid or racing transfers", async () => {
    const { sim } = makeSim(512);
    const rows = [busyRow(2)];
    const bad: [KvTransfer[], RegExp][] = [
      [[store(1, [0, 1], [0])], /as many host blocks/],
      [[store(1, [], [])], /at least one/],
      [[store(1, [512], [0])], /device block 512 out of range/],
      [[load(1, [0], [512])], /host block 512 out of range/],
      [[store(1, [0], [0]), store(1, [1], [1])], /already in flight/],
      [[store(1, [0], [0]), store(2, [1], [0])], /already being stored/],
      [[store(1, [0], [0]), load(2, [1], [0])], /still being stored/],
      [[load(1, [3], [0]), load(2, [3], [1])], /already loading/],
      [[load(1, [511], [2])], /still loading/], // the row reads block 511
      [[{ id: 1, direction: "copy" as "load", deviceBlocks: [0], hostBlocks: [0] }], /direction/],
    ];
    for (const [transfers, message] of bad) {
      const p = sim.step({ rows, transfers });
      await expect(p).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(sim.step({ rows, transfers })).rejects.toThrow(message);
    }
    expect(sim.numTransfersInFlight).toBe(0);
    await sim.step({ rows, transfers: [store(7, range(0, 300), range(0, 300))] }); // ≈11.5 ms
    expect(sim.numTransfersInFlight).toBe(1);
    await expect(sim.step({ rows, transfers: [store(7, [400], [400])] })).rejects.toThrow(
      /already in flight/,
    );
    await expect(sim.step({ rows, transfers: [load(8, [400], [3])] })).rejects.toThrow(/still being stored/);
    await expect(sim.step({ rows, transfers: [load(8, [5], [400])] })).rejects.toThrow(/being stored/);
    // Once reported, the blocks are free again.
    while (sim.numTransfersInFlight > 0) await sim.step({ rows });
    await sim.step({ rows: [], transfers: [load(8, [5], [3])] });
    expect(sim.numTransfersInFlight).toBe(0);
  });

  it("refuses transfers without a host tier", async () => {
    const { sim } = makeSim(0);
    expect(sim.hostInfo.numHostBlocks).toBe(0);
    await expect(sim.step({ rows: [busyRow(2)], transfers: [store(1, [0], [0])] })).rejects.toBeInstanceOf(
      UnsupportedError,
    );
  });
});
