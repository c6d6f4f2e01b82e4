import { InvalidArgumentError } from "../errors.js";
import { ggmlTypeByName, type SupportedDType } from "./ggml-types.js";
import { writeGguf } from "./gguf-writer.js";
import { synthesizeLlama2cVocab } from "./llama2c-vocab.js";
import type { MadeModel } from "./make-model.js";
import { sizeOnDisk } from "./make-model.js";
import { openModel } from "./open-model.js";
import { ggufHparamsFromSpec } from "./spec-to-gguf.js";
import { encodeTensor, readTensorF32 } from "./tensor-codec.js";
import { numElements } from "./tensor-ref.js";
import { vocabToGgufMetadata } from "./vocab.js";

/**
 * Converts a llama2.c checkpoint (e.g. stories260K.bin) to a `llama` GGUF file. Its tokenizer
 * is not available, so a valid vocabulary of the model's size is synthesised. llama2.c rotates
 * adjacent pairs, as GGUF `llama` does, so no weights are permuted.
 */
export async function convertLlama2c(path: string, out: string, dtype: SupportedDType): Promise<MadeModel> {
  const opened = await openModel(path);
  if (opened.format !== "llama2c") {
    throw new InvalidArgumentError(
      `${path} is a ${opened.format} model, not a llama2.c checkpoint`,
      "from-llama2c",
    );
  }
  const vocab = synthesizeLlama2cVocab(opened.spec.vocabSize);
  const metadata = ggufHparamsFromSpec(opened.spec, dtype);
  for (const [k, v] of vocabToGgufMetadata(vocab)) metadata.set(k, v);
  const tensors = [...opened.tensors.values()].map((ref) => {
    const storeAs: SupportedDType = ref.shape.length === 1 ? "F32" : dtype;
    const type = ggmlTypeByName(storeAs);
    if (!type) throw new Error(`unknown type ${storeAs}`);
    const rowWidth = ref.shape[ref.shape.length - 1] ?? 0;
    if (rowWidth % type.blockSize !== 0) {
      throw new InvalidArgumentError(
        `${ref.name} has rows of ${rowWidth}, not a multiple of the ${storeAs} block size`,
        "dtype",
      );
    }
    return { name: ref.name, type, shape: ref.shape, values: readTensorF32(ref), storeAs };
  });
  const resolved = await Promise.all(tensors.map(async (t) => ({ ...t, values: await t.values })));
  await writeGguf(
    out,
    metadata,
    resolved.map((t) => ({
      name: t.name,
      type: t.type,
      shape: t.shape,
      data: () => encodeTensor(t.values, t.storeAs),
    })),
  );
  const numParams = resolved.reduce((sum, t) => sum + numElements(t.shape), 0);
  return { path: out, spec: opened.spec, numParams, sizeBytes: await sizeOnDisk(out) };
}
