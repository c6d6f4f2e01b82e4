import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Token } from "node-llama-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { referenceLlama } from "../test-support/llama-cpp.js";
import { sharedPath } from "../test-support/shared-data.js";
import { convertLlama2c } from "./llama2c-convert.js";
import { hfTensorName, makeModel } from "./make-model.js";
import { openModel } from "./open-model.js";
import { type ModelShape, PRESETS } from "./presets.js";
import { permuteRotaryRows } from "./synthetic-weights.js";
import { readTensorF32 } from "./tensor-codec.js";

const dir = mkdtempSync(join(tmpdir(), "tokenflow-make-model-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = PRESETS.tiny as ModelShape;

/** Bit-exact comparison of two float arrays (vitest's deep equality is slow on millions of elements). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
const small = (over: Partial<ModelShape>): ModelShape => ({ ...tiny, ...over });

/** Loads a GGUF in llama.cpp and evaluates a few tokens: an independent check of the file. */
async function evaluateInLlamaCpp(path: string, tokens: number[]): Promise<number> {
  const llama = await referenceLlama();
  const model = await llama.loadModel({ modelPath: path });
  try {
    const context = await model.createContext({ contextSize: 64, batchSize: 16, threads: 1 });
    try {
      const sequence = context.getSequence();
      const iterator = sequence.evaluate(tokens as Token[], { temperature: 0 });
      const next = await iterator.next();
      await iterator.return?.();
      expect(next.done).toBe(false);
      return next.value as number;
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}

describe("make-model", () => {
  it.each([
    ["llama F32", small({})],
    ["llama F16", small({ dtype: "F16" })],
    ["llama BF16", small({ dtype: "BF16" })],
    ["llama Q8_0", small({ dtype: "Q8_0" })],
    ["qwen2 (QKV bias)", small({ arch: "qwen2", dtype: "F16" })],
    ["qwen3 (q/k norm)", small({ arch: "qwen3", vocab: "qwen3", dtype: "F16", tiedEmbeddings: true })],
  ])("writes a %s GGUF that llama.cpp loads and runs", async (_label, shape) => {
    const path = join(dir, `${shape.arch}-${shape.vocab}-${shape.dtype}.gguf`);
    const made = await makeModel({ shape, format: "gguf", seed: 7, out: path });
    const opened = await openModel(path);
    expect(opened.spec.architecture).toBe(shape.arch);
    expect(opened.spec.dim).toBe(shape.dim);
    expect(opened.spec.numKvHeads).toBe(shape.kvHeads);
    expect(opened.spec.qkvBias).toBe(shape.arch === "qwen2");
    expect(opened.spec.qkNorm).toBe(shape.arch === "qwen3");
    expect(opened.spec.tiedEmbeddings).toBe(shape.tiedEmbeddings);
    expect(made.numParams).toBeGreaterThan(shape.dim * made.spec.vocabSize);
    const next = await evaluateInLlamaCpp(path, [1, 100, 200, 300]);
    expect(next).toBeGreaterThanOrEqual(0);
    expect(next).toBeLessThan(opened.spec.vocabSize);
  });

  it("gives the same weights as GGUF and as a Hugging Face directory for the same seed", async () => {
    const shape = small({ dtype: "F16" });
    const gguf = await openModel(
      (await makeModel({ shape, format: "gguf", seed: 3, out: join(dir, "same.gguf") })).path,
    );
    const hf = await openModel(
      (await makeModel({ shape, format: "hf", seed: 3, out: join(dir, "same-hf") })).path,
    );
    expect(hf.format).toBe("hf");
    expect(hf.spec.ropeStyle).toBe("neox");
    expect(gguf.spec.ropeStyle).toBe("normal");
    expect([...hf.tensors.keys()].sort()).toEqual([...gguf.tensors.keys()].sort());
    for (const [name, ref] of gguf.tensors) {
      const hfRef = hf.tensors.get(name);
      if (!hfRef) throw new Error(`missing ${name} (${hfTensorName(name)})`);
      let hfValues = await readTensorF32(hfRef);
      const cols = ref.shape[1] ?? 1;
      if (name.endsWith("attn_q.weight")) hfValues = permuteRotaryRows(hfValues, shape.heads, cols);
      if (name.endsWith("attn_k.weight")) hfValues = permuteRotaryRows(hfValues, shape.kvHeads, cols);
      expect(sameBits(await readTensorF32(ref), hfValues), name).toBe(true);
    }
  });

  it("is deterministic in its seed", async () => {
    const a = await openModel(
      (await makeModel({ shape: tiny, format: "gguf", seed: 11, out: join(dir, "a.gguf") })).path,
    );
    const b = await openModel(
      (await makeModel({ shape: tiny, format: "gguf", seed: 11, out: join(dir, "b.gguf") })).path,
    );
    const c = await openModel(
      (await makeModel({ shape: tiny, format: "gguf", seed: 12, out: join(dir, "c.gguf") })).path,
    );
    const name = "blk.1.ffn_up.weight";
    const get = (m: typeof a) => readTensorF32(m.tensors.get(name) ?? (undefined as never));
    expect(sameBits(await get(a), await get(b))).toBe(true);
    expect(sameBits(await get(a), await get(c))).toBe(false);
  });

  it("refuses Q8_0 in safetensors and row widths Q8_0 cannot hold", async () => {
    await expect(
      makeModel({ shape: small({ dtype: "Q8_0" }), format: "hf", seed: 0, out: join(dir, "q8-hf") }),
    ).rejects.toThrow(/safetensors cannot hold Q8_0/);
    await expect(
      makeModel({
        shape: small({ dtype: "Q8_0", ffn: 100 }),
        format: "gguf",
        seed: 0,
        out: join(dir, "q8.gguf"),
      }),
    ).rejects.toThrow(/multiple of 32/);
  });
});

const stories = sharedPath("models/stories260K.bin");

describe.skipIf(stories === null)("make-model --from-llama2c", () => {
  it("converts stories260K to a GGUF that llama.cpp runs, with the checkpoint's weights", async () => {
    const out = join(dir, "stories260K.gguf");
    const made = await convertLlama2c(stories as string, out, "F32");
    expect(made.spec.dim).toBe(64);
    const source = await openModel(stories as string);
    const converted = await openModel(out);
    expect(converted.spec.vocabSize).toBe(512);
    expect(converted.spec.ropeStyle).toBe("normal");
    for (const [name, ref] of source.tensors) {
      const got = converted.tensors.get(name);
      if (!got) throw new Error(`missing ${name}`);
      expect(sameBits(await readTensorF32(got), await readTensorF32(ref)), name).toBe(true);
    }
    const next = await evaluateInLlamaCpp(out, [1, 300, 301, 302]);
    expect(next).toBeLessThan(512);
  });
});
