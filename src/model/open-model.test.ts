import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError } from "../errors.js";
import { openModel } from "./open-model.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenflow-open-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(path: string): Promise<ModelFormatError> {
  const err = await openModel(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ModelFormatError);
  return err as ModelFormatError;
}

describe("openModel format detection", () => {
  it("names a path that does not exist", async () => {
    const path = join(dir, "nope.gguf");
    expect((await failure(path)).message).toMatch(new RegExp(`^${path}: cannot open`));
  });

  it("refuses an unrecognised file, with a hint for safetensors", async () => {
    const txt = join(dir, "notes.txt");
    await writeFile(txt, "hello, this is not a model at all");
    expect((await failure(txt)).message).toBe(
      `${txt}: not a recognised model: expected a GGUF file, a Hugging Face model directory or a llama2.c checkpoint`,
    );
    const st = join(dir, "model.safetensors");
    await writeFile(st, Buffer.alloc(16));
    expect((await failure(st)).message).toMatch(/pass its directory/);
  });

  it("reads a .bin as llama2.c and a GGUF magic as GGUF, failing with their own errors", async () => {
    const bin = join(dir, "tiny.bin");
    await writeFile(bin, Buffer.alloc(10));
    expect((await failure(bin)).message).toMatch(/not a llama2\.c checkpoint: header needs 28 bytes, got 10/);
    const gguf = join(dir, "x.model");
    await writeFile(gguf, Buffer.from("GGUF\u0003\u0000\u0000\u0000"));
    expect((await failure(gguf)).file).toBe(gguf);
  });

  it("detects a llama2.c checkpoint without the .bin extension by its exact size", async () => {
    // dim 8, hidden 8, 1 layer, 2 heads, 2 kv heads, vocab 4 (shared), seq_len 2.
    const fields = [8, 8, 1, 2, 2, 4, 2];
    const floats = 4 * 8 + 8 + 64 * 4 + 8 + 64 * 3 + 8 + 2 * 2 * 2;
    const buf = Buffer.alloc(28 + floats * 4);
    for (const [i, v] of fields.entries()) buf.writeInt32LE(v, i * 4);
    const path = join(dir, "tiny.ckpt");
    await writeFile(path, buf);
    const model = await openModel(path);
    expect(model.format).toBe("llama2c");
    expect(model.spec).toMatchObject({ dim: 8, numLayers: 1, vocabSize: 4, tiedEmbeddings: true });
    expect(model.vocab).toBeNull();
  });
});
