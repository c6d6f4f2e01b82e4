import type { SupportedDType } from "./ggml-types.js";
import type { ModelSpec } from "./model-spec.js";
import { fillUniform, hashSeed } from "./random-weights.js";
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from "./tensor-codec.js";

/** One tensor of a generated model: canonical name, row-major shape, value distribution. */
export interface TensorPlan {
  readonly name: string;
  readonly shape: readonly number[];
  /** 1-D tensors (norms, biases) are kept in F32 in GGUF files, as llama.cpp does. */
  readonly isVector: boolean;
  readonly mean: number;
  readonly std: number;
}

/**
 * The tensors of a Llama-family model in Hugging Face conventions (NeoX-style RoPE rows),
 * with canonical GGUF names, in GGUF file order.
 */
export function planTensors(spec: ModelSpec): TensorPlan[] {
  const qRows = spec.numHeads * spec.headDim;
  const kvRows = spec.numKvHeads * spec.headDim;
  // Small weights keep activations in a realistic range through many layers.
  const w = (name: string, shape: number[]): TensorPlan => ({
    name,
    shape,
    isVector: false,
    mean: 0,
    std: 1 / Math.sqrt(shape[1] ?? 1),
  });
  const v = (name: string, size: number, mean: number, std: number): TensorPlan => ({
    name,
    shape: [size],
    isVector: true,
    mean,
    std,
  });
  const plans: TensorPlan[] = [{ ...w("token_embd.weight", [spec.vocabSize, spec.dim]), std: 1 }];
  for (let l = 0; l < spec.numLayers; l++) {
    const p = `blk.${l}.`;
    plans.push(v(`${p}attn_norm.weight`, spec.dim, 1, 0.1));
    plans.push(w(`${p}attn_q.weight`, [qRows, spec.dim]));
    plans.push(w(`${p}attn_k.weight`, [kvRows, spec.dim]));
    plans.push(w(`${p}attn_v.weight`, [kvRows, spec.dim]));
    if (spec.qkvBias) {
      plans.push(v(`${p}attn_q.bias`, qRows, 0, 0.1));
      plans.push(v(`${p}attn_k.bias`, kvRows, 0, 0.1));
      plans.push(v(`${p}attn_v.bias`, kvRows, 0, 0.1));
    }
    if (spec.qkNorm) {
      plans.push(v(`${p}attn_q_norm.weight`, spec.headDim, 1, 0.1));
      plans.push(v(`${p}attn_k_norm.weight`, spec.headDim, 1, 0.1));
    }
    plans.push(w(`${p}attn_output.weight`, [spec.dim, qRows]));
    plans.push(v(`${p}ffn_norm.weight`, spec.dim, 1, 0.1));
    plans.push(w(`${p}ffn_gate.weight`, [spec.ffnDim, spec.dim]));
    plans.push(w(`${p}ffn_up.weight`, [spec.ffnDim, spec.dim]));
    plans.push(w(`${p}ffn_down.weight`, [spec.dim, spec.ffnDim]));
  }
  plans.push(v("output_norm.weight", spec.dim, 1, 0.1));
  if (!spec.tiedEmbeddings) plans.push(w("output.weight", [spec.vocabSize, spec.dim]));
  return plans;
}

/**
 * Generates a tensor's values from the model seed. Values are rounded through `dtype` so that
 * the same model written as GGUF (1-D tensors in F32) and as safetensors (all in `dtype`)
 * holds identical numbers. The caller owns the returned array.
 */
export function generateTensor(plan: TensorPlan, seed: number, dtype: SupportedDType): Float32Array {
  let n = 1;
  for (const d of plan.shape) n *= d;
  const out = fillUniform(new Float32Array(n), hashSeed(seed, plan.name), plan.mean, plan.std);
  if (dtype === "F16") for (let i = 0; i < n; i++) out[i] = f16BitsToF32(f32ToF16Bits(out[i] ?? 0));
  else if (dtype === "BF16") for (let i = 0; i < n; i++) out[i] = bf16BitsToF32(f32ToBf16Bits(out[i] ?? 0));
  return out;
}

/**
 * Reorders the rows of a Q or K projection (or bias) from NeoX-style rotary pairs (first half /
 * second half of each head) to adjacent pairs, as llama.cpp's converter does for `llama` GGUF
 * files. `values` is row-major with `rows = numHeads * headDim` rows of `cols` columns.
 */
export function permuteRotaryRows(values: Float32Array, numHeads: number, cols: number): Float32Array {
  const rows = values.length / cols;
  const headDim = rows / numHeads;
  const half = headDim / 2;
  const out = new Float32Array(values.length);
  for (let h = 0; h < numHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * headDim + j * half + i) * cols;
        const dst = (h * headDim + 2 * i + j) * cols;
        out.set(values.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}
