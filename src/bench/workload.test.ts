import { describe, expect, it } from "vitest";
import { PromptFactory } from "./exact-prompts.js";
import { parseRates } from "./readers.js";
import { buildWorkload, DEFAULT_INPUT_LEN, type WorkloadOptions } from "./workload.js";

async function options(over: Partial<WorkloadOptions> = {}): Promise<WorkloadOptions> {
  return {
    spec: { kind: "poisson", ratePerS: 4 },
    numRequests: 200,
    inputLen: { kind: "normal", mean: 64, std: 16 },
    outputLen: { kind: "uniform", lo: 10, hi: 20 },
    rates: parseRates("15:0.4,20:0.6"),
    seed: 3,
    traceReplay: { windowStartS: 0, windowDurationS: null, speedup: 1 },
    constrainedFraction: 0,
    prompts: await PromptFactory.create({
      source: { kind: "synthetic" },
      tokenizer: null,
      vocabSize: 1000,
      textPrompts: false,
    }),
    ...over,
  };
}

describe("buildWorkload", () => {
  it("builds seeded requests with prompts of exactly their input length", async () => {
    const w = await buildWorkload(await options());
    expect(w.requests).toHaveLength(200);
    expect(w.requests.map((r) => r.id).slice(0, 3)).toEqual(["r0", "r1", "r2"]);
    for (const r of w.requests) {
      expect(r.promptTokens).toHaveLength(r.inputLen);
      expect(r.outputLen).toBeGreaterThanOrEqual(10);
      expect(r.outputLen).toBeLessThanOrEqual(20);
      expect([15, 20]).toContain(r.rateTokPerS);
      expect(r.isConstrained).toBe(false);
    }
    expect(w.description).toMatchObject({
      num_requests: 200,
      input_len: "normal:64:16",
      rates: "15:0.4,20:0.6",
      seed: 3,
    });
    expect(await buildWorkload(await options())).toEqual(w);
  });

  it("draws each aspect from its own stream: changing the rates keeps arrivals, lengths and prompts", async () => {
    const a = await buildWorkload(await options());
    const b = await buildWorkload(await options({ rates: parseRates("30") }));
    const shape = (w: typeof a) =>
      w.requests.map((r) => [r.arrivalS, r.inputLen, r.outputLen, r.promptTokens]);
    expect(shape(b)).toEqual(shape(a));
    expect(b.requests.every((r) => r.rateTokPerS === 30)).toBe(true);
    const c = await buildWorkload(await options({ seed: 4 }));
    expect(shape(c)).not.toEqual(shape(a));
  });

  it("marks about the requested fraction as constrained, and uses defaults for synthetic lengths", async () => {
    const w = await buildWorkload(
      await options({ constrainedFraction: 0.25, inputLen: null, numRequests: 2000 }),
    );
    const share = w.requests.filter((r) => r.isConstrained).length / w.requests.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
    expect(w.requests.every((r) => r.inputLen === DEFAULT_INPUT_LEN)).toBe(true);
  });
});
