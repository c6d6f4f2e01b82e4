import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertLlama2c } from "../model/llama2c-convert.js";
import { makeModel } from "../model/make-model.js";
import { type ModelShape, PRESETS } from "../model/presets.js";
import { sharedPath } from "./shared-data.js";

/** Where generated test models are kept between runs (they are deterministic). */
export const TEST_MODEL_DIR = join(tmpdir(), "tokenflow-test-models");

const TINY = PRESETS.tiny as ModelShape;
const BENCH = PRESETS.bench as ModelShape;

/** The generated models the runtime tests use, by name. */
export const TEST_SHAPES = {
  /** llama, dim 64, 2 layers, F32, llama2 vocab. */
  tinyF32: TINY,
  /** The same shape stored as Q8_0. */
  tinyQ8: { ...TINY, dtype: "Q8_0" },
  /** Qwen2 architecture (QKV bias, NeoX rope, tied embeddings), F16. */
  qwen2F16: { ...TINY, arch: "qwen2", dtype: "F16", tiedEmbeddings: true, ropeTheta: 1_000_000 },
  /** Qwen3 architecture (q/k norm, head width != dim / heads), F16. */
  qwen3F16: { ...TINY, arch: "qwen3", dtype: "F16", headDim: 32 },
  /** The small preset's architecture and Llama-3 vocabulary (so JSON tokens exist), tiny dims. */
  llama3Tiny: { ...(PRESETS.small as ModelShape), dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128 },
  /**
   * The same with an untied output matrix: its logits are nearly flat (std ≈ 1), so sampling at
   * temperature 2 is close to uniform over the allowed tokens (tied embeddings give each token a
   * large logit for itself, and a random model then repeats a token forever).
   */
  llama3TinyUntied: {
    ...(PRESETS.small as ModelShape),
    dim: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    ffn: 128,
    tiedEmbeddings: false,
  },
  /** The bench preset's layer shape (Qwen2.5-0.5B: dim 896, 14/2 heads, ffn 4864, qwen3 vocab, F16), 4 layers. */
  benchShaped: { ...BENCH, layers: 4 },
} satisfies Record<string, ModelShape>;

export type TestModelName = keyof typeof TEST_SHAPES;

function keyOf(shape: ModelShape, seed: number): string {
  return createHash("sha256")
    .update(JSON.stringify({ shape, seed, v: 1 }))
    .digest("hex")
    .slice(0, 12);
}

/**
 * Path of a generated GGUF test model, written once into the OS temp directory and reused by
 * later runs (written to a temporary name first, so an interrupted run leaves nothing half-made).
 */
export async function testModelPath(name: TestModelName, seed = 1): Promise<string> {
  const shape: ModelShape = TEST_SHAPES[name];
  const path = join(TEST_MODEL_DIR, `${name}-${keyOf(shape, seed)}.gguf`);
  if (existsSync(path)) return path;
  await mkdir(TEST_MODEL_DIR, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  try {
    await makeModel({ shape, format: "gguf", seed, out: partial, name });
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return path;
}

/** stories260K converted to an F32 GGUF (cached), or `null` when the shared file is missing. */
export async function storiesGgufPath(): Promise<string | null> {
  const source = sharedPath("models/stories260K.bin");
  if (!source) return null;
  const path = join(TEST_MODEL_DIR, "stories260K-f32.gguf");
  if (existsSync(path)) return path;
  await mkdir(TEST_MODEL_DIR, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  try {
    await convertLlama2c(source, partial, "F32");
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return path;
}
