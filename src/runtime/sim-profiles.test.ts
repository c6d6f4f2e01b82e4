import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { linearParams } from "./sim-cost-model.js";
import { SIM_PROFILES, simProfile } from "./sim-profiles.js";

describe("sim profiles", () => {
  it("has the paper's GPU and model pairs", () => {
    for (const name of ["h200-llama3-8b", "a6000-llama3-8b", "rtx4090-llama3-8b", "h200-qwen2.5-32b"])
      expect(simProfile(name).name).toBe(name);
  });

  it("throws InvalidArgumentError listing the valid names", () => {
    expect(() => simProfile("h100-llama3-8b")).toThrow(InvalidArgumentError);
    expect(() => simProfile("toString")).toThrow(/valid: h200-llama3-8b, h200-qwen2.5-32b/);
  });

  for (const p of Object.values(SIM_PROFILES)) {
    it(`${p.name}: shape and memory are consistent`, () => {
      const m = p.model;
      expect(p.blockTokens).toBe(16);
      expect(m.kvBytesPerToken).toBe(2 * m.numLayers * m.numKvHeads * m.headDim * 2);
      // bf16 weights = (GEMM parameters + embedding + output head) × 2 bytes, within 1% (norms, biases).
      const params = linearParams(p) + 2 * m.vocabSize * m.dim;
      expect(Math.abs(m.weightBytes / (2 * params) - 1)).toBeLessThan(0.01);
      expect(p.kvCacheBytes + m.weightBytes).toBeLessThan(p.deviceMemoryBytes);
      expect(p.kvCacheBytes / (m.kvBytesPerToken * 16)).toBeGreaterThan(1000);
      expect(p.hostKvBytes).toBeGreaterThan(p.kvCacheBytes);
      expect(p.contextLength).toBe(m.contextLength);
      expect(p.maxBatchTokens).toBeGreaterThanOrEqual(2048);
      const f = p.fit;
      for (const e of [
        f.weightReadEfficiency,
        f.kvReadEfficiency,
        f.matmulEfficiency,
        f.attentionEfficiency,
      ]) {
        expect(e).toBeGreaterThan(0.3);
        expect(e).toBeLessThanOrEqual(1);
      }
    });
  }

  it("sizes the H200 Llama pool as mem-frac 0.3 of 141 GB minus the weights (paper §7.1)", () => {
    const p = simProfile("h200-llama3-8b");
    expect(p.kvCacheBytes).toBe(Math.floor(0.3 * 141e9 - p.model.weightBytes));
  });
});
