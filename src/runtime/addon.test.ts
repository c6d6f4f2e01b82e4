import { describe, expect, it } from "vitest";
import { loadAddon } from "./addon.js";

describe("native addon", () => {
  it("loads and reports its version", () => {
    const addon = loadAddon();
    expect(addon.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("reports CPU features consistently with /proc/cpuinfo", async () => {
    const features = loadAddon().cpuFeatures();
    const { readFile } = await import("node:fs/promises");
    const info = await readFile("/proc/cpuinfo", "utf8").catch(() => null);
    if (info === null) return expect(typeof features.avx2).toBe("boolean");
    const flags = new Set((/^flags\s*:(.*)$/m.exec(info)?.[1] ?? "").trim().split(/\s+/));
    expect(features.avx2).toBe(flags.has("avx2"));
    expect(features.fma).toBe(flags.has("fma"));
    expect(features.avx512f).toBe(flags.has("avx512f"));
  });
});
