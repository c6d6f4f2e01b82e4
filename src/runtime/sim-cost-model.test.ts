import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sharedPath } from "../test-support/shared-data.js";
import {
  batchShape,
  blockBytes,
  countCopies,
  decodeStepMs,
  forwardMs,
  prefillStepMs,
  sampleMs,
  transferMs,
} from "./sim-cost-model.js";
import { simProfile } from "./sim-profiles.js";

const calibrationPath = sharedPath("data/calibration/h200-steptime.json");

interface CalibrationModel {
  readonly kv_bytes_per_token: number;
  readonly weight_bytes: number;
  readonly decode_ms: Record<string, number>;
  readonly prefill_ms: Record<string, number>;
  readonly chunk_prefill_ms?: Record<string, number>;
}

interface Calibration {
  readonly models: Record<string, CalibrationModel>;
  readonly kv_block_copies: Record<string, { ms: number; copies: number } | string>;
}

/** Relative error of `actual` against `expected`. */
function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / expected;
}

describe.skipIf(calibrationPath === null)("sim cost model: H200 calibration", () => {
  // Read only when present: a skipped describe still runs its body to collect tests.
  const cal: Calibration =
    calibrationPath === null
      ? { models: {}, kv_block_copies: {} }
      : (JSON.parse(readFileSync(calibrationPath, "utf8")) as Calibration);

  for (const [model, entry] of Object.entries(cal.models)) {
    it(`reproduces every ${model} entry within 10%`, () => {
      const profile = simProfile(`h200-${model}`);
      expect(profile.model.kvBytesPerToken).toBe(entry.kv_bytes_per_token);
      expect(profile.model.weightBytes).toBe(entry.weight_bytes);
      const misses: string[] = [];
      const check = (key: string, predicted: number, measured: number) => {
        if (relErr(predicted, measured) > 0.1) misses.push(`${key}: ${predicted.toFixed(2)} vs ${measured}`);
      };
      const decode = Object.entries(entry.decode_ms);
      expect(decode.length).toBeGreaterThan(5);
      for (const [key, ms] of decode) {
        const m = /^B(\d+)_L(\d+)$/.exec(key);
        if (!m) throw new Error(`unexpected decode key ${key}`);
        check(key, decodeStepMs(profile, Number(m[1]), Number(m[2])), ms);
      }
      for (const [key, ms] of Object.entries(entry.prefill_ms)) {
        const m = /^T(\d+)$/.exec(key);
        if (!m) throw new Error(`unexpected prefill key ${key}`);
        check(key, prefillStepMs(profile, Number(m[1])), ms);
      }
      for (const [key, ms] of Object.entries(entry.chunk_prefill_ms ?? {})) {
        const m = /^T(\d+)_prefix(\d+)$/.exec(key);
        if (!m) throw new Error(`unexpected chunk key ${key}`);
        check(key, prefillStepMs(profile, Number(m[1]), Number(m[2]), false), ms);
      }
      expect(misses).toEqual([]);
    });
  }

  it("reproduces the KV block copies: coalesced vs one copy per (block, layer, K/V)", () => {
    const profile = simProfile("h200-llama3-8b");
    let checked = 0;
    for (const [key, entry] of Object.entries(cal.kv_block_copies)) {
      if (typeof entry === "string") continue;
      const m = /_(d2h|h2d)_(\d+)blocks$/.exec(key);
      if (!m) throw new Error(`unexpected copy key ${key}`);
      const bytes = Number(m[2]) * blockBytes(profile);
      const ms = transferMs(profile.hostLink, m[1] === "d2h" ? "store" : "load", bytes, entry.copies);
      expect(relErr(ms, entry.ms), key).toBeLessThan(0.1);
      checked++;
    }
    expect(checked).toBe(4);
  });
});

describe("sim cost model", () => {
  const h200 = simProfile("h200-llama3-8b");

  it("decode is weight-bound at small batches and grows with batch and context", () => {
    expect(decodeStepMs(h200, 8, 512)).toBeLessThan(decodeStepMs(h200, 1, 512) * 1.1);
    expect(decodeStepMs(h200, 256, 512)).toBeGreaterThan(decodeStepMs(h200, 128, 512));
    expect(decodeStepMs(h200, 64, 4096)).toBeGreaterThan(decodeStepMs(h200, 64, 2048));
  });

  it("charges chunked prefill for its prefix and its paged path", () => {
    expect(prefillStepMs(h200, 512, 8192, false)).toBeGreaterThan(prefillStepMs(h200, 512, 0, false));
    expect(prefillStepMs(h200, 512, 0, false)).toBeGreaterThan(prefillStepMs(h200, 512));
    expect(forwardMs(h200, batchShape([]))).toBe(0);
  });

  it("sums mixed batches: a prefill chunk riding a decode batch costs more than either", () => {
    const decode = Array.from({ length: 32 }, () => ({ numNewTokens: 1, contextLen: 600, isSampled: true }));
    const chunk = { numNewTokens: 512, contextLen: 512, isSampled: true };
    const mixed = forwardMs(h200, batchShape([...decode, chunk]));
    expect(mixed).toBeGreaterThan(forwardMs(h200, batchShape(decode)));
    expect(mixed).toBeGreaterThan(forwardMs(h200, batchShape([chunk])));
    const shape = batchShape([...decode, chunk]);
    expect(shape).toMatchObject({ numRows: 33, numTokens: 544, numSampled: 33, hasPrefill: true });
    expect(shape.hasChunkedPrefill).toBe(false);
  });

  it("scales other GPUs from their datasheets", () => {
    const r4090 = simProfile("rtx4090-llama3-8b");
    const a6000 = simProfile("a6000-llama3-8b");
    // Weight-bound decode: step time ∝ 1 / bandwidth (4.8 TB/s vs 1008 vs 768 GB/s).
    const ratio4090 = (decodeStepMs(r4090, 1, 512) - 1) / (decodeStepMs(h200, 1, 512) - 1);
    expect(ratio4090).toBeGreaterThan(4);
    expect(ratio4090).toBeLessThan(5.5);
    expect(decodeStepMs(a6000, 1, 512)).toBeGreaterThan(decodeStepMs(r4090, 1, 512));
    // Compute-bound prefill: ∝ 1 / peak FLOP/s (989 vs 165.2 TFLOP/s).
    const prefillRatio = prefillStepMs(r4090, 8192) / prefillStepMs(h200, 8192);
    expect(prefillRatio).toBeGreaterThan(5);
    expect(prefillRatio).toBeLessThan(6.5);
  });

  it("times transfers from bytes, bandwidth and copies", () => {
    const pcie = simProfile("rtx4090-llama3-8b").hostLink;
    const bytes = 100 * blockBytes(h200);
    expect(transferMs(pcie, "store", bytes, 1)).toBeCloseTo(0.0104 + (1000 * bytes) / 25e9, 6);
    expect(transferMs(h200.hostLink, "load", bytes, 1)).toBeLessThan(transferMs(pcie, "load", bytes, 1));
    expect(countCopies([4, 5, 6, 9, 10], [0, 1, 2, 3, 4])).toBe(2);
    expect(countCopies([4, 5, 6], [0, 2, 3])).toBe(2);
    expect(countCopies([], [])).toBe(0);
  });

  it("samples in a small fraction of a decode step", () => {
    expect(sampleMs(h200, 0)).toBe(0);
    expect(sampleMs(h200, 256)).toBeGreaterThan(sampleMs(h200, 1));
    expect(sampleMs(h200, 256)).toBeLessThan(decodeStepMs(h200, 256, 512) * 0.05);
  });
});
