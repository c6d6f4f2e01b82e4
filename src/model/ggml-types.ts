/**
 * GGML tensor types as numbered in GGUF files, with their block layout. Types we cannot decode
 * are still listed so that errors can name them.
 */

/** Layout of one GGML tensor type. */
export interface GgmlTypeInfo {
  /** Numeric id stored in GGUF tensor infos. */
  readonly id: number;
  /** Canonical upper-case name, e.g. `F16`, `Q8_0`, `Q4_K`. */
  readonly name: string;
  /** Elements per block (1 for plain float types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSizeBytes: number;
  /** Whether tokenflow decodes this type (F32, F16, BF16, Q8_0). */
  readonly supported: boolean;
}

const TABLE: readonly GgmlTypeInfo[] = [
  { id: 0, name: "F32", blockSize: 1, typeSizeBytes: 4, supported: true },
  { id: 1, name: "F16", blockSize: 1, typeSizeBytes: 2, supported: true },
  { id: 2, name: "Q4_0", blockSize: 32, typeSizeBytes: 18, supported: false },
  { id: 3, name: "Q4_1", blockSize: 32, typeSizeBytes: 20, supported: false },
  { id: 6, name: "Q5_0", blockSize: 32, typeSizeBytes: 22, supported: false },
  { id: 7, name: "Q5_1", blockSize: 32, typeSizeBytes: 24, supported: false },
  { id: 8, name: "Q8_0", blockSize: 32, typeSizeBytes: 34, supported: true },
  { id: 9, name: "Q8_1", blockSize: 32, typeSizeBytes: 36, supported: false },
  { id: 10, name: "Q2_K", blockSize: 256, typeSizeBytes: 84, supported: false },
  { id: 11, name: "Q3_K", blockSize: 256, typeSizeBytes: 110, supported: false },
  { id: 12, name: "Q4_K", blockSize: 256, typeSizeBytes: 144, supported: false },
  { id: 13, name: "Q5_K", blockSize: 256, typeSizeBytes: 176, supported: false },
  { id: 14, name: "Q6_K", blockSize: 256, typeSizeBytes: 210, supported: false },
  { id: 15, name: "Q8_K", blockSize: 256, typeSizeBytes: 292, supported: false },
  { id: 16, name: "IQ2_XXS", blockSize: 256, typeSizeBytes: 66, supported: false },
  { id: 17, name: "IQ2_XS", blockSize: 256, typeSizeBytes: 74, supported: false },
  { id: 18, name: "IQ3_XXS", blockSize: 256, typeSizeBytes: 98, supported: false },
  { id: 19, name: "IQ1_S", blockSize: 256, typeSizeBytes: 50, supported: false },
  { id: 20, name: "IQ4_NL", blockSize: 32, typeSizeBytes: 18, supported: false },
  { id: 21, name: "IQ3_S", blockSize: 256, typeSizeBytes: 110, supported: false },
  { id: 22, name: "IQ2_S", blockSize: 256, typeSizeBytes: 82, supported: false },
  { id: 23, name: "IQ4_XS", blockSize: 256, typeSizeBytes: 136, supported: false },
  { id: 24, name: "I8", blockSize: 1, typeSizeBytes: 1, supported: false },
  { id: 25, name: "I16", blockSize: 1, typeSizeBytes: 2, supported: false },
  { id: 26, name: "I32", blockSize: 1, typeSizeBytes: 4, supported: false },
  { id: 27, name: "I64", blockSize: 1, typeSizeBytes: 8, supported: false },
  { id: 28, name: "F64", blockSize: 1, typeSizeBytes: 8, supported: false },
  { id: 29, name: "IQ1_M", blockSize: 256, typeSizeBytes: 56, supported: false },
  { id: 30, name: "BF16", blockSize: 1, typeSizeBytes: 2, supported: true },
  { id: 34, name: "TQ1_0", blockSize: 256, typeSizeBytes: 54, supported: false },
  { id: 35, name: "TQ2_0", blockSize: 256, typeSizeBytes: 66, supported: false },
  { id: 39, name: "MXFP4", blockSize: 32, typeSizeBytes: 17, supported: false },
];

const BY_ID = new Map(TABLE.map((t) => [t.id, t]));
const BY_NAME = new Map(TABLE.map((t) => [t.name, t]));

/** The tensor types tokenflow decodes and writes. */
export type SupportedDType = "F32" | "F16" | "BF16" | "Q8_0";

/** Looks a type up by its GGUF id; `null` when the id is unknown to us. */
export function ggmlTypeById(id: number): GgmlTypeInfo | null {
  return BY_ID.get(id) ?? null;
}

/** Looks a type up by name (e.g. `Q8_0`); `null` when unknown. */
export function ggmlTypeByName(name: string): GgmlTypeInfo | null {
  return BY_NAME.get(name.toUpperCase()) ?? null;
}

/**
 * Bytes taken by `numElements` elements of `type`, or `null` when `numElements` is not a whole
 * number of blocks.
 */
export function ggmlByteSize(type: GgmlTypeInfo, numElements: number): number | null {
  if (numElements % type.blockSize !== 0) return null;
  return (numElements / type.blockSize) * type.typeSizeBytes;
}
