/**
 * Robustness of the whole open path (format detection, GGUF/safetensors parsing, spec, tensor
 * checks, tokenizer construction, tensor decoding) on real files written by make-model, then
 * truncated and mutated. Every outcome is a successful open or a ServingError naming the file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServingError } from "../errors.js";
import { prngU32 as prng } from "../test-support/prng.js";
import { makeModel } from "./make-model.js";
import { openModel } from "./open-model.js";
import { type ModelShape, PRESETS } from "./presets.js";
import { readTensorF32 } from "./tensor-codec.js";
import { tokenizerForModel } from "./tokenizer-for-model.js";

const dir = mkdtempSync(join(tmpdir(), "tokenflow-model-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shape: ModelShape = {
  ...(PRESETS.tiny as ModelShape),
  dim: 32,
  heads: 2,
  kvHeads: 1,
  layers: 1,
  ffn: 64,
  dtype: "F16",
};

/** Opens a (possibly damaged) model fully; returns "ok" or the error, failing on non-ServingErrors. */
async function openFully(path: string, named: string): Promise<string> {
  try {
    const model = await openModel(path);
    if (model.vocab || model.tokenizerJson) tokenizerForModel(model).encode("Hello, world");
    for (const ref of model.tensors.values()) await readTensorF32(ref);
    return "ok";
  } catch (err) {
    if (!(err instanceof ServingError))
      throw new Error(`non-ServingError for ${path}: ${(err as Error)?.stack}`);
    expect(err.message).toContain(named);
    return err.code;
  }
}

describe("damaged model files end in clear errors", () => {
  let gguf: Buffer;
  let safetensors: Buffer;
  const ggufPath = join(dir, "model.gguf");
  const hfDir = join(dir, "hf");

  beforeAll(async () => {
    await makeModel({ shape, format: "gguf", seed: 1, out: ggufPath });
    await makeModel({ shape, format: "hf", seed: 1, out: hfDir });
    gguf = readFileSync(ggufPath);
    safetensors = readFileSync(join(hfDir, "model.safetensors"));
  });

  it("opens the undamaged files", async () => {
    expect(await openFully(ggufPath, ggufPath)).toBe("ok");
    expect(await openFully(hfDir, hfDir)).toBe("ok");
  });

  it("GGUF truncated anywhere", async () => {
    const next = prng(1);
    const target = join(dir, "cut.gguf");
    const cuts = [0, 3, 4, 8, 16, 24, 100, 1000, 50_000, gguf.length - 1];
    for (let i = 0; i < 60; i++) cuts.push(next() % gguf.length);
    for (const cut of cuts) {
      writeFileSync(target, gguf.subarray(0, cut));
      expect(await openFully(target, target), `cut at ${cut}`).not.toBe("ok");
    }
  });

  it("GGUF with random bytes overwritten (header, vocabulary, tensor infos)", async () => {
    const next = prng(2);
    const target = join(dir, "mut.gguf");
    const headerEnd = Math.min(gguf.length, 600_000);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 150; i++) {
      const copy = Buffer.from(gguf);
      for (let k = 0; k < 1 + (next() % 4); k++) copy[next() % headerEnd] = next() & 0xff;
      writeFileSync(target, copy);
      const outcome = await openFully(target, target);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect([...outcomes.keys()].some((k) => k !== "ok")).toBe(true);
  });

  it("safetensors truncated or mutated inside a Hugging Face directory", async () => {
    const next = prng(3);
    const target = join(dir, "hf-damaged");
    rmSync(target, { recursive: true, force: true });
    await makeModel({ shape, format: "hf", seed: 1, out: target });
    const file = join(target, "model.safetensors");
    const headerLen = Number(safetensors.readBigUInt64LE(0)) + 8;
    for (let i = 0; i < 80; i++) {
      const copy = Buffer.from(safetensors);
      if (i % 2 === 0) writeFileSync(file, copy.subarray(0, next() % copy.length));
      else {
        for (let k = 0; k < 1 + (next() % 3); k++) copy[next() % headerLen] = next() & 0xff;
        writeFileSync(file, copy);
      }
      await openFully(target, target);
    }
    writeFileSync(join(target, "config.json"), "{ not json");
    expect(await openFully(target, target)).not.toBe("ok");
  });
});
