import type { GgmlTypeInfo } from "./ggml-types.js";

/**
 * Where one tensor's data lives in a file: enough for the native runtime to map it, and for
 * {@link readTensorBytes}-style helpers to read it on demand. Tensor data is never loaded into
 * the JS heap when a model is opened.
 */
export interface TensorRef {
  /** Canonical (GGUF-style) name, e.g. `blk.0.attn_q.weight`. */
  readonly name: string;
  /** Element type. */
  readonly type: GgmlTypeInfo;
  /**
   * Shape in row-major order, slowest dimension first (PyTorch/safetensors order). For a
   * weight matrix: `[outFeatures, inFeatures]`. GGUF stores dims the other way round; readers
   * reverse them.
   */
  readonly shape: readonly number[];
  /** Absolute path of the file holding the data. */
  readonly file: string;
  /** Absolute byte offset of the first element in `file`. */
  readonly offsetBytes: number;
  /** Bytes of data. */
  readonly sizeBytes: number;
}

/** Number of elements of a shape. */
export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
