import { copyFile, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError } from "../errors.js";
import { sharedPath } from "../test-support/shared-data.js";
import {
  LLAMA2C_HEADER_BYTES,
  llama2cExpectedSizeBytes,
  parseLlama2cHeader,
  readLlama2c,
} from "./llama2c.js";
import { openModel } from "./open-model.js";
import { specFromLlama2c } from "./spec-from-llama2c.js";
import { readTensorF32 } from "./tensor-codec.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenflow-l2c-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function header(fields: number[]): Uint8Array {
  const buf = Buffer.alloc(LLAMA2C_HEADER_BYTES);
  for (const [i, v] of fields.entries()) buf.writeInt32LE(v, i * 4);
  return buf;
}

/** A synthetic checkpoint whose every float is its own index, so offsets can be checked. */
async function writeSynthetic(name: string, fields: number[]): Promise<string> {
  const h = parseLlama2cHeader(header(fields));
  if (typeof h === "string") throw new Error(h);
  const floats = (Number(llama2cExpectedSizeBytes(h)) - LLAMA2C_HEADER_BYTES) / 4;
  const data = new Float32Array(floats).map((_, i) => i);
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([header(fields), Buffer.from(data.buffer)]));
  return path;
}

describe("llama2.c header", () => {
  it.each([
    [[0, 172, 5, 8, 4, 512, 512], /dim = 0/],
    [[64, 172, 5, 7, 7, 512, 512], /not divisible by n_heads/],
    [[64, 172, 5, 8, 3, 512, 512], /multiple of n_kv_heads/],
    [[64, 172, 5, 8, 16, 512, 512], /multiple of n_kv_heads/],
    [[48, 172, 5, 16, 4, 512, 512], /head size 3 is odd/],
    [[64, 172, 5, 8, 4, 0, 512], /vocab_size = 0/],
    [[64, 172, -5, 8, 4, 512, 512], /n_layers = -5/],
  ])("refuses %j", (fields, pattern) => {
    expect(parseLlama2cHeader(header(fields))).toMatch(pattern);
  });

  it("maps per-layer slices in run.c's order, with an unshared classifier", async () => {
    // dim 8, hidden 12, 2 layers, 4 heads, 2 kv heads, vocab 10 (unshared), seq_len 3.
    const path = await writeSynthetic("tiny.bin", [8, 12, 2, 4, 2, -10, 3]);
    const { header: h, tensors } = await readLlama2c(path);
    expect(h).toMatchObject({ vocabSize: 10, sharedClassifier: false, numKvHeads: 2 });
    const byName = new Map(tensors.map((t) => [t.name, t]));
    // Float index where each tensor starts: emb 80, rms_att 2×8, wq 2×64, wk 2×32, wv 2×32, wo 2×64, ...
    const starts: [string, number, number[]][] = [
      ["token_embd.weight", 0, [10, 8]],
      ["blk.0.attn_norm.weight", 80, [8]],
      ["blk.1.attn_norm.weight", 88, [8]],
      ["blk.0.attn_q.weight", 96, [8, 8]],
      ["blk.1.attn_q.weight", 160, [8, 8]],
      ["blk.0.attn_k.weight", 224, [4, 8]],
      ["blk.1.attn_v.weight", 320, [4, 8]],
      ["blk.0.attn_output.weight", 352, [8, 8]],
      ["blk.0.ffn_norm.weight", 480, [8]],
      ["blk.0.ffn_gate.weight", 496, [12, 8]],
      ["blk.0.ffn_down.weight", 688, [8, 12]],
      ["blk.1.ffn_up.weight", 976, [12, 8]],
      ["output_norm.weight", 1072, [8]],
      // freq_cis_real/imag: 2 × 3 × 1 floats skipped.
      ["output.weight", 1086, [10, 8]],
    ];
    for (const [name, start, shape] of starts) {
      const t = byName.get(name);
      expect(t?.shape, name).toEqual(shape);
      expect(t?.offsetBytes, name).toBe(LLAMA2C_HEADER_BYTES + start * 4);
      const values = await readTensorF32(t ?? (undefined as never));
      expect(values[0], name).toBe(start);
    }
    expect(tensors).toHaveLength(1 + 2 * 9 + 2);
  });
});

const stories = sharedPath("models/stories260K.bin");

describe.skipIf(stories === null)("stories260K.bin (shared data)", () => {
  const path = stories ?? "";

  it("reads the header and spec", async () => {
    const { header: h, tensors } = await readLlama2c(path);
    const spec = specFromLlama2c(h, path);
    expect(spec).toMatchObject({
      architecture: "llama",
      name: "stories260K",
      dim: 64,
      ffnDim: 172,
      numLayers: 5,
      numHeads: 8,
      numKvHeads: 4,
      headDim: 8,
      vocabSize: 512,
      contextLength: 512,
      tiedEmbeddings: true,
      ropeStyle: "normal",
    });
    expect(tensors.find((t) => t.name === "output.weight")).toBeUndefined();
    expect(tensors.find((t) => t.name === "blk.4.attn_k.weight")?.shape).toEqual([32, 64]);
  });

  it("holds trained weights where the refs point (RMSNorm gains near 1, embeddings small)", async () => {
    const model = await openModel(path);
    expect(model.format).toBe("llama2c");
    const norm = await readTensorF32(model.tensors.get("output_norm.weight") ?? (undefined as never));
    const mean = norm.reduce((a, b) => a + b, 0) / norm.length;
    expect(mean).toBeGreaterThan(0.2);
    expect(mean).toBeLessThan(5);
    const emb = await readTensorF32(model.tensors.get("token_embd.weight") ?? (undefined as never));
    expect(emb.every((v) => Number.isFinite(v) && Math.abs(v) < 10)).toBe(true);
  });

  it("fails clearly on a truncated copy", async () => {
    const copy = join(dir, "stories-truncated.bin");
    await copyFile(path, copy);
    const fh = await open(copy, "r+");
    await fh.truncate((await readFile(path)).length - 100);
    await fh.close();
    const err = await openModel(copy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(
      /stories-truncated\.bin: llama2\.c header .* implies 1056540 bytes but the file has 1056440 \(truncated\?\)/,
    );
  });
});
