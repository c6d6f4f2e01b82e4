/**
 * Reader of llama2.c checkpoints (the "legacy" export of karpathy/llama2.c, read by its run.c):
 * seven int32 header fields, then fp32 weights. Produces {@link TensorRef}s with canonical GGUF
 * names pointing at per-layer slices of the file; no weight is read into memory.
 */
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { ModelFormatError } from "../errors.js";
import { type GgmlTypeInfo, ggmlTypeByName } from "./ggml-types.js";
import type { TensorRef } from "./tensor-ref.js";

/** The llama2.c `Config` header, with `vocabSize` made positive. */
export interface Llama2cHeader {
  readonly dim: number;
  readonly hiddenDim: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  /** Absolute value of the stored vocab size. */
  readonly vocabSize: number;
  /** The classifier shares the token embedding (stored vocab size was positive). */
  readonly sharedClassifier: boolean;
  readonly seqLen: number;
}

/** A parsed llama2.c checkpoint. */
export interface Llama2cCheckpoint {
  /** Absolute path of the checkpoint. */
  readonly path: string;
  readonly header: Llama2cHeader;
  /** Canonical-named tensors in file order (the RoPE tables are skipped). */
  readonly tensors: TensorRef[];
}

/** Size of the header in bytes (7 × int32). */
export const LLAMA2C_HEADER_BYTES = 28;

/** Generous upper bound for any one header field; keeps size arithmetic exact. */
const MAX_FIELD = 1 << 24;

/**
 * Decodes and sanity-checks the 28-byte header. Returns a problem description instead of a
 * header when the values cannot describe a llama2.c model.
 */
export function parseLlama2cHeader(bytes: Uint8Array): Llama2cHeader | string {
  if (bytes.length < LLAMA2C_HEADER_BYTES)
    return `header needs ${LLAMA2C_HEADER_BYTES} bytes, got ${bytes.length}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, LLAMA2C_HEADER_BYTES);
  const f = (i: number) => view.getInt32(i * 4, true);
  const [dim, hiddenDim, numLayers, numHeads, numKvHeads, rawVocab, seqLen] = [0, 1, 2, 3, 4, 5, 6].map(
    f,
  ) as [number, number, number, number, number, number, number];
  const fields = {
    dim,
    hidden_dim: hiddenDim,
    n_layers: numLayers,
    n_heads: numHeads,
    n_kv_heads: numKvHeads,
    seq_len: seqLen,
  };
  for (const [k, v] of Object.entries({ ...fields, vocab_size: Math.abs(rawVocab) })) {
    if (v <= 0 || v > MAX_FIELD) return `header field ${k} = ${v} is out of range (1..${MAX_FIELD})`;
  }
  if (dim % numHeads !== 0) return `dim ${dim} is not divisible by n_heads ${numHeads}`;
  if (numKvHeads > numHeads || numHeads % numKvHeads !== 0) {
    return `n_heads ${numHeads} is not a multiple of n_kv_heads ${numKvHeads}`;
  }
  if ((dim / numHeads) % 2 !== 0) return `head size ${dim / numHeads} is odd (RoPE needs pairs)`;
  const vocabSize = Math.abs(rawVocab);
  return {
    dim,
    hiddenDim,
    numLayers,
    numHeads,
    numKvHeads,
    vocabSize,
    sharedClassifier: rawVocab > 0,
    seqLen,
  };
}

/** One tensor group of the file, in storage order: per-layer groups repeat `numLayers` times. */
interface Group {
  /** Canonical name template (`{L}` = layer index); `null` for skipped data (RoPE tables). */
  readonly name: string | null;
  readonly perLayer: boolean;
  readonly shape: readonly number[];
}

/** The storage order of run.c's `memory_map_weights`. Matrices are [out, in] row-major. */
function layout(h: Llama2cHeader): Group[] {
  const headSize = h.dim / h.numHeads;
  const qDim = h.numHeads * headSize;
  const kvDim = h.numKvHeads * headSize;
  const groups: Group[] = [
    { name: "token_embd.weight", perLayer: false, shape: [h.vocabSize, h.dim] },
    { name: "blk.{L}.attn_norm.weight", perLayer: true, shape: [h.dim] },
    { name: "blk.{L}.attn_q.weight", perLayer: true, shape: [qDim, h.dim] },
    { name: "blk.{L}.attn_k.weight", perLayer: true, shape: [kvDim, h.dim] },
    { name: "blk.{L}.attn_v.weight", perLayer: true, shape: [kvDim, h.dim] },
    { name: "blk.{L}.attn_output.weight", perLayer: true, shape: [h.dim, qDim] },
    { name: "blk.{L}.ffn_norm.weight", perLayer: true, shape: [h.dim] },
    { name: "blk.{L}.ffn_gate.weight", perLayer: true, shape: [h.hiddenDim, h.dim] },
    { name: "blk.{L}.ffn_down.weight", perLayer: true, shape: [h.dim, h.hiddenDim] },
    { name: "blk.{L}.ffn_up.weight", perLayer: true, shape: [h.hiddenDim, h.dim] },
    { name: "output_norm.weight", perLayer: false, shape: [h.dim] },
    { name: null, perLayer: false, shape: [h.seqLen, headSize / 2] }, // freq_cis_real
    { name: null, perLayer: false, shape: [h.seqLen, headSize / 2] }, // freq_cis_imag
  ];
  if (!h.sharedClassifier)
    groups.push({ name: "output.weight", perLayer: false, shape: [h.vocabSize, h.dim] });
  return groups;
}

/** Exact file size a header implies, in bytes (BigInt: products can exceed 2^53 for bad headers). */
export function llama2cExpectedSizeBytes(h: Llama2cHeader): bigint {
  let floats = 0n;
  for (const g of layout(h)) {
    const n = g.shape.reduce((a, d) => a * BigInt(d), 1n);
    floats += g.perLayer ? n * BigInt(h.numLayers) : n;
  }
  return BigInt(LLAMA2C_HEADER_BYTES) + floats * 4n;
}

function buildTensors(path: string, h: Llama2cHeader): TensorRef[] {
  const f32 = ggmlTypeByName("F32") as GgmlTypeInfo;
  const tensors: TensorRef[] = [];
  let offset = LLAMA2C_HEADER_BYTES;
  for (const g of layout(h)) {
    const sizeBytes = g.shape.reduce((a, d) => a * d, 1) * 4;
    const copies = g.perLayer ? h.numLayers : 1;
    for (let l = 0; l < copies; l++) {
      if (g.name !== null) {
        const name = g.name.replace("{L}", String(l));
        tensors.push({ name, type: f32, shape: g.shape, file: path, offsetBytes: offset, sizeBytes });
      }
      offset += sizeBytes;
    }
  }
  return tensors;
}

/**
 * Opens a llama2.c checkpoint: validates the header and that the file size matches it exactly,
 * and maps every weight to a canonical tensor name.
 * @throws ModelFormatError naming the file when the header is implausible or the size is wrong.
 */
export async function readLlama2c(path: string): Promise<Llama2cCheckpoint> {
  const file = resolve(path);
  const fh = await open(file, "r").catch((e: unknown) => {
    throw new ModelFormatError(file, `cannot open: ${(e as Error).message}`, { cause: e });
  });
  let header: Llama2cHeader | string;
  let sizeBytes: number;
  try {
    sizeBytes = (await fh.stat()).size;
    const buf = Buffer.alloc(LLAMA2C_HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, LLAMA2C_HEADER_BYTES, 0);
    header = parseLlama2cHeader(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
  if (typeof header === "string") throw new ModelFormatError(file, `not a llama2.c checkpoint: ${header}`);
  const expected = llama2cExpectedSizeBytes(header);
  if (expected !== BigInt(sizeBytes)) {
    const h = header;
    const desc = `dim ${h.dim}, hidden ${h.hiddenDim}, ${h.numLayers} layers, ${h.numHeads}/${h.numKvHeads} heads, vocab ${h.vocabSize}, seq_len ${h.seqLen}`;
    throw new ModelFormatError(
      file,
      `llama2.c header (${desc}) implies ${expected} bytes but the file has ${sizeBytes}${BigInt(sizeBytes) < expected ? " (truncated?)" : ""}`,
    );
  }
  return { path: file, header, tensors: buildTensors(file, header) };
}
