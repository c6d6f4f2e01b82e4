/**
 * The host KV tier and transfer engine of the native runtime: data survives a store and a load
 * into other blocks bit for bit, transfers overlap steps and are reported exactly once, and the
 * Runtime wrapper exposes them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { type OpenedModel, openModel } from "../model/open-model.js";
import { testModelPath } from "../test-support/test-models.js";
import { NativeRunner, type RunnerRow } from "./native-runner.js";
import { NativeRuntime } from "./native-runtime.js";
import type { TransferReport } from "./native-transfers.js";
import type { KvTransfer } from "./runtime.js";

const MIB = 1 << 20;
/** 40 tokens: two full blocks and a partial third. */
const PROMPT = Array.from({ length: 40 }, (_, i) => ((i * 37 + 11) % 1000) + 1);
/** 48 tokens: three full blocks. */
const OTHER = Array.from({ length: 48 }, (_, i) => ((i * 53 + 7) % 1000) + 1);

/** A row that keeps the forward pass busy in `block` (never a transfer's block). */
const side = (block: number): RunnerRow => ({ tokens: [1, 2, 3], contextLen: 3, blockTable: [block] });

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

async function prefill(runner: NativeRunner, prompt: number[], table: number[]): Promise<number> {
  const r = await runner.step([{ tokens: prompt, contextLen: prompt.length, blockTable: table, sample: {} }]);
  return r.tokens[0] as number;
}

/** Greedy decoding of `n` tokens after `first`, with each step's logits. */
async function decode(runner: NativeRunner, table: number[], first: number, ctx: number, n: number) {
  const tokens: number[] = [];
  const logits: Float32Array[] = [];
  let last = first;
  for (let i = 0; i < n; i++) {
    const row = { tokens: [last], contextLen: ctx + i + 1, blockTable: table, sample: {}, decode: true };
    const r = await runner.step([row], { returnLogits: true });
    last = r.tokens[0] as number;
    tokens.push(last);
    logits.push(Float32Array.from(r.logits ?? []));
  }
  return { tokens, logits };
}

describe("native host KV tier", () => {
  let model: OpenedModel;
  let runner: NativeRunner;
  let big: NativeRunner;
  beforeAll(async () => {
    model = await openModel(await testModelPath("tinyF32"));
    runner = await NativeRunner.create(model, { kvCacheBytes: MIB, hostKvBytes: MIB, numThreads: 2 });
    big = await NativeRunner.create(model, { kvCacheBytes: 64 * MIB, hostKvBytes: 64 * MIB, numThreads: 2 });
  });
  afterAll(() => {
    runner?.dispose();
    big?.dispose();
  });

  it("sizes the host tier as floor(hostKvBytes / blockBytes) blocks (0 by default)", async () => {
    expect(runner.info.numHostBlocks).toBe(Math.floor(MIB / runner.info.blockBytes));
    const none = await NativeRunner.create(model, { kvCacheBytes: MIB, numThreads: 1 });
    expect(none.info.numHostBlocks).toBe(0);
    await expect(none.flushTransfers()).resolves.toMatchObject({ completedTransferIds: [] });
    const transfers = [store(1, [3], [0])];
    await expect(none.step([side(2)], { transfers })).rejects.toThrow(/host KV tier/);
    await expect(none.flushTransfers(transfers)).rejects.toThrow(/host KV tier/);
    await expect(none.step([])).rejects.toThrow(/at least one row/);
    none.dispose();
    await expect(NativeRunner.create(model, { kvCacheBytes: MIB, hostKvBytes: 100 })).rejects.toThrow(
      /hostKvBytes \(100\) is smaller than one KV block/,
    );
  });

  it("stores a prompt's blocks, loads them into other blocks, and decodes exactly as without the trip", async () => {
    const ref0 = await prefill(runner, PROMPT, [10, 11, 12]);
    const ref = await decode(runner, [10, 11, 12], ref0, PROMPT.length, 8);
    const [A, B, H] = [
      [20, 21, 22],
      [30, 31, 32],
      [7, 3, 4], // two runs on the host side: 7, then 3..4
    ];
    const seen: number[] = [];
    expect(await prefill(runner, PROMPT, A)).toBe(ref0);
    await prefill(runner, OTHER, B); // B holds other data until the load
    seen.push(...(await runner.step([side(40)], { transfers: [store(1, A, H)] })).completedTransferIds);
    seen.push(...(await runner.flushTransfers()).completedTransferIds);
    await prefill(runner, OTHER, A); // A is overwritten: only the host copy keeps the prompt
    seen.push(...(await runner.step([side(41)], { transfers: [load(2, B, H)] })).completedTransferIds);
    seen.push(...(await runner.flushTransfers()).completedTransferIds);
    expect(seen).toEqual([1, 2]);
    const got = await decode(runner, B, ref0, PROMPT.length, 8);
    expect(got.tokens).toEqual(ref.tokens);
    for (const [i, logits] of got.logits.entries()) {
      expect(Buffer.from(logits.buffer).equals(Buffer.from((ref.logits[i] as Float32Array).buffer))).toBe(
        true,
      );
    }
  });

  it("copies a large store and a load while steps run, reporting each once with bytes and times", async () => {
    const n = big.info.numBlocks;
    const bytes = big.info.blockBytes;
    const storeBlocks = Array.from({ length: n - 2000 }, (_, i) => 2000 + i);
    const hostBlocks = storeBlocks.map((_, i) => i);
    const loadDevice = Array.from({ length: 1000 }, (_, i) => 1000 + i);
    const loadHost = loadDevice.map((_, i) => n - 1000 + i);
    const transfers = [store(11, storeBlocks, hostBlocks), load(12, loadDevice, loadHost)];
    const reports: TransferReport[] = [await big.step([side(0)], { transfers })];
    for (let i = 1; i < 4; i++) reports.push(await big.step([side(i)]));
    reports.push(await big.flushTransfers());
    const ids = reports.flatMap((r) => r.completedTransferIds);
    expect([...ids].sort()).toEqual([11, 12]);
    const all = {
      bytes: reports.flatMap((r) => r.completedTransferBytes),
      ms: reports.flatMap((r) => r.completedTransferMs),
      latency: reports.flatMap((r) => r.completedTransferLatencyMs),
    };
    expect(all.bytes[ids.indexOf(11)]).toBe(storeBlocks.length * bytes);
    expect(all.bytes[ids.indexOf(12)]).toBe(loadDevice.length * bytes);
    for (const [i, ms] of all.ms.entries()) {
      expect(ms).toBeGreaterThan(0);
      expect(all.latency[i]).toBeGreaterThanOrEqual(ms);
    }
    const total = reports.reduce((sum, r) => sum + r.transferBytes, 0);
    expect(total).toBe((storeBlocks.length + loadDevice.length) * bytes);
  });

  it("reports every transfer of a random valid sequence exactly once", async () => {
    let x = 12345;
    const rand = (k: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 16) % k;
    };
    // What the runtime holds until a completion is reported (the rows below only use block 0).
    const held = {
      devLoad: new Set<number>(),
      devStore: new Map<number, number>(),
      hostStore: new Set<number>(),
    };
    const hostLoad = new Map<number, number>();
    const inFlight = new Map<number, KvTransfer>();
    const issued: number[] = [];
    const reported: number[] = [];
    const release = (ids: readonly number[]) => {
      for (const id of ids) {
        const t = inFlight.get(id) as KvTransfer;
        expect(t).toBeDefined();
        inFlight.delete(id);
        reported.push(id);
        for (const [i, d] of t.deviceBlocks.entries()) {
          const h = t.hostBlocks[i] as number;
          if (t.direction === "load") {
            held.devLoad.delete(d);
            hostLoad.set(h, (hostLoad.get(h) ?? 1) - 1);
          } else {
            held.devStore.set(d, (held.devStore.get(d) ?? 1) - 1);
            held.hostStore.delete(h);
          }
        }
      }
    };
    const pick = (isLoad: boolean): [number, number] | null => {
      const d = 1 + rand(60);
      const h = rand(60);
      if (held.devLoad.has(d) || held.hostStore.has(h)) return null;
      if (isLoad && (held.devStore.get(d) ?? 0) > 0) return null;
      if (!isLoad && (hostLoad.get(h) ?? 0) > 0) return null;
      if (isLoad) {
        held.devLoad.add(d);
        hostLoad.set(h, (hostLoad.get(h) ?? 0) + 1);
      } else {
        held.devStore.set(d, (held.devStore.get(d) ?? 0) + 1);
        held.hostStore.add(h);
      }
      return [d, h];
    };
    let nextId = 100;
    for (let step = 0; step < 60; step++) {
      const transfers: KvTransfer[] = [];
      for (let k = rand(4); k > 0; k--) {
        const isLoad = rand(2) === 1;
        const pairs = Array.from({ length: 1 + rand(4) }, () => pick(isLoad)).filter((p) => p !== null);
        if (pairs.length === 0) continue;
        const t = (isLoad ? load : store)(
          nextId++,
          pairs.map((p) => p[0]),
          pairs.map((p) => p[1]),
        );
        transfers.push(t);
        inFlight.set(t.id, t);
        issued.push(t.id);
      }
      const rows = rand(5) === 0 && inFlight.size > 0 ? [] : [side(0)];
      release((await runner.step(rows, { transfers })).completedTransferIds);
      if (rand(10) === 0) release((await runner.flushTransfers()).completedTransferIds);
    }
    release((await runner.flushTransfers()).completedTransferIds);
    expect(issued.length).toBeGreaterThan(40);
    expect([...reported].sort()).toEqual([...issued].sort());
    expect(inFlight.size).toBe(0);
  });

  it("runs a step without rows while transfers are in flight, and refuses one with nothing to wait for", async () => {
    const r = await runner.step([], { transfers: [store(200, [50, 51], [10, 11])] });
    const ids = [...r.completedTransferIds, ...(await runner.flushTransfers()).completedTransferIds];
    expect(ids).toEqual([200]);
    expect(r.tokens.length).toBe(0);
    await expect(runner.step([])).rejects.toThrow(/numRows is 0/);
  });
});

describe("NativeRuntime with a host tier", () => {
  it("reports numHostBlocks, carries transfers and flushes them", async () => {
    const model = await openModel(await testModelPath("tinyF32"));
    const rt = await NativeRuntime.create(model, { kvCacheBytes: MIB, hostKvBytes: 2 * MIB, numThreads: 1 });
    try {
      expect(rt.info.numHostBlocks).toBe(Math.floor((2 * MIB) / rt.info.blockBytes));
      const out = await rt.step({ rows: [side(0)], transfers: [store(5, [1, 2], [0, 1])] });
      const ids = [...(out.completedTransferIds ?? []), ...(await rt.flushTransfers())];
      expect(ids).toEqual([5]);
      expect(await rt.flushTransfers()).toEqual([]);
      // Issued outside a step (an engine with no rows to run), then waited for.
      const blockBytes = rt.info.blockBytes;
      expect(rt.takeTransferStats()).toMatchObject({ storeBytes: 2 * blockBytes, loadBytes: 0, loadMs: 0 });
      const flushed = await rt.flushTransfers([store(8, [3], [4]), load(9, [5, 6], [0, 1])]);
      expect([...flushed].sort()).toEqual([8, 9]);
      const stats = rt.takeTransferStats();
      expect(stats).toMatchObject({ storeBytes: blockBytes, loadBytes: 2 * blockBytes });
      expect(stats.storeMs).toBeGreaterThan(0);
      expect(stats.loadMs).toBeGreaterThan(0);
      expect(rt.takeTransferStats()).toEqual({ storeBytes: 0, storeMs: 0, loadBytes: 0, loadMs: 0 });
      const bad = [{ ...store(1.5, [1], [0]) }];
      await expect(rt.step({ rows: [side(0)], transfers: bad })).rejects.toThrow(InvalidArgumentError);
      await expect(rt.step({ rows: [side(0)], transfers: [store(6, [1, 2], [0])] })).rejects.toThrow(
        /transfers\[0\] needs as many host blocks/,
      );
      await expect(rt.step({ rows: [side(0)], transfers: [store(7, [1], [1 << 30])] })).rejects.toThrow(
        /transferHostBlocks\[0\] = 1073741824 is outside the host KV pool/,
      );
    } finally {
      rt.dispose();
    }
  });
});
