import { copyFile, mkdir, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import { ggmlTypeByName, type SupportedDType } from "./ggml-types.js";
import { writeGguf } from "./gguf-writer.js";
import type { ModelSpec } from "./model-spec.js";
import type { ModelShape } from "./presets.js";
import { writeSafetensors } from "./safetensors.js";
import { ggufHparamsFromSpec } from "./spec-to-gguf.js";
import { hfConfigFromSpec } from "./spec-to-hf.js";
import { generateTensor, permuteRotaryRows, planTensors, type TensorPlan } from "./synthetic-weights.js";
import { encodeTensor } from "./tensor-codec.js";
import { type Vocab, vocabFromTokenizerJson, vocabToGgufMetadata } from "./vocab.js";
import { loadPackagedTokenizer } from "./vocab-sources.js";

/** What `make-model` writes. */
export interface MakeModelOptions {
  readonly shape: ModelShape;
  readonly format: "gguf" | "hf";
  readonly seed: number;
  /** Output file (GGUF) or directory (Hugging Face). */
  readonly out: string;
  /** `general.name`; defaults to the output's base name. */
  readonly name?: string;
}

/** What was written. */
export interface MadeModel {
  readonly path: string;
  readonly spec: ModelSpec;
  readonly numParams: number;
  /** Bytes on disk (all files for a directory). */
  readonly sizeBytes: number;
}

/** Builds the normalised spec of a generated model. */
export function specFromShape(shape: ModelShape, vocab: Vocab, name: string): ModelSpec {
  const headDim = shape.headDim ?? shape.dim / shape.heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new InvalidArgumentError(
      `dim ${shape.dim} / heads ${shape.heads} must be an even integer head width`,
      "heads",
    );
  }
  if (shape.heads % shape.kvHeads !== 0) {
    throw new InvalidArgumentError(
      `heads (${shape.heads}) must be a multiple of kv-heads (${shape.kvHeads})`,
      "kv-heads",
    );
  }
  return {
    architecture: shape.arch,
    name,
    dim: shape.dim,
    numLayers: shape.layers,
    numHeads: shape.heads,
    numKvHeads: shape.kvHeads,
    headDim,
    ffnDim: shape.ffn,
    vocabSize: vocab.tokens.length,
    ropeTheta: shape.ropeTheta,
    ropeStyle: "neox",
    ropeScaling: null,
    normEps: 1e-6,
    tiedEmbeddings: shape.tiedEmbeddings,
    contextLength: shape.maxContext,
    qkvBias: shape.arch === "qwen2",
    qkNorm: shape.arch === "qwen3",
    specialTokens: {
      bos: vocab.bosId,
      eos: vocab.eosId,
      eogIds: vocab.eogIds,
      pad: vocab.padId,
      unk: vocab.unkId,
    },
    addBos: vocab.addBos,
    chatTemplate: vocab.chatTemplate,
  };
}

/** Checks that the shape can be stored in `dtype` (Q8_0 rows are 32-element blocks). */
function checkDtype(shape: ModelShape, spec: ModelSpec, format: "gguf" | "hf"): void {
  if (format === "hf" && shape.dtype === "Q8_0") {
    throw new InvalidArgumentError(
      "safetensors cannot hold Q8_0: use --format gguf or another --dtype",
      "dtype",
    );
  }
  if (shape.dtype === "Q8_0") {
    for (const width of [spec.dim, spec.ffnDim, spec.numHeads * spec.headDim]) {
      if (width % 32 !== 0) {
        throw new InvalidArgumentError(
          `Q8_0 needs every matrix row width to be a multiple of 32 (got ${width})`,
          "dtype",
        );
      }
    }
  }
}

function countParams(plans: readonly TensorPlan[]): number {
  return plans.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** Values of one tensor as stored in a `llama` GGUF (rotary rows permuted) or as-is. */
function ggufValues(plan: TensorPlan, spec: ModelSpec, seed: number, dtype: SupportedDType): Float32Array {
  const values = generateTensor(plan, seed, dtype);
  if (spec.architecture !== "llama" && spec.architecture !== "mistral") return values;
  const cols = plan.shape.length === 2 ? (plan.shape[1] ?? 1) : 1;
  if (/\.attn_q\.(weight|bias)$/.test(plan.name)) return permuteRotaryRows(values, spec.numHeads, cols);
  if (/\.attn_k\.(weight|bias)$/.test(plan.name)) return permuteRotaryRows(values, spec.numKvHeads, cols);
  return values;
}

async function writeGgufModel(
  opts: MakeModelOptions,
  spec: ModelSpec,
  vocab: Vocab,
  plans: TensorPlan[],
): Promise<void> {
  const dtype = opts.shape.dtype;
  const metadata = ggufHparamsFromSpec(spec, dtype);
  for (const [k, v] of vocabToGgufMetadata(vocab)) metadata.set(k, v);
  const tensors = plans.map((plan) => {
    const storeAs: SupportedDType = plan.isVector ? "F32" : dtype;
    const type = ggmlTypeByName(storeAs);
    if (!type) throw new Error(`unknown type ${storeAs}`);
    return {
      name: plan.name,
      type,
      shape: plan.shape,
      data: () => encodeTensor(ggufValues(plan, spec, opts.seed, dtype), storeAs),
    };
  });
  await writeGguf(opts.out, metadata, tensors);
}

/** Canonical GGUF tensor name → Hugging Face name. */
export function hfTensorName(name: string): string {
  const fixed: Record<string, string> = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
  };
  const direct = fixed[name];
  if (direct) return direct;
  const m = /^blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(name);
  const parts: Record<string, string> = {
    attn_norm: "input_layernorm",
    attn_q: "self_attn.q_proj",
    attn_k: "self_attn.k_proj",
    attn_v: "self_attn.v_proj",
    attn_output: "self_attn.o_proj",
    attn_q_norm: "self_attn.q_norm",
    attn_k_norm: "self_attn.k_norm",
    ffn_norm: "post_attention_layernorm",
    ffn_gate: "mlp.gate_proj",
    ffn_up: "mlp.up_proj",
    ffn_down: "mlp.down_proj",
  };
  const hf = m ? parts[m[2] ?? ""] : undefined;
  if (!m || !hf) throw new Error(`no Hugging Face name for tensor ${name}`);
  return `model.layers.${m[1]}.${hf}.${m[3]}`;
}

async function writeHfModel(opts: MakeModelOptions, spec: ModelSpec, plans: TensorPlan[]): Promise<void> {
  const dtype = opts.shape.dtype as "F32" | "F16" | "BF16";
  await mkdir(opts.out, { recursive: true });
  const packaged = await loadPackagedTokenizer(opts.shape.vocab);
  await copyFile(packaged.tokenizerJsonPath, join(opts.out, "tokenizer.json"));
  await copyFile(packaged.tokenizerConfigPath, join(opts.out, "tokenizer_config.json"));
  const config = hfConfigFromSpec(spec, dtype);
  await writeFile(join(opts.out, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  const generation = { bos_token_id: spec.specialTokens.bos, eos_token_id: spec.specialTokens.eogIds };
  await writeFile(join(opts.out, "generation_config.json"), `${JSON.stringify(generation, null, 2)}\n`);
  const tensors = plans.map((plan) => ({
    name: hfTensorName(plan.name),
    dtype,
    shape: plan.shape,
    data: () => encodeTensor(generateTensor(plan, opts.seed, dtype), dtype),
  }));
  await writeSafetensors(join(opts.out, "model.safetensors"), tensors, { format: "pt" });
}

/**
 * Writes a model with seeded random weights and a real vocabulary, as one GGUF file or a
 * Hugging Face directory. The same seed gives the same model in both formats.
 */
export async function makeModel(opts: MakeModelOptions): Promise<MadeModel> {
  const packaged = await loadPackagedTokenizer(opts.shape.vocab);
  const vocab = vocabFromTokenizerJson(packaged.tokenizerJson, packaged.tokenizerConfig);
  const name = opts.name ?? basename(opts.out).replace(/\.gguf$/, "");
  const spec = specFromShape(opts.shape, vocab, name);
  checkDtype(opts.shape, spec, opts.format);
  const plans = planTensors(spec);
  if (opts.format === "gguf") await writeGgufModel(opts, spec, vocab, plans);
  else await writeHfModel(opts, spec, plans);
  return { path: opts.out, spec, numParams: countParams(plans), sizeBytes: await sizeOnDisk(opts.out) };
}

/** Bytes of a file, or of all files directly inside a directory. */
export async function sizeOnDisk(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  const { readdir } = await import("node:fs/promises");
  let total = 0;
  for (const entry of await readdir(path)) total += (await stat(join(path, entry))).size;
  return total;
}
