import type { SupportedDType } from "./ggml-types.js";
import { type GgufMetadata, type GgufMetadataValue, GgufValueType } from "./gguf-types.js";
import type { ModelSpec } from "./model-spec.js";

/** llama.cpp's `general.file_type` values for the types we write. */
const FILE_TYPE: Readonly<Record<SupportedDType, number>> = { F32: 0, F16: 1, Q8_0: 7, BF16: 32 };

const u32 = (value: number): GgufMetadataValue => ({ type: GgufValueType.UINT32, value });
const f32 = (value: number): GgufMetadataValue => ({ type: GgufValueType.FLOAT32, value });
const str = (value: string): GgufMetadataValue => ({ type: GgufValueType.STRING, value });

/**
 * The `general.*` and `{arch}.*` metadata llama.cpp reads for a Llama-family model. The
 * tokenizer keys come from `vocabToGgufMetadata` and are merged by the caller.
 */
export function ggufHparamsFromSpec(spec: ModelSpec, dtype: SupportedDType): GgufMetadata {
  const a = spec.architecture === "mistral" ? "llama" : spec.architecture;
  const m: GgufMetadata = new Map();
  m.set("general.architecture", str(a));
  m.set("general.name", str(spec.name));
  m.set("general.file_type", u32(FILE_TYPE[dtype]));
  m.set(`${a}.context_length`, u32(spec.contextLength));
  m.set(`${a}.embedding_length`, u32(spec.dim));
  m.set(`${a}.block_count`, u32(spec.numLayers));
  m.set(`${a}.feed_forward_length`, u32(spec.ffnDim));
  m.set(`${a}.attention.head_count`, u32(spec.numHeads));
  m.set(`${a}.attention.head_count_kv`, u32(spec.numKvHeads));
  m.set(`${a}.attention.key_length`, u32(spec.headDim));
  m.set(`${a}.attention.value_length`, u32(spec.headDim));
  m.set(`${a}.rope.dimension_count`, u32(spec.headDim));
  m.set(`${a}.rope.freq_base`, f32(spec.ropeTheta));
  m.set(`${a}.attention.layer_norm_rms_epsilon`, f32(spec.normEps));
  m.set(`${a}.vocab_size`, u32(spec.vocabSize));
  if (spec.ropeScaling?.type === "linear") {
    m.set(`${a}.rope.scaling.type`, str("linear"));
    m.set(`${a}.rope.scaling.factor`, f32(spec.ropeScaling.factor));
  }
  return m;
}
