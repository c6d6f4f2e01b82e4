/**
 * Typed accessors over GGUF metadata. `metaX` returns `null` when the key is absent and throws
 * ModelFormatError when it holds a value of the wrong type; `requireMetaX` also throws when the
 * key is absent. Arrays returned are the file's own (shared): callers must not mutate them.
 */
import { ModelFormatError } from "../errors.js";
import { type GgufArray, type GgufFile, type GgufMetadataValue, GgufValueType } from "./gguf-types.js";

/** A numeric metadata array as stored (64-bit integer arrays are converted to Float64Array). */
export type GgufNumberArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

const NUMBER_TYPES: ReadonlySet<GgufValueType> = new Set([
  GgufValueType.UINT8,
  GgufValueType.INT8,
  GgufValueType.UINT16,
  GgufValueType.INT16,
  GgufValueType.UINT32,
  GgufValueType.INT32,
  GgufValueType.FLOAT32,
  GgufValueType.UINT64,
  GgufValueType.INT64,
  GgufValueType.FLOAT64,
]);

/** Name of a value's type for messages, e.g. `UINT32` or `ARRAY<STRING>`. */
function typeName(entry: GgufMetadataValue): string {
  if (entry.type !== GgufValueType.ARRAY) return GgufValueType[entry.type] ?? String(entry.type);
  return `ARRAY<${GgufValueType[entry.value.itemType] ?? entry.value.itemType}>`;
}

function wrongType(
  file: GgufFile,
  key: string,
  expected: string,
  entry: GgufMetadataValue,
): ModelFormatError {
  return new ModelFormatError(file.path, `metadata key ${key}: expected ${expected}, got ${typeName(entry)}`);
}

function missing(file: GgufFile, key: string): ModelFormatError {
  return new ModelFormatError(file.path, `missing metadata key ${key}`);
}

function toSafeNumber(file: GgufFile, key: string, value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ModelFormatError(file.path, `metadata key ${key}: ${value} is too large to use as a number`);
  }
  return Number(value);
}

/** A STRING value, or `null` when `key` is absent. */
export function metaString(file: GgufFile, key: string): string | null {
  const entry = file.metadata.get(key);
  if (entry === undefined) return null;
  if (typeof entry.value !== "string") throw wrongType(file, key, "STRING", entry);
  return entry.value;
}

/**
 * Any integer or float value as a number, or `null` when `key` is absent. 64-bit integers are
 * converted when they are safe integers; larger ones throw.
 */
export function metaNumber(file: GgufFile, key: string): number | null {
  const entry = file.metadata.get(key);
  if (entry === undefined) return null;
  if (!NUMBER_TYPES.has(entry.type)) throw wrongType(file, key, "a number", entry);
  const value = entry.value as number | bigint;
  return typeof value === "bigint" ? toSafeNumber(file, key, value) : value;
}

/** Like {@link metaNumber}, but the value must also be an integer (e.g. a count or a token id). */
export function metaInteger(file: GgufFile, key: string): number | null {
  const value = metaNumber(file, key);
  if (value !== null && !Number.isInteger(value)) {
    throw new ModelFormatError(file.path, `metadata key ${key}: expected an integer, got ${value}`);
  }
  return value;
}

/** A BOOL value, or `null` when `key` is absent. */
export function metaBool(file: GgufFile, key: string): boolean | null {
  const entry = file.metadata.get(key);
  if (entry === undefined) return null;
  if (typeof entry.value !== "boolean") throw wrongType(file, key, "BOOL", entry);
  return entry.value;
}

function metaArray(file: GgufFile, key: string, expected: string): [GgufArray, GgufMetadataValue] | null {
  const entry = file.metadata.get(key);
  if (entry === undefined) return null;
  if (entry.type !== GgufValueType.ARRAY) throw wrongType(file, key, expected, entry);
  return [entry.value, entry];
}

/** An array of STRING (e.g. a vocabulary), or `null` when `key` is absent. Shared; do not mutate. */
export function metaStringArray(file: GgufFile, key: string): readonly string[] | null {
  const found = metaArray(file, key, "ARRAY<STRING>");
  if (found === null) return null;
  const [array, entry] = found;
  // An empty array written with another item type is still an empty list of strings.
  if (array.itemType !== GgufValueType.STRING && array.items.length > 0) {
    throw wrongType(file, key, "ARRAY<STRING>", entry);
  }
  return array.itemType === GgufValueType.STRING ? (array.items as string[]) : [];
}

/**
 * A numeric array (e.g. token scores or types) as stored, or `null` when `key` is absent. The
 * typed array is shared with the file; do not mutate it. 64-bit integer arrays are converted
 * to a new Float64Array and throw if an element is not a safe integer.
 */
export function metaNumberArray(file: GgufFile, key: string): GgufNumberArray | null {
  const found = metaArray(file, key, "ARRAY<number>");
  if (found === null) return null;
  const [array, entry] = found;
  const items = array.items;
  if (items instanceof BigInt64Array || items instanceof BigUint64Array) {
    const out = new Float64Array(items.length);
    for (let i = 0; i < items.length; i++) out[i] = toSafeNumber(file, `${key}[${i}]`, items[i] ?? 0n);
    return out;
  }
  if (Array.isArray(items)) {
    if (items.length === 0) return new Float64Array(0);
    throw wrongType(file, key, "ARRAY<number>", entry);
  }
  return items;
}

/** {@link metaString}, throwing ModelFormatError when `key` is absent. */
export function requireMetaString(file: GgufFile, key: string): string {
  return metaString(file, key) ?? fail(missing(file, key));
}

/** {@link metaNumber}, throwing ModelFormatError when `key` is absent. */
export function requireMetaNumber(file: GgufFile, key: string): number {
  return metaNumber(file, key) ?? fail(missing(file, key));
}

/** {@link metaInteger}, throwing ModelFormatError when `key` is absent. */
export function requireMetaInteger(file: GgufFile, key: string): number {
  return metaInteger(file, key) ?? fail(missing(file, key));
}

/** {@link metaBool}, throwing ModelFormatError when `key` is absent. */
export function requireMetaBool(file: GgufFile, key: string): boolean {
  return metaBool(file, key) ?? fail(missing(file, key));
}

/** {@link metaStringArray}, throwing ModelFormatError when `key` is absent. */
export function requireMetaStringArray(file: GgufFile, key: string): readonly string[] {
  return metaStringArray(file, key) ?? fail(missing(file, key));
}

/** {@link metaNumberArray}, throwing ModelFormatError when `key` is absent. */
export function requireMetaNumberArray(file: GgufFile, key: string): GgufNumberArray {
  return metaNumberArray(file, key) ?? fail(missing(file, key));
}

function fail(err: Error): never {
  throw err;
}
