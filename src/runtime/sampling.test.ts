import { describe, expect, it } from "vitest";
import { prngUnit as rng } from "../test-support/prng.js";
import { loadAddon } from "./addon.js";
import type { SampleResultForTest, SamplingInputsForTest, SamplingParamsForTest } from "./addon-types.js";

const addon = loadAddon();

function sample(
  logits: ArrayLike<number>,
  params: SamplingParamsForTest = {},
  inputs?: SamplingInputsForTest,
): SampleResultForTest {
  return addon.sampleRowForTest(Float32Array.from(logits), params, inputs);
}

function randomLogits(next: () => number, vocab: number, scale = 4): Float32Array {
  const out = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) {
    // A quarter of the values are quantized so that exact ties occur.
    const v = (next() + next() + next() - 1.5) * scale;
    out[i] = next() < 0.25 ? Math.round(v * 2) / 2 : v;
  }
  return out;
}

/** Lowest id with the largest value among `allowed` (NaN never wins). */
function argmax(x: ArrayLike<number>, allowed: (i: number) => boolean = () => true): number {
  let best = -1;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!allowed(i) || Number.isNaN(v)) continue;
    if (best < 0 || v > (x[best] as number)) best = i;
  }
  return best;
}

/** log_softmax in double; NaN and disallowed tokens get -Infinity. */
function logSoftmax(x: ArrayLike<number>, allowed: (i: number) => boolean = () => true): number[] {
  const v = Array.from(x, (y, i) => (allowed(i) && !Number.isNaN(y) ? y : Number.NEGATIVE_INFINITY));
  const max = Math.max(...v);
  const lse = max + Math.log(v.reduce((s, y) => s + Math.exp(y - max), 0));
  return v.map((y) => y - lse);
}

function softmax(x: ArrayLike<number>, temperature = 1): number[] {
  const v = Array.from(x, (y) => y / temperature);
  const max = Math.max(...v);
  const e = v.map((y) => Math.exp(y - max));
  const sum = e.reduce((s, y) => s + y, 0);
  return e.map((y) => y / sum);
}

/** Token ids in the sampler's rank order: higher logit first, then lower id. */
function rankOrder(x: ArrayLike<number>, ids: number[]): number[] {
  return [...ids].sort((a, b) => (x[b] as number) - (x[a] as number) || a - b);
}

function maskOf(vocab: number, allowed: (i: number) => boolean): Int32Array {
  const mask = new Int32Array(Math.ceil(vocab / 32));
  for (let i = 0; i < vocab; i++) if (allowed(i)) mask[i >> 5] = (mask[i >> 5] as number) | (1 << (i & 31));
  return mask;
}

/** Pearson's statistic over bins with an expected count of at least 5 (the rest pooled). */
function chiSquare(counts: number[], probs: number[], n: number): { stat: number; dof: number } {
  let stat = 0;
  let bins = 0;
  let restObserved = 0;
  let restExpected = 0;
  probs.forEach((p, i) => {
    const expected = p * n;
    if (expected < 5) {
      restObserved += counts[i] ?? 0;
      restExpected += expected;
      return;
    }
    stat += ((counts[i] ?? 0) - expected) ** 2 / expected;
    bins++;
  });
  if (restExpected > 0) {
    stat += (restObserved - restExpected) ** 2 / Math.max(restExpected, 1e-9);
    bins++;
  }
  return { stat, dof: bins - 1 };
}

/** A bound the statistic exceeds with probability well below 1e-6 when the counts fit. */
function chiBound(dof: number): number {
  return dof + 7 * Math.sqrt(2 * dof) + 10;
}

function histogram(vocab: number, n: number, draw: (i: number) => number): number[] {
  const counts = new Array<number>(vocab).fill(0);
  for (let i = 0; i < n; i++) {
    const t = draw(i);
    counts[t] = (counts[t] ?? 0) + 1;
  }
  return counts;
}

/** Each reported top logprob is within `tolerance` of the reference log-softmax. */
function expectTopLogprobs(r: SampleResultForTest, ref: number[], tolerance: number): void {
  r.topIds.forEach((id, j) => {
    expect(Math.abs((r.topLogprobs[j] as number) - (ref[id] as number))).toBeLessThan(tolerance);
  });
}

describe("sampleRowForTest: greedy", () => {
  it("returns the argmax, lowest id among ties", () => {
    const next = rng(1);
    for (let trial = 0; trial < 50; trial++) {
      const logits = randomLogits(next, 1 + Math.floor(next() * 2000));
      expect(sample(logits).token).toBe(argmax(logits));
    }
    expect(sample([1, 3, 3, 2]).token).toBe(1);
    expect(sample([1, 3, 3, 2], { temperature: 0, topK: 1, seed: 9 }).token).toBe(1);
  });

  it("finds the argmax of a 152k vocabulary", () => {
    const logits = randomLogits(rng(2), 152064);
    logits[151000] = 100;
    const r = sample(logits, { numTopLogprobs: 5 });
    expect(r.token).toBe(151000);
    expect(r.topIds[0]).toBe(151000);
  });
});

describe("sampleRowForTest: seeded sampling", () => {
  const logits = [1.2, -0.3, 0.5, 2.0, 0.0, 1.7, -1.0, 0.9];

  it("gives the same token for the same (seed, step), whatever else is sampled in between", () => {
    const first = Array.from(
      { length: 50 },
      (_, step) => sample(logits, { temperature: 1, seed: 7, step }).token,
    );
    const next = rng(3);
    const again = Array.from({ length: 50 }, (_, step) => {
      sample(randomLogits(next, 300), { temperature: 0.5, topP: 0.9, seed: step + 1, step: 3 });
      return sample(logits, { temperature: 1, seed: 7, step }).token;
    });
    expect(again).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(3);
  });

  it("accepts bigint seeds and steps up to 2^64 - 1, equal to the same numbers", () => {
    const a = sample(logits, { temperature: 1, seed: 123456789, step: 5 }).token;
    expect(sample(logits, { temperature: 1, seed: 123456789n, step: 5n }).token).toBe(a);
    const top = 2n ** 64n - 1n;
    expect(sample(logits, { temperature: 1, seed: top, step: top }).token).toBeGreaterThanOrEqual(0);
  });

  it("matches softmax(logits / T) over many seeds", () => {
    const n = 20000;
    const counts = histogram(
      logits.length,
      n,
      (seed) => sample(logits, { temperature: 0.8, seed, step: 11 }).token,
    );
    const fit = chiSquare(counts, softmax(logits, 0.8), n);
    expect(fit.stat).toBeLessThan(chiBound(fit.dof));
    // The test has power: the temperature-1 distribution does not fit these counts.
    const wrong = chiSquare(counts, softmax(logits, 1), n);
    expect(wrong.stat).toBeGreaterThan(chiBound(wrong.dof));
  });

  it("matches softmax over the steps of one seed, with consecutive steps independent", () => {
    const n = 20000;
    const tokens = Array.from(
      { length: n + 1 },
      (_, step) => sample(logits, { temperature: 1.5, seed: 42, step }).token,
    );
    const probs = softmax(logits, 1.5);
    const fit = chiSquare(
      histogram(logits.length, n, (i) => tokens[i] as number),
      probs,
      n,
    );
    expect(fit.stat).toBeLessThan(chiBound(fit.dof));
    // Pairs (step, step + 1) follow the product distribution.
    const v = logits.length;
    const pairCounts = histogram(v * v, n, (i) => (tokens[i] as number) * v + (tokens[i + 1] as number));
    const pairProbs = Array.from(
      { length: v * v },
      (_, k) => (probs[Math.floor(k / v)] as number) * (probs[k % v] as number),
    );
    const joint = chiSquare(pairCounts, pairProbs, n);
    expect(joint.stat).toBeLessThan(chiBound(joint.dof));
  });

  it("matches the renormalized truncated distribution under top-k, top-p and min-p", () => {
    const x = [3.0, 2.5, 2.4, 1.0, 0.5, 0.0, -1.0, 2.45];
    const n = 12000;
    // Rank order 0, 1, 7, 2, ... with probabilities .331, .201, .191, .182, ...
    const cases: Array<[SamplingParamsForTest, number[]]> = [
      [{ topK: 3 }, [0, 1, 7]],
      [{ topP: 0.7 }, [0, 1, 7]], // .331 + .201 + .191 = .724 >= .7
      [{ topP: 0.8 }, [0, 1, 7, 2]],
      [{ minP: 0.5 }, [0, 1, 7, 2]], // logit >= 3 - ln 2
      [{ topK: 3, topP: 0.6 }, [0, 1]], // within the top 3: .331 / .724 = .46, + .28 = .74
    ];
    for (const [params, kept] of cases) {
      const counts = histogram(x.length, n, (seed) => sample(x, { temperature: 1, seed, ...params }).token);
      const probs = softmax(x).map((p, i) => (kept.includes(i) ? p : 0));
      const total = probs.reduce((s, p) => s + p, 0);
      const fit = chiSquare(
        counts,
        probs.map((p) => p / total),
        n,
      );
      expect(counts.filter((c, i) => c > 0 && !kept.includes(i))).toEqual([]);
      expect(fit.stat).toBeLessThan(chiBound(fit.dof));
    }
  });
});

describe("sampleRowForTest: truncation never returns an excluded token", () => {
  it("holds for random logits and parameters (seeded property test)", () => {
    const next = rng(4);
    for (let trial = 0; trial < 400; trial++) {
      const vocab = 1 + Math.floor(next() * 3000);
      const logits = randomLogits(next, vocab, 1 + next() * 8);
      const temperature = 0.05 + next() * 2;
      const topK = next() < 0.5 ? 1 + Math.floor(next() * 60) : 0;
      const topP = next() < 0.5 ? 0.05 + next() * 0.95 : 1;
      const minP = next() < 0.5 ? next() * 0.5 : 0;
      const params = { temperature, topK, topP, minP, seed: trial, step: trial * 7 };
      const token = sample(logits, params).token;
      expect(allowedByTruncation(logits, params)).toContain(token);
    }
  });
});

/**
 * A superset of the tokens top-k / top-p / min-p keep (slightly generous at the top-p and
 * min-p boundaries, where float32 and float64 rounding may differ).
 */
function allowedByTruncation(
  logits: Float32Array,
  p: { temperature: number; topK: number; topP: number; minP: number },
): number[] {
  let order = rankOrder(
    logits,
    Array.from(logits, (_, i) => i),
  );
  if (p.topK > 0) order = order.slice(0, p.topK);
  const max = logits[order[0] as number] as number;
  const weight = (i: number) => Math.exp(((logits[i] as number) - max) / p.temperature);
  if (p.topP < 1) {
    const total = order.reduce((s, i) => s + weight(i), 0);
    let cum = 0;
    let keep = order.length;
    for (let j = 0; j < order.length; j++) {
      cum += weight(order[j] as number);
      if (cum >= Math.min(1, p.topP + 1e-4) * total) {
        keep = j + 1;
        break;
      }
    }
    order = order.slice(0, keep);
  }
  return order.filter((i) => weight(i) >= p.minP * (1 - 1e-4));
}

describe("sampleRowForTest: penalties and bias", () => {
  it("applies the repetition penalty once per distinct token, dividing positive and multiplying negative logits", () => {
    const history = Int32Array.from([0, 0, 0]);
    // 2 / 1.2 = 1.67 < 1.9: token 0 loses its lead.
    expect(sample([2, 1.9], { repetitionPenalty: 1.2 }, { history }).token).toBe(1);
    // Once per distinct token: 2 / 1.2 = 1.67 > 1.5 (2 / 1.2^3 = 1.16 would lose).
    expect(sample([2, 1.5], { repetitionPenalty: 1.2 }, { history }).token).toBe(0);
    // Negative logits are multiplied: -1 * 1.2 = -1.2 < -1.1.
    expect(sample([-1, -1.1], { repetitionPenalty: 1.2 }, { history }).token).toBe(1);
    expect(sample([-1, -1.1], {}, { history }).token).toBe(0);
  });

  it("subtracts presence once and frequency per occurrence (OpenAI)", () => {
    const three = Int32Array.from([0, 2, 0, 0]);
    const one = Int32Array.from([0]);
    expect(sample([2, 1.5, -5], { frequencyPenalty: 0.2 }, { history: three }).token).toBe(1); // 2 - 0.6
    expect(sample([2, 1.5, -5], { frequencyPenalty: 0.2 }, { history: one }).token).toBe(0); // 2 - 0.2
    expect(sample([2, 1.5, -5], { presencePenalty: 0.4 }, { history: three }).token).toBe(0); // 2 - 0.4
    expect(sample([2, 1.5, -5], { presencePenalty: 0.6 }, { history: three }).token).toBe(1); // 2 - 0.6
  });

  it("adds logit bias (repeated ids add up) and reports logprobs of the processed logits", () => {
    const logits = [2, 1.5, 0];
    const biasIds = Int32Array.from([1, 2, 2]);
    const biasValues = Float32Array.from([1, 1.5, 1.5]);
    const r = sample(logits, { numTopLogprobs: 3 }, { biasIds, biasValues });
    expect(r.token).toBe(2); // 0 + 3
    const ref = logSoftmax([2, 2.5, 3]);
    expect(r.logprob).toBeCloseTo(ref[2] as number, 5);
    expect(Array.from(r.topIds)).toEqual([2, 1, 0]);
  });

  it("combines penalties and bias like a JS reference, leaving the logits untouched", () => {
    const next = rng(5);
    for (let trial = 0; trial < 30; trial++) {
      const vocab = 50 + Math.floor(next() * 500);
      const logits = randomLogits(next, vocab);
      const copy = Float32Array.from(logits);
      const history = Int32Array.from({ length: 40 }, () => Math.floor(next() * 20));
      const biasIds = Int32Array.from({ length: 5 }, () => Math.floor(next() * vocab));
      const biasValues = Float32Array.from({ length: 5 }, () => next() * 6 - 3);
      const params = {
        repetitionPenalty: 1.3,
        presencePenalty: 0.5,
        frequencyPenalty: 0.25,
        numTopLogprobs: 20,
      };
      const r = addon.sampleRowForTest(logits, params, { history, biasIds, biasValues });
      const processed = Array.from(logits);
      biasIds.forEach((id, j) => {
        processed[id] = Math.fround((processed[id] as number) + (biasValues[j] as number));
      });
      const counts = new Map<number, number>();
      for (const t of history) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, c] of counts) {
        const v = processed[t] as number;
        processed[t] = (v > 0 ? v / 1.3 : v * 1.3) - 0.5 - 0.25 * c;
      }
      const ref = logSoftmax(processed);
      expect(r.token).toBe(argmax(processed));
      expectTopLogprobs(r, ref, 1e-4);
      expect(logits).toEqual(copy);
    }
  });

  it("applies the mask before the bias: a huge bias cannot revive a masked token", () => {
    const mask = maskOf(4, (i) => i !== 3);
    const r = sample(
      [0, 1, 0.5, 0],
      {},
      { mask, biasIds: Int32Array.of(3), biasValues: Float32Array.of(1e6) },
    );
    expect(r.token).toBe(1);
  });
});

describe("sampleRowForTest: allowed-token masks", () => {
  it("only ever returns allowed tokens, greedy or sampled (seeded property test)", () => {
    const next = rng(6);
    for (let trial = 0; trial < 400; trial++) {
      const vocab = 1 + Math.floor(next() * 2500);
      const logits = randomLogits(next, vocab);
      const density = [0.001, 0.02, 0.3, 0.9][trial % 4] as number;
      const allowedSet = new Set<number>();
      for (let i = 0; i < vocab; i++) if (next() < density) allowedSet.add(i);
      allowedSet.add(Math.floor(next() * vocab));
      const allowed = (i: number) => allowedSet.has(i);
      const mask = maskOf(vocab, allowed);
      if (vocab % 32 !== 0) mask[mask.length - 1] = (mask[mask.length - 1] as number) | (-1 << (vocab % 32)); // bits past vocab are ignored
      const greedy = sample(logits, {}, { mask });
      expect(greedy.token).toBe(argmax(logits, allowed));
      const params = {
        temperature: 0.2 + next() * 2,
        topK: next() < 0.5 ? 1 + Math.floor(next() * 20) : 0,
        topP: next() < 0.5 ? 0.2 + next() * 0.8 : 1,
        minP: next() < 0.3 ? next() * 0.3 : 0,
        seed: trial,
        numTopLogprobs: 5,
      };
      const r = sample(logits, params, { mask });
      expect(allowed(r.token)).toBe(true);
      for (const id of r.topIds) expect(allowed(id)).toBe(true);
    }
  });

  it("returns -1 with -Infinity logprob when the mask allows nothing", () => {
    const r = sample([1, 2, 3], { temperature: 1, numTopLogprobs: 3 }, { mask: Int32Array.of(0) });
    expect(r).toEqual({
      token: -1,
      logprob: Number.NEGATIVE_INFINITY,
      topIds: new Int32Array(0),
      topLogprobs: new Float32Array(0),
    });
    expect(sample([1, 2, 3], {}, { mask: Int32Array.of(0b1000) }).token).toBe(-1); // bit 3 is past the vocabulary
  });

  it("uses token 31 and 32 bits correctly (sign bit of a word)", () => {
    const logits = new Float32Array(64).fill(0);
    logits[5] = 10;
    expect(sample(logits, {}, { mask: maskOf(64, (i) => i === 31 || i === 32) }).token).toBe(31);
    expect(sample(logits, {}, { mask: Int32Array.of(0, 1) }).token).toBe(32);
  });
});

describe("sampleRowForTest: logprobs", () => {
  it("equal a JS log-softmax within 1e-5, whatever the temperature and truncation", () => {
    const next = rng(7);
    for (let trial = 0; trial < 20; trial++) {
      const vocab = 20 + Math.floor(next() * 5000);
      const logits = randomLogits(next, vocab, 6);
      const ref = logSoftmax(logits);
      const order = rankOrder(
        logits,
        Array.from(logits, (_, i) => i),
      );
      const params = { temperature: 0.3 + next() * 2, topK: 10, topP: 0.8, seed: trial, numTopLogprobs: 20 };
      const r = sample(logits, params);
      expect(Array.from(r.topIds)).toEqual(order.slice(0, 20));
      expectTopLogprobs(r, ref, 1e-5);
      expect(Math.abs(r.logprob - (ref[r.token] as number))).toBeLessThan(1e-5);
      const greedy = sample(logits, { numTopLogprobs: 1 });
      expect(greedy.logprob).toBe(greedy.topLogprobs[0]);
    }
  });

  it("are taken over the allowed tokens only, and list at most the tokens with p > 0", () => {
    const logits = [0.5, 2, -1, 3, 1];
    const mask = maskOf(5, (i) => i !== 3);
    const r = sample(logits, { numTopLogprobs: 20 }, { mask });
    const ref = logSoftmax(logits, (i) => i !== 3);
    expect(Array.from(r.topIds)).toEqual([1, 4, 0, 2]);
    expectTopLogprobs(r, ref, 1e-5);
  });
});

describe("sampleRowForTest: non-finite logits", () => {
  it("never picks a NaN logit and treats it as -Infinity in logprobs", () => {
    const logits = [Number.NaN, 1, Number.NaN, 0.5, 2, Number.NaN];
    expect(sample(logits).token).toBe(4);
    for (let seed = 0; seed < 300; seed++) {
      const r = sample(logits, { temperature: 5, seed, numTopLogprobs: 6 });
      expect([1, 3, 4]).toContain(r.token);
      expect(Array.from(r.topIds)).toEqual([4, 1, 3]);
    }
    const ref = logSoftmax(logits);
    const r = sample(logits, { numTopLogprobs: 3 });
    expectTopLogprobs(r, ref, 1e-5);
  });

  it("shares the mass equally among +Infinity logits, and among all tokens when none is finite", () => {
    const inf = Number.POSITIVE_INFINITY;
    const logits = [1, inf, 3, inf, Number.NaN];
    expect(sample(logits).token).toBe(1);
    const counts = histogram(5, 2000, (seed) => sample(logits, { temperature: 1, seed }).token);
    expect([counts[0], counts[2], counts[4]]).toEqual([0, 0, 0]);
    expect(Math.abs((counts[1] as number) - 1000)).toBeLessThan(150);
    expect(sample(logits).logprob).toBeCloseTo(-Math.log(2), 6);

    const none = [Number.NaN, Number.NEGATIVE_INFINITY, Number.NaN];
    expect(sample(none).token).toBe(0);
    expect(sample(none).logprob).toBeCloseTo(-Math.log(3), 6);
    const drawn = new Set(
      Array.from({ length: 100 }, (_, seed) => sample(none, { temperature: 1, seed }).token),
    );
    expect(drawn).toEqual(new Set([0, 1, 2]));
  });

  it("keeps extreme temperatures finite", () => {
    const logits = [1, 3, 2];
    expect(sample(logits, { temperature: 1e-38, seed: 1 }).token).toBe(1);
    expect(sample(logits, { temperature: 3e38, seed: 1, topP: 0.5 }).token).toBeGreaterThanOrEqual(0);
    expect(sample([1e30, -1e30, 3e38], { temperature: 0.01, seed: 2 }).token).toBe(2);
  });
});

describe("sampleRowForTest: argument validation", () => {
  const logits = Float32Array.of(1, 2, 3);
  const call =
    (...args: unknown[]) =>
    () =>
      (addon.sampleRowForTest as (...a: unknown[]) => unknown)(...args);

  it("rejects malformed arguments with TypeError", () => {
    for (const args of [
      [],
      [logits],
      [[1, 2, 3], {}],
      [Float64Array.of(1, 2), {}],
      [logits, null],
      [logits, 3],
      [logits, { temprature: 1 }],
      [logits, { temperature: "1" }],
      [logits, { seed: "1" }],
      [logits, {}, 5],
      [logits, {}, { history: [1] }],
      [logits, {}, { mask: Uint32Array.of(1) }],
      [logits, {}, { biasIds: Int32Array.of(1) }],
      [logits, {}, { biasValues: Float32Array.of(1) }],
      [logits, {}, { extra: 1 }],
      [logits, {}, {}, 4],
    ]) {
      expect(call(...args), JSON.stringify(args)).toThrow(TypeError);
    }
  });

  it("rejects out-of-range values with RangeError", () => {
    for (const [params, inputs] of [
      [{ temperature: -1 }],
      [{ temperature: Number.NaN }],
      [{ temperature: Number.POSITIVE_INFINITY }],
      [{ topK: -1 }],
      [{ topK: 1.5 }],
      [{ topP: 0 }],
      [{ topP: 1.01 }],
      [{ minP: -0.1 }],
      [{ minP: 2 }],
      [{ repetitionPenalty: 0 }],
      [{ presencePenalty: Number.NaN }],
      [{ seed: -1 }],
      [{ seed: 1.5 }],
      [{ seed: 2 ** 53 }],
      [{ seed: -1n }],
      [{ step: 2n ** 64n }],
      [{ numTopLogprobs: 21 }],
      [{}, { history: Int32Array.of(0, 3) }],
      [{}, { history: Int32Array.of(-1) }],
      [{}, { biasIds: Int32Array.of(1, 2), biasValues: Float32Array.of(1) }],
      [{}, { biasIds: Int32Array.of(7), biasValues: Float32Array.of(1) }],
      [{}, { biasIds: Int32Array.of(1), biasValues: Float32Array.of(Number.NaN) }],
      [{}, { mask: new Int32Array(2) }],
      [{}, { mask: new Int32Array(0) }],
    ] as Array<[unknown, unknown?]>) {
      expect(
        call(logits, params, inputs),
        JSON.stringify([params, inputs], (_, v) => (typeof v === "bigint" ? `${v}n` : v)),
      ).toThrow(RangeError);
    }
    expect(call(new Float32Array(0), {})).toThrow(RangeError);
  });

  it("survives hostile getters: a throwing one propagates, a detaching one is caught", () => {
    const throwing = {
      get temperature(): number {
        throw new Error("boom");
      },
    };
    expect(call(logits, throwing)).toThrow("boom");
    const row = Float32Array.of(1, 2, 3);
    const detaching = {
      get temperature(): number {
        structuredClone(row.buffer, { transfer: [row.buffer] });
        return 1;
      },
    };
    expect(call(row, detaching)).toThrow(RangeError);
  });
});
