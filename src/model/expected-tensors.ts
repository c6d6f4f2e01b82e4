/**
 * The tensors a Llama-family model must have, by canonical name and row-major shape, and the
 * check that an opened model has exactly those.
 */
import { ModelFormatError, UnsupportedError } from "../errors.js";
import type { ModelSpec } from "./model-spec.js";
import type { TensorRef } from "./tensor-ref.js";

/** One required tensor: canonical name, row-major shape and where the shape comes from. */
export interface ExpectedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** Which hyperparameters give the shape, for error messages (e.g. `[numHeads 4×headDim 8, dim 32]`). */
  readonly why: string;
}

function layerTensors(spec: ModelSpec, l: number): ExpectedTensor[] {
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  const p = `blk.${l}.`;
  const t = (name: string, shape: number[], why: string): ExpectedTensor => ({ name: p + name, shape, why });
  const [qWhy, kvWhy] = [
    `numHeads ${spec.numHeads}×headDim ${spec.headDim}`,
    `numKvHeads ${spec.numKvHeads}×headDim ${spec.headDim}`,
  ];
  const [dim, ffn] = [`dim ${spec.dim}`, `ffnDim ${spec.ffnDim}`];
  const out = [
    t("attn_norm.weight", [spec.dim], `[${dim}]`),
    t("attn_q.weight", [q, spec.dim], `[${qWhy}, ${dim}]`),
    t("attn_k.weight", [kv, spec.dim], `[${kvWhy}, ${dim}]`),
    t("attn_v.weight", [kv, spec.dim], `[${kvWhy}, ${dim}]`),
    t("attn_output.weight", [spec.dim, q], `[${dim}, ${qWhy}]`),
    t("ffn_norm.weight", [spec.dim], `[${dim}]`),
    t("ffn_gate.weight", [spec.ffnDim, spec.dim], `[${ffn}, ${dim}]`),
    t("ffn_up.weight", [spec.ffnDim, spec.dim], `[${ffn}, ${dim}]`),
    t("ffn_down.weight", [spec.dim, spec.ffnDim], `[${dim}, ${ffn}]`),
  ];
  if (spec.qkvBias) {
    out.push(t("attn_q.bias", [q], `[${qWhy}]`));
    out.push(t("attn_k.bias", [kv], `[${kvWhy}]`));
    out.push(t("attn_v.bias", [kv], `[${kvWhy}]`));
  }
  if (spec.qkNorm) {
    out.push(t("attn_q_norm.weight", [spec.headDim], `[headDim ${spec.headDim}]`));
    out.push(t("attn_k_norm.weight", [spec.headDim], `[headDim ${spec.headDim}]`));
  }
  return out;
}

/**
 * Every tensor `spec` requires, in GGUF file order: embedding, per-layer attention and FFN
 * weights (biases for `qkvBias`, q/k norms for `qkNorm`), final norm, output unless tied, and
 * `rope_freqs.weight` when `ropeFreqFactors` is set.
 */
export function expectedTensors(spec: ModelSpec): ExpectedTensor[] {
  const embWhy = `[vocabSize ${spec.vocabSize}, dim ${spec.dim}]`;
  const out: ExpectedTensor[] = [
    { name: "token_embd.weight", shape: [spec.vocabSize, spec.dim], why: embWhy },
  ];
  if (spec.ropeFreqFactors) {
    out.push({ name: "rope_freqs.weight", shape: [spec.headDim / 2], why: `[headDim ${spec.headDim} / 2]` });
  }
  for (let l = 0; l < spec.numLayers; l++) out.push(...layerTensors(spec, l));
  out.push({ name: "output_norm.weight", shape: [spec.dim], why: `[dim ${spec.dim}]` });
  if (!spec.tiedEmbeddings)
    out.push({ name: "output.weight", shape: [spec.vocabSize, spec.dim], why: embWhy });
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const fmt = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** Rejects per-layer tensors the spec does not account for (extra layers, stray biases). */
function checkUnexpected(spec: ModelSpec, tensors: ReadonlyMap<string, TensorRef>, file: string): void {
  const expected = new Set(expectedTensors(spec).map((e) => e.name));
  for (const name of tensors.keys()) {
    if (expected.has(name) || !name.startsWith("blk.")) continue;
    if (/^blk\.\d+\.attn_output\.bias$/.test(name)) {
      throw new UnsupportedError(
        `${file}: ${name}: a bias on the attention output projection is not supported`,
      );
    }
    const layer = Number(/^blk\.(\d+)\./.exec(name)?.[1] ?? Number.NaN);
    const why =
      layer >= spec.numLayers
        ? `the model has ${spec.numLayers} layers`
        : "the model description does not use it";
    throw new ModelFormatError(file, `unexpected tensor ${name}: ${why}`);
  }
}

/**
 * Checks that every tensor `spec` requires is present with the right shape, and that there are
 * no per-layer tensors it does not use. Other extra tensors (e.g. `output.weight` of a model with
 * tied embeddings) are tolerated.
 * @param file the model path named in errors.
 * @param requireAll when false, absent tensors are allowed and only present ones are checked.
 * @throws ModelFormatError naming the first missing or misshapen tensor.
 */
export function verifyTensors(
  spec: ModelSpec,
  tensors: ReadonlyMap<string, TensorRef>,
  file: string,
  requireAll = true,
): void {
  for (const e of expectedTensors(spec)) {
    const ref = tensors.get(e.name);
    if (!ref) {
      if (requireAll)
        throw new ModelFormatError(file, `missing tensor ${e.name} (expected shape ${fmt(e.shape)})`);
      continue;
    }
    if (!sameShape(ref.shape, e.shape)) {
      throw new ModelFormatError(
        file,
        `tensor ${e.name} has shape ${fmt(ref.shape)} but the hyperparameters imply ${e.why} = ${fmt(e.shape)}`,
      );
    }
  }
  checkUnexpected(spec, tensors, file);
}
