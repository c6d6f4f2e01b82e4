import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError, UnsupportedError } from "../errors.js";
import { ggmlTypeByName } from "./ggml-types.js";
import { readGguf } from "./gguf-reader.js";
import { type GgufMetadata, type GgufMetadataValue, GgufValueType } from "./gguf-types.js";
import { writeGguf } from "./gguf-writer.js";
import { openModel } from "./open-model.js";
import { specFromGguf } from "./spec-from-gguf.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenflow-gguf-spec-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const u32 = (value: number): GgufMetadataValue => ({ type: GgufValueType.UINT32, value });
const f32 = (value: number): GgufMetadataValue => ({ type: GgufValueType.FLOAT32, value });
const str = (value: string): GgufMetadataValue => ({ type: GgufValueType.STRING, value });
const strs = (items: string[]): GgufMetadataValue => ({
  type: GgufValueType.ARRAY,
  value: { itemType: GgufValueType.STRING, items },
});

const VOCAB = 32;
const TOKENS = [
  "<unk>",
  "<s>",
  "</s>",
  "<|im_end|>",
  ...Array.from({ length: VOCAB - 4 }, (_, i) => `t${i}`),
];

/** Hyperparameters of a tiny model: dim 16, 4 heads of 4, 2 kv heads, ffn 24, 2 layers. */
function hparams(arch: string, over: Record<string, GgufMetadataValue | null> = {}): GgufMetadata {
  const base: Record<string, GgufMetadataValue | null> = {
    "general.architecture": str(arch),
    "general.name": str(`tiny-${arch}`),
    [`${arch}.context_length`]: u32(256),
    [`${arch}.embedding_length`]: u32(16),
    [`${arch}.block_count`]: u32(2),
    [`${arch}.feed_forward_length`]: u32(24),
    [`${arch}.attention.head_count`]: u32(4),
    [`${arch}.attention.head_count_kv`]: u32(2),
    [`${arch}.rope.freq_base`]: f32(500000),
    [`${arch}.attention.layer_norm_rms_epsilon`]: f32(1e-5),
    "tokenizer.ggml.model": str("llama"),
    "tokenizer.ggml.tokens": strs(TOKENS),
    "tokenizer.ggml.bos_token_id": u32(1),
    "tokenizer.ggml.eos_token_id": u32(2),
    "tokenizer.chat_template": str("{{ messages }}"),
    ...over,
  };
  return new Map(Object.entries(base).filter((e): e is [string, GgufMetadataValue] => e[1] !== null));
}

interface Shape {
  vocab?: number;
  headDim?: number;
  heads?: number;
  layers?: number;
  bias?: boolean;
  qkNorm?: boolean;
  output?: boolean;
}

function tensorList(s: Shape = {}): [string, number[]][] {
  const hd = s.headDim ?? 4;
  const [q, kv] = [(s.heads ?? 4) * hd, 2 * hd];
  const out: [string, number[]][] = [["token_embd.weight", [s.vocab ?? VOCAB, 16]]];
  for (let l = 0; l < (s.layers ?? 2); l++) {
    const p = `blk.${l}.`;
    out.push([`${p}attn_norm.weight`, [16]], [`${p}attn_q.weight`, [q, 16]], [`${p}attn_k.weight`, [kv, 16]]);
    out.push(
      [`${p}attn_v.weight`, [kv, 16]],
      [`${p}attn_output.weight`, [16, q]],
      [`${p}ffn_norm.weight`, [16]],
    );
    out.push(
      [`${p}ffn_gate.weight`, [24, 16]],
      [`${p}ffn_up.weight`, [24, 16]],
      [`${p}ffn_down.weight`, [16, 24]],
    );
    if (s.bias) out.push([`${p}attn_q.bias`, [q]], [`${p}attn_k.bias`, [kv]], [`${p}attn_v.bias`, [kv]]);
    if (s.qkNorm) out.push([`${p}attn_q_norm.weight`, [hd]], [`${p}attn_k_norm.weight`, [hd]]);
  }
  out.push(["output_norm.weight", [16]]);
  if (s.output) out.push(["output.weight", [s.vocab ?? VOCAB, 16]]);
  return out;
}

let counter = 0;
async function gguf(metadata: GgufMetadata, tensors: [string, number[]][]): Promise<string> {
  const path = join(dir, `m${counter++}.gguf`);
  const type = ggmlTypeByName("F32") ?? (undefined as never);
  const list = tensors.map(([name, shape]) => ({
    name,
    type,
    shape,
    data: () => new Uint8Array(shape.reduce((a, b) => a * b, 1) * 4),
  }));
  await writeGguf(path, metadata, list);
  return path;
}

async function spec(metadata: GgufMetadata, tensors: [string, number[]][]) {
  return specFromGguf(await readGguf(await gguf(metadata, tensors)));
}

describe("specFromGguf", () => {
  it("normalises a llama GGUF (tied, normal RoPE, tokenizer keys)", async () => {
    const s = await spec(hparams("llama"), tensorList());
    expect(s).toMatchObject({
      architecture: "llama",
      name: "tiny-llama",
      dim: 16,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 4,
      ffnDim: 24,
      vocabSize: VOCAB,
      ropeTheta: 500000,
      ropeStyle: "normal",
      ropeScaling: null,
      tiedEmbeddings: true,
      contextLength: 256,
      qkvBias: false,
      qkNorm: false,
      addBos: true,
      chatTemplate: "{{ messages }}",
    });
    expect(s.normEps).toBeCloseTo(1e-5, 9);
    expect(s.specialTokens).toMatchObject({ bos: 1, eos: 2, pad: null });
    expect([...s.specialTokens.eogIds].sort()).toEqual([2, 3]);
    expect(s.ropeFreqFactors).toBeUndefined();
  });

  it("normalises qwen2 (biases, untied, neox) and qwen3 (q/k norms, explicit head width)", async () => {
    const q2 = await spec(hparams("qwen2"), tensorList({ bias: true, output: true }));
    expect(q2).toMatchObject({ ropeStyle: "neox", qkvBias: true, qkNorm: false, tiedEmbeddings: false });
    const q3meta = hparams("qwen3", {
      "qwen3.attention.key_length": u32(8),
      "qwen3.attention.value_length": u32(8),
    });
    const q3 = await spec(q3meta, tensorList({ headDim: 8, qkNorm: true }));
    expect(q3).toMatchObject({ ropeStyle: "neox", qkNorm: true, headDim: 8, numHeads: 4 });
  });

  it("reads linear rope scaling and llama.cpp's rope_freqs tensor", async () => {
    const lin = await spec(
      hparams("llama", { "llama.rope.scaling.type": str("linear"), "llama.rope.scaling.factor": f32(4) }),
      tensorList(),
    );
    expect(lin.ropeScaling).toEqual({ type: "linear", factor: 4 });
    const freqs = await spec(hparams("llama"), [["rope_freqs.weight", [2]], ...tensorList()]);
    expect(freqs.ropeFreqFactors).toBe(true);
  });

  it("refuses unknown architectures and rope scaling types", async () => {
    const err = await spec(hparams("phi3"), tensorList()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toBe(
      "architecture phi3 is not supported (supported: llama, mistral, qwen2, qwen3)",
    );
    const yarn = hparams("qwen2", {
      "qwen2.rope.scaling.type": str("yarn"),
      "qwen2.rope.scaling.factor": f32(4),
    });
    await expect(spec(yarn, tensorList({ bias: true }))).rejects.toThrow(
      /rope scaling type yarn is not supported/,
    );
  });

  it.each([
    [
      "head count vs attn_q",
      { "llama.attention.head_count": u32(2) },
      {},
      /blk\.0\.attn_k\.weight has shape \[8, 16\] but the hyperparameters imply \[numKvHeads 2×headDim 8, dim 16\] = \[16, 16\]/,
    ],
    [
      "vocab_size vs token_embd",
      { "llama.vocab_size": u32(40) },
      {},
      /token_embd\.weight has shape \[32, 16\].*\[vocabSize 40, dim 16\] = \[40, 16\]/,
    ],
    [
      "block_count vs layers",
      { "llama.block_count": u32(1) },
      {},
      /unexpected tensor blk\.1\..*the model has 1 layers/,
    ],
    [
      "missing embedding_length",
      { "llama.embedding_length": null },
      {},
      /missing metadata key llama\.embedding_length/,
    ],
    ["kv heads", { "llama.attention.head_count_kv": u32(3) }, {}, /not a multiple of head_count_kv 3/],
    ["stray bias", {}, { stray: true }, /unexpected tensor blk\.0\.attn_k\.bias/],
  ])("refuses a mismatch: %s", async (_label, over, opts, pattern) => {
    const tensors = tensorList();
    if ("stray" in opts) tensors.push(["blk.0.attn_k.bias", [8]]);
    const err = await spec(hparams("llama", over), tensors).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(pattern);
    expect((err as ModelFormatError).file).toMatch(/\.gguf$/);
  });
});

describe("openModel on GGUF", () => {
  it("opens a complete file with its vocab", async () => {
    const model = await openModel(await gguf(hparams("qwen2"), tensorList({ bias: true })));
    expect(model.format).toBe("gguf");
    expect(model.vocab?.tokens).toHaveLength(VOCAB);
    expect(model.spec.specialTokens.bos).toBe(1);
    expect(model.tensors.get("blk.1.attn_v.bias")?.shape).toEqual([8]);
  });

  it("names a missing tensor", async () => {
    const tensors = tensorList().filter(([name]) => name !== "blk.1.ffn_up.weight");
    const path = await gguf(hparams("llama"), tensors);
    await expect(openModel(path)).rejects.toThrow(
      `${path}: missing tensor blk.1.ffn_up.weight (expected shape [24, 16])`,
    );
  });

  it("names a misshapen tensor", async () => {
    const tensors = tensorList().map(([n, s]): [string, number[]] => [
      n,
      n === "blk.1.ffn_norm.weight" ? [17] : s,
    ]);
    await expect(openModel(await gguf(hparams("llama"), tensors))).rejects.toThrow(
      /blk\.1\.ffn_norm\.weight has shape \[17\]/,
    );
  });

  it("refuses an attention output bias as unsupported", async () => {
    const tensors = [...tensorList(), ["blk.0.attn_output.bias", [16]] as [string, number[]]];
    await expect(openModel(await gguf(hparams("llama"), tensors))).rejects.toBeInstanceOf(UnsupportedError);
  });
});
