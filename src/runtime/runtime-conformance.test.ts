/**
 * The contract every Runtime implementation keeps (the engine relies on it), run against the
 * mock, the native and the simulated runtime.
 */
import { afterAll, describe, expect, it } from "vitest";
import { openModel } from "../model/open-model.js";
import { testModelPath } from "../test-support/test-models.js";
import { MockRuntime } from "./mock-runtime.js";
import { MAX_TOP_LOGPROBS } from "./native-runner.js";
import { NativeRuntime } from "./native-runtime.js";
import { type Runtime, type RuntimeRow, VirtualClock } from "./runtime.js";
import { SimRuntime } from "./sim-runtime.js";

const made: Runtime[] = [];
afterAll(() => {
  for (const r of made) r.dispose();
});

const factories: [string, () => Promise<Runtime>][] = [
  ["mock", async () => new MockRuntime({ numBlocks: 64 })],
  [
    "native",
    async () =>
      NativeRuntime.create(await openModel(await testModelPath("tinyF32")), {
        kvCacheBytes: 1 << 20,
        numThreads: 2,
      }),
  ],
  [
    "sim",
    // No host tier here (hostKvBytes 0): the suite checks that transfers are then refused.
    async () =>
      SimRuntime.create("h200-llama3-8b", {
        clock: new VirtualClock(),
        kvCacheBytes: 64 << 21,
        hostKvBytes: 0,
      }),
  ],
];

const PROMPT = [1, 5, 9, 13, 17, 21, 25, 29, 33, 37];

async function greedy(
  rt: Runtime,
  table: number[],
  chunk: number,
  steps: number,
  extra: Partial<RuntimeRow> = {},
) {
  const out: number[] = [];
  let ctx = 0;
  while (ctx < PROMPT.length) {
    const tokens = PROMPT.slice(ctx, ctx + chunk);
    ctx += tokens.length;
    const r = await rt.step({
      rows: [
        { tokens, contextLen: ctx, blockTable: table, sample: ctx === PROMPT.length ? {} : null, ...extra },
      ],
    });
    if (ctx === PROMPT.length) out.push(r.tokens[0] as number);
    else expect(r.tokens[0]).toBe(-1);
  }
  while (out.length < steps) {
    ctx++;
    const r = await rt.step({
      rows: [
        {
          tokens: [out[out.length - 1] as number],
          contextLen: ctx,
          blockTable: table,
          sample: {},
          decode: true,
        },
      ],
    });
    out.push(r.tokens[0] as number);
  }
  return out;
}

for (const [name, create] of factories) {
  describe(`Runtime conformance: ${name}`, () => {
    it("reports its geometry", async () => {
      const rt = await create();
      made.push(rt);
      expect(rt.info.numBlocks).toBeGreaterThan(0);
      expect(rt.info.blockTokens).toBe(16);
      expect(rt.info.vocabSize).toBeGreaterThan(0);
    });

    it("gives the same greedy tokens whatever the chunking and the block ids", async () => {
      const rt = await create();
      made.push(rt);
      const a = await greedy(rt, [0, 1], 100, 6);
      const b = await greedy(rt, [7, 3], 3, 6);
      expect(b).toEqual(a);
    });

    it("fills logprobs and top alternatives, honours masks, rejects bad rows", async () => {
      const rt = await create();
      made.push(rt);
      const words = Math.ceil(rt.info.vocabSize / 32);
      const mask = new Int32Array(words);
      mask[0] = 1 << 5; // only token 5
      const r = await rt.step({
        rows: [
          { tokens: PROMPT, contextLen: PROMPT.length, blockTable: [0], sample: { numTopLogprobs: 3 } },
          { tokens: PROMPT, contextLen: PROMPT.length, blockTable: [1], sample: { mask } },
        ],
      });
      expect(r.tokens[0]).toBe(r.topIds[0]);
      expect(r.logprobs[0]).toBeCloseTo(r.topLogprobs[0] as number, 5);
      expect(r.topIds[3]).toBe(-1);
      expect(r.tokens[1]).toBe(5);
      expect(r.topIds[MAX_TOP_LOGPROBS]).toBe(-1);
      await expect(rt.step({ rows: [] })).rejects.toThrow();
      const row = { tokens: [1], contextLen: 1, blockTable: [2] };
      const transfers = [{ id: 1, direction: "store" as const, deviceBlocks: [2], hostBlocks: [0] }];
      await expect(rt.step({ rows: [row], transfers })).rejects.toThrow(/host KV tier/);
    });
  });
}
