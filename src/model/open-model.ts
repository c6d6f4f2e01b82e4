/**
 * Opens a model in any supported format (GGUF file, Hugging Face directory, llama2.c
 * checkpoint) and returns one normalised view: spec, canonical tensors and tokenizer data.
 */
import { open, stat } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { ModelFormatError } from "../errors.js";
import { verifyTensors } from "./expected-tensors.js";
import { metaString } from "./gguf-metadata.js";
import { readGguf } from "./gguf-reader.js";
import { readHfDir } from "./hf-dir.js";
import {
  LLAMA2C_HEADER_BYTES,
  llama2cExpectedSizeBytes,
  parseLlama2cHeader,
  readLlama2c,
} from "./llama2c.js";
import type { ModelSpec } from "./model-spec.js";
import { specFromGguf } from "./spec-from-gguf.js";
import { specFromHfConfig } from "./spec-from-hf.js";
import { specFromLlama2c } from "./spec-from-llama2c.js";
import type { TensorRef } from "./tensor-ref.js";
import { type Vocab, vocabFromGguf, vocabFromTokenizerJson } from "./vocab.js";

/** Model file formats tokenflow reads. */
export type ModelFormat = "gguf" | "hf" | "llama2c";

/** An opened model. Tensor data stays in the files; nothing here is mutated after opening. */
export interface OpenedModel {
  readonly format: ModelFormat;
  /** Absolute path of the file or directory. */
  readonly path: string;
  readonly spec: ModelSpec;
  /**
   * Tensors by canonical GGUF name, in file order. Holds at least every tensor the spec
   * requires, with the right shapes; may hold unused extras (e.g. `output.weight` of a tied model).
   */
  readonly tensors: ReadonlyMap<string, TensorRef>;
  /** Tokenizer data: from GGUF metadata or built from tokenizer.json; `null` for llama2.c. */
  readonly vocab: Vocab | null;
  /** Parsed tokenizer.json of a Hugging Face model; `null` otherwise. */
  readonly tokenizerJson: unknown | null;
  /** Parsed tokenizer_config.json of a Hugging Face model; `null` otherwise. */
  readonly tokenizerConfig: unknown | null;
}

const GGUF_MAGIC = "GGUF";

async function openGguf(path: string): Promise<OpenedModel> {
  const file = await readGguf(path);
  const vocab = metaString(file, "tokenizer.ggml.model") === null ? null : vocabFromGguf(file);
  const spec = specFromGguf(file, vocab);
  const tensors = new Map(file.tensors.map((t) => [t.name, t]));
  return { format: "gguf", path, spec, tensors, vocab, tokenizerJson: null, tokenizerConfig: null };
}

async function openHf(path: string): Promise<OpenedModel> {
  const dir = await readHfDir(path);
  const spec = specFromHfConfig(dir.config, dir.tokenizerConfig, dir.generationConfig, dir.dir);
  const vocab =
    dir.tokenizerJson === null ? null : vocabFromTokenizerJson(dir.tokenizerJson, dir.tokenizerConfig);
  return {
    format: "hf",
    path,
    spec,
    tensors: dir.tensors,
    vocab,
    tokenizerJson: dir.tokenizerJson,
    tokenizerConfig: dir.tokenizerConfig,
  };
}

async function openLlama2c(path: string): Promise<OpenedModel> {
  const ckpt = await readLlama2c(path);
  const spec = specFromLlama2c(ckpt.header, path);
  const tensors = new Map(ckpt.tensors.map((t) => [t.name, t]));
  return { format: "llama2c", path, spec, tensors, vocab: null, tokenizerJson: null, tokenizerConfig: null };
}

/** Reads the first bytes of a file (fewer when the file is shorter). */
async function readPrefix(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, "r").catch((e: unknown) => {
    throw new ModelFormatError(path, `cannot open: ${(e as Error).message}`, { cause: e });
  });
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Decides the format of `path` from what it is and its first bytes. */
async function detectFormat(path: string): Promise<ModelFormat> {
  const info = await stat(path).catch((e: unknown) => {
    throw new ModelFormatError(path, `cannot open: ${(e as Error).message}`, { cause: e });
  });
  if (info.isDirectory()) return "hf";
  if (!info.isFile()) throw new ModelFormatError(path, "not a regular file or directory");
  const prefix = await readPrefix(path, LLAMA2C_HEADER_BYTES);
  if (prefix.subarray(0, 4).toString("latin1") === GGUF_MAGIC) return "gguf";
  // A .bin is taken as llama2.c so that a truncated checkpoint gets llama2.c's precise error.
  if (extname(path).toLowerCase() === ".bin") return "llama2c";
  const header = parseLlama2cHeader(prefix);
  if (typeof header !== "string" && llama2cExpectedSizeBytes(header) === BigInt(info.size)) return "llama2c";
  const hint = /\.safetensors$|config\.json$/i.test(path)
    ? " (for a Hugging Face model, pass its directory)"
    : "";
  throw new ModelFormatError(
    path,
    `not a recognised model: expected a GGUF file, a Hugging Face model directory or a llama2.c checkpoint${hint}`,
  );
}

/**
 * Opens a model: a directory is read as a Hugging Face model, a file starting with "GGUF" as
 * GGUF, a `.bin` (or any file whose size matches a llama2.c header) as a llama2.c checkpoint.
 * The spec is normalised and every tensor the architecture requires is checked for presence
 * and shape. No tensor data is read.
 * @throws ModelFormatError naming the path (or the offending file inside a directory) when the
 *   model is malformed or a tensor is missing or misshapen; UnsupportedError for architectures
 *   or features tokenflow does not run.
 */
export async function openModel(path: string): Promise<OpenedModel> {
  const abs = resolve(path);
  const format = await detectFormat(abs);
  const opened =
    format === "gguf" ? await openGguf(abs) : format === "hf" ? await openHf(abs) : await openLlama2c(abs);
  verifyTensors(opened.spec, opened.tensors, abs);
  return opened;
}
