import type { TensorRef } from "./tensor-ref.js";

/** GGUF metadata value types, numbered as in the file format. */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/**
 * A decoded metadata value.
 * - 8/16/32-bit integers and floats: `number`; 64-bit integers: `bigint`; BOOL: `boolean`;
 *   STRING: `string`.
 * - ARRAY: a {@link GgufArray}. Numeric arrays are typed arrays (Uint8Array, Int8Array,
 *   Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, BigUint64Array,
 *   BigInt64Array, Float64Array); BOOL arrays are `boolean[]`; STRING arrays `string[]`;
 *   nested arrays `GgufArray[]`.
 */
export type GgufScalar = number | bigint | boolean | string;

/** An array value together with the type of its elements. */
export interface GgufArray {
  readonly itemType: GgufValueType;
  readonly items:
    | Uint8Array
    | Int8Array
    | Uint16Array
    | Int16Array
    | Uint32Array
    | Int32Array
    | Float32Array
    | Float64Array
    | BigUint64Array
    | BigInt64Array
    | boolean[]
    | string[]
    | GgufArray[];
}

/** A typed metadata entry: what the reader returns and what the writer takes. */
export type GgufMetadataValue =
  | { readonly type: Exclude<GgufValueType, GgufValueType.ARRAY>; readonly value: GgufScalar }
  | { readonly type: GgufValueType.ARRAY; readonly value: GgufArray };

/** Ordered metadata (GGUF keeps insertion order; so do we). */
export type GgufMetadata = Map<string, GgufMetadataValue>;

/** A parsed GGUF file: header, metadata and tensor locations (data stays in the file). */
export interface GgufFile {
  readonly path: string;
  /** Format version (2 or 3). */
  readonly version: number;
  readonly metadata: GgufMetadata;
  /** Tensors in file order; `TensorRef.shape` is row-major (GGUF dims reversed). */
  readonly tensors: readonly TensorRef[];
  /** `general.alignment`, default 32. */
  readonly alignmentBytes: number;
  /** Absolute offset of the tensor data section. */
  readonly dataOffsetBytes: number;
  readonly fileSizeBytes: number;
}
