/**
 * ModelSpec of a llama2.c checkpoint. The format stores no hyperparameters beyond its header,
 * so the rest are llama2.c's own constants (run.c / model.py).
 */
import { basename } from "node:path";
import type { Llama2cHeader } from "./llama2c.js";
import type { ModelSpec } from "./model-spec.js";

/** llama2.c's RMSNorm epsilon (model.py `norm_eps`, hard-coded in run.c). */
const LLAMA2C_NORM_EPS = 1e-5;
/** llama2.c's RoPE base (run.c uses 10000 for every checkpoint). */
const LLAMA2C_ROPE_THETA = 10000;

/**
 * Builds the spec of a llama2.c checkpoint. Token ids follow the SentencePiece convention the
 * llama2.c tokenizers use: unk 0, bos 1, eos 2. run.c stops sampling when BOS (1) appears, as
 * its training data delimits stories with BOS, so both 1 and 2 end generation.
 * @param path the checkpoint path; its base name (without `.bin`) becomes the model name.
 */
export function specFromLlama2c(header: Llama2cHeader, path: string): ModelSpec {
  const id = (i: number) => (i < header.vocabSize ? i : null);
  const eogIds = [1, 2].filter((i) => i < header.vocabSize);
  return {
    architecture: "llama",
    name: basename(path).replace(/\.bin$/, ""),
    dim: header.dim,
    numLayers: header.numLayers,
    numHeads: header.numHeads,
    numKvHeads: header.numKvHeads,
    headDim: header.dim / header.numHeads,
    ffnDim: header.hiddenDim,
    vocabSize: header.vocabSize,
    ropeTheta: LLAMA2C_ROPE_THETA,
    // run.c rotates adjacent pairs (x[i], x[i+1]).
    ropeStyle: "normal",
    ropeScaling: null,
    normEps: LLAMA2C_NORM_EPS,
    tiedEmbeddings: header.sharedClassifier,
    contextLength: header.seqLen,
    qkvBias: false,
    qkNorm: false,
    specialTokens: { bos: id(1), eos: id(2), eogIds, pad: null, unk: id(0) },
    addBos: true,
    chatTemplate: null,
  };
}
