import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { MAX_TOP_LOGPROBS } from "./native-runner.js";
import { type RuntimeRow, type RuntimeStepOutput, VirtualClock } from "./runtime.js";
import { batchShape, decodeStepMs, forwardMs, sampleMs } from "./sim-cost-model.js";
import { simProfile } from "./sim-profiles.js";
import { SimRuntime } from "./sim-runtime.js";
import { SIM_EOG_ID } from "./sim-tokenizer.js";

const PROFILE = simProfile("h200-llama3-8b");
const BLOCK_BYTES = PROFILE.model.kvBytesPerToken * 16;

function makeSim(seed = 0, numBlocks = 64, numHostBlocks = 32) {
  const clock = new VirtualClock();
  const sim = SimRuntime.create("h200-llama3-8b", {
    clock,
    seed,
    kvCacheBytes: numBlocks * BLOCK_BYTES,
    hostKvBytes: numHostBlocks * BLOCK_BYTES,
  });
  return { sim, clock };
}

function prompt(k: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => 1 + ((k * 7919 + i * 31) % 1000));
}

/** A row of `tokens` ending at `contextLen`, sampled with `sample` (default greedy). */
function row(tokens: number[], contextLen: number, blockTable: number[], sample: RuntimeRow["sample"] = {}) {
  return { tokens, contextLen, blockTable, sample };
}

/** Copies what a test keeps of an output (the runtime reuses its arrays). */
function snap(out: RuntimeStepOutput) {
  return {
    tokens: [...out.tokens],
    logprobs: [...out.logprobs],
    forwardMs: out.forwardMs,
    sampleMs: out.sampleMs,
    completed: out.completedTransferIds ?? [],
  };
}

/** Three requests (two sampled with seeds), prefilled together then decoded for `steps` steps. */
async function scenario(sim: SimRuntime, clock: VirtualClock, steps: number) {
  const tables = [
    [0, 1, 2, 3],
    [10, 11, 12, 13],
    [20, 21, 22, 23],
  ];
  const samples = [{}, { temperature: 0.8, seed: 7 }, { temperature: 1, seed: 2n ** 40n + 3n }];
  const lens = [20, 33, 7];
  const trace = [];
  let out = await sim.step({
    rows: lens.map((n, k) => row(prompt(k, n), n, tables[k] as number[], samples[k])),
  });
  trace.push({ ...snap(out), nowMs: clock.now() });
  const ctx = [...lens];
  for (let s = 0; s < steps; s++) {
    const last = [...out.tokens];
    const rows = ctx.map((c, k) =>
      row([last[k] as number], c + 1, tables[k] as number[], { ...samples[k], stepIndex: s + 1 }),
    );
    for (let k = 0; k < ctx.length; k++) ctx[k] = (ctx[k] as number) + 1;
    out = await sim.step({ rows });
    trace.push({ ...snap(out), nowMs: clock.now() });
  }
  return trace;
}

describe("SimRuntime", () => {
  it("reports its geometry from the profile", () => {
    const { sim } = makeSim();
    expect(sim.info).toEqual({
      numBlocks: 64,
      blockTokens: 16,
      blockBytes: BLOCK_BYTES,
      vocabSize: 128256,
      maxBatchTokens: PROFILE.maxBatchTokens,
      numHostBlocks: 32,
    });
    expect(sim.hostInfo.numHostBlocks).toBe(32);
    const full = SimRuntime.create(PROFILE, { clock: new VirtualClock() });
    expect(full.info.numBlocks).toBe(Math.floor(PROFILE.kvCacheBytes / BLOCK_BYTES));
    expect(full.info.numBlocks).toBeGreaterThan(12000); // mem-frac 0.3 of an H200: ≈200k tokens
    expect(() => SimRuntime.create("h100-nope", { clock: new VirtualClock() })).toThrow(/h200-llama3-8b/);
    expect(() => SimRuntime.create(PROFILE, { clock: new VirtualClock(), kvCacheBytes: 100 })).toThrow(
      InvalidArgumentError,
    );
  });

  it("is deterministic: same seed, same tokens and times; another seed, other tokens", async () => {
    const a = makeSim(5);
    const b = makeSim(5);
    const c = makeSim(6);
    const ta = await scenario(a.sim, a.clock, 12);
    expect(await scenario(b.sim, b.clock, 12)).toEqual(ta);
    const tc = await scenario(c.sim, c.clock, 12);
    expect(tc.map((t) => t.tokens)).not.toEqual(ta.map((t) => t.tokens));
    expect(tc.map((t) => t.nowMs)).toEqual(ta.map((t) => t.nowMs));
    for (const step of ta) {
      expect(step.tokens).not.toContain(SIM_EOG_ID);
      expect(step.tokens.every((t) => t > 0 && t < 128256)).toBe(true);
      expect(step.logprobs.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
    }
  });

  it("greedy rows ignore the sampling seed, sampled rows follow it", async () => {
    const tokens = async (sample: RuntimeRow["sample"]) => {
      const { sim } = makeSim();
      return (await sim.step({ rows: [row(prompt(1, 40), 40, [0, 1, 2], sample)] })).tokens[0];
    };
    expect(await tokens({ seed: 1 })).toBe(await tokens({ seed: 2 }));
    const drawn = new Set();
    for (let seed = 0; seed < 8; seed++) drawn.add(await tokens({ temperature: 1, seed, stepIndex: 3 }));
    expect(drawn.size).toBeGreaterThan(4);
  });

  it("advances the clock by the cost model's step time", async () => {
    const { sim, clock } = makeSim();
    const rows = Array.from({ length: 8 }, (_, k) => row(prompt(k, 30), 30, [k * 2, k * 2 + 1]));
    const prefill = await sim.step({ rows });
    const shape = batchShape(rows.map(() => ({ numNewTokens: 30, contextLen: 30, isSampled: true })));
    expect(prefill.forwardMs).toBeCloseTo(forwardMs(PROFILE, shape), 9);
    expect(prefill.sampleMs).toBeCloseTo(sampleMs(PROFILE, 8), 9);
    const t0 = clock.now();
    expect(t0).toBeCloseTo(prefill.forwardMs + prefill.sampleMs, 9);
    const decode = await sim.step({
      rows: rows.map((r, k) => row([prefill.tokens[k] as number], 31, r.blockTable)),
    });
    expect(decode.forwardMs).toBeCloseTo(decodeStepMs(PROFILE, 8, 31), 9);
    expect(clock.now() - t0).toBeCloseTo(decode.forwardMs + decode.sampleMs, 9);
    expect(sim.stats()).toMatchObject({ numSteps: 2 });
  });

  it("rejects bad rows (never throws) and keeps working", async () => {
    const { sim } = makeSim();
    const bad: RuntimeRow[][] = [
      [row([1, 2, 3], 3, [])], // block table too short
      [row([1, 2, 3], 3, [64])], // block id out of range
      [row([1, 2, 3], 3, [-1])],
      [row([1, 128256], 2, [0])], // token out of range
      [row([1], 20, [0, 1])], // prefix never written
      [row([], 0, [0])],
      [
        row(
          prompt(0, 17000),
          17000,
          Array.from({ length: 1063 }, (_, i) => i % 64),
        ),
      ], // > maxBatchTokens
      [],
    ];
    for (const rows of bad) {
      const p = sim.step({ rows });
      expect(p).toBeInstanceOf(Promise);
      await expect(p).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    const ok = await sim.step({ rows: [row(prompt(0, 5), 5, [0])] });
    expect(ok.tokens[0]).toBeGreaterThan(0);
    sim.dispose();
    await expect(sim.step({ rows: [row([1], 6, [0])] })).rejects.toThrow(/disposed/);
  });

  it("depends on the KV it reads back: chunking and block ids do not matter, content does", async () => {
    const run = async (chunks: number[], table: number[], tokens = prompt(3, 50)) => {
      const { sim } = makeSim();
      let ctx = 0;
      let out: RuntimeStepOutput | null = null;
      for (const n of chunks) {
        out = await sim.step({
          rows: [row(tokens.slice(ctx, ctx + n), ctx + n, table, ctx + n === 50 ? {} : null)],
        });
        ctx += n;
      }
      return out?.tokens[0];
    };
    const whole = await run([50], [0, 1, 2, 3]);
    expect(await run([7, 16, 1, 26], [9, 4, 33, 2])).toBe(whole);
    const changed = prompt(3, 50);
    changed[5] = 999;
    expect(await run([50], [0, 1, 2, 3], changed)).not.toBe(whole);
  });
});

describe("SimRuntime masks", () => {
  const words = Math.ceil(128256 / 32);
  const only = (...ids: number[]) => {
    const m = new Int32Array(words);
    for (const id of ids) m[id >>> 5] = (m[id >>> 5] as number) | (1 << (id & 31));
    return m;
  };

  it("honours row masks and fillMasks (row mask wins), -1 when nothing is allowed", async () => {
    const { sim } = makeSim();
    let calls = 0;
    const out = await sim.step({
      rows: [
        row(prompt(0, 9), 9, [0], { mask: only(77) }),
        row(prompt(1, 9), 9, [1], { numTopLogprobs: 5 }),
        row(prompt(2, 9), 9, [2]),
        row(prompt(3, 9), 9, [3], { mask: only(1000, 128255), numTopLogprobs: 4 }),
        row(prompt(4, 9), 9, [4]),
      ],
      fillMasks: (mask, hasMask) => {
        calls++;
        expect(mask.length).toBe(5 * words);
        expect([...hasMask]).toEqual([0, 0, 0, 0, 0]);
        for (const r of [0, 1, 2]) {
          mask.set(only(5000 + r, 6000 + r), r * words);
          hasMask[r] = 1;
        }
        mask.fill(0, 4 * words, 5 * words);
        hasMask[4] = 1;
      },
    });
    expect(calls).toBe(1);
    expect(out.tokens[0]).toBe(77);
    expect([5001, 6001]).toContain(out.tokens[1]);
    expect(out.topIds.slice(MAX_TOP_LOGPROBS, MAX_TOP_LOGPROBS + 3)).toEqual(
      Int32Array.from(out.tokens[1] === 5001 ? [5001, 6001, -1] : [6001, 5001, -1]),
    );
    expect([5002, 6002]).toContain(out.tokens[2]);
    expect(new Set(out.topIds.slice(3 * MAX_TOP_LOGPROBS, 3 * MAX_TOP_LOGPROBS + 3))).toEqual(
      new Set([1000, 128255, -1]),
    );
    expect(out.tokens[4]).toBe(-1);
    expect(Number.isNaN(out.logprobs[4])).toBe(true);
    expect(out.maskMs).toBeGreaterThanOrEqual(0);
  });

  it("samples the end-of-generation id only when the mask allows nothing else", async () => {
    const { sim } = makeSim();
    const out = await sim.step({
      rows: [
        row(prompt(0, 9), 9, [0], { mask: only(SIM_EOG_ID) }),
        row(prompt(1, 9), 9, [1], { mask: only(0, 3) }),
      ],
    });
    expect([...out.tokens]).toEqual([SIM_EOG_ID, 3]);
  });
});
