/**
 * Reader and writer of the safetensors format: an 8-byte little-endian header length, a JSON
 * header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {k: v}}`, then the
 * tensor data. Reading parses only the header; tensor data stays in the file.
 */
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { InvalidArgumentError, ModelFormatError } from "../errors.js";
import { type GgmlTypeInfo, ggmlTypeByName } from "./ggml-types.js";
import type { TensorRef } from "./tensor-ref.js";

/** The safetensors dtypes tokenflow reads and writes. */
export type SafetensorsDType = "F32" | "F16" | "BF16";

/** Every dtype the format defines, with its item size in bytes (sub-byte types: 0). */
const KNOWN_DTYPES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  F4: 0,
  F6_E2M3: 0,
  F6_E3M2: 0,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
  C64: 8,
};

const SUPPORTED: readonly SafetensorsDType[] = ["F32", "F16", "BF16"];

/** Largest JSON header we accept, in bytes (the reference implementation uses 100 MB). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** What {@link readSafetensors} returns. */
export interface SafetensorsFile {
  /** Tensors in header order, named as in the file; offsets are absolute. */
  readonly tensors: TensorRef[];
  /** The `__metadata__` string map (empty when absent). */
  readonly metadata: Record<string, string>;
}

/** One tensor to write; `data` is called once, while writing, and must return exactly the bytes. */
export interface SafetensorsTensorToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  /** Row-major shape, slowest dimension first. */
  readonly shape: readonly number[];
  /** Little-endian element bytes: product(shape) × item size. The caller owns the array. */
  readonly data: () => Uint8Array;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Reads the 8-byte length and the JSON header; returns the parsed JSON and the data start. */
async function readHeaderJson(path: string): Promise<{ json: unknown; dataStart: number; dataEnd: number }> {
  const fh = await open(path, "r").catch((e: unknown) => {
    throw new ModelFormatError(path, `cannot open: ${(e as Error).message}`, { cause: e });
  });
  try {
    const fileSize = (await fh.stat()).size;
    if (fileSize < 8)
      throw new ModelFormatError(path, `file is ${fileSize} bytes, too short for a safetensors header`);
    const prefix = Buffer.alloc(8);
    await fh.read(prefix, 0, 8, 0);
    const n = prefix.readBigUInt64LE(0);
    if (n > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
      throw new ModelFormatError(
        path,
        `header length ${n} exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit`,
      );
    }
    const headerBytes = Number(n);
    if (8 + headerBytes > fileSize) {
      throw new ModelFormatError(
        path,
        `header length ${headerBytes} runs past the end of the ${fileSize}-byte file`,
      );
    }
    const buf = Buffer.alloc(headerBytes);
    const { bytesRead } = await fh.read(buf, 0, headerBytes, 8);
    if (bytesRead !== headerBytes) throw new ModelFormatError(path, "file shrank while reading the header");
    return { json: parseHeader(path, buf), dataStart: 8 + headerBytes, dataEnd: fileSize };
  } finally {
    await fh.close();
  }
}

function parseHeader(path: string, buf: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch (e) {
    throw new ModelFormatError(path, "header is not valid UTF-8", { cause: e });
  }
  if (!text.startsWith("{")) throw new ModelFormatError(path, "header does not start with '{'");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(path, `header is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

function parseMetadata(path: string, raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) throw new ModelFormatError(path, "__metadata__ is not an object");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string") throw new ModelFormatError(path, `__metadata__.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function dtypeOf(path: string, name: string, dtype: unknown): GgmlTypeInfo {
  if (typeof dtype !== "string") throw new ModelFormatError(path, `tensor "${name}": dtype is not a string`);
  if (!(dtype in KNOWN_DTYPES))
    throw new ModelFormatError(path, `tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
  const type = (SUPPORTED as readonly string[]).includes(dtype) ? ggmlTypeByName(dtype) : null;
  if (type === null) {
    throw new ModelFormatError(
      path,
      `tensor "${name}": dtype ${dtype} is not supported (supported: ${SUPPORTED.join(", ")})`,
    );
  }
  return type;
}

/** Validates one header entry; offsets are checked against the data section length here. */
function parseEntry(path: string, name: string, raw: unknown, dataStart: number, dataLen: number): TensorRef {
  if (!isRecord(raw)) throw new ModelFormatError(path, `tensor "${name}": entry is not an object`);
  const type = dtypeOf(path, name, raw.dtype);
  const shape = raw.shape;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new ModelFormatError(path, `tensor "${name}": shape must be an array of non-negative integers`);
  }
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (!Number.isSafeInteger(count * type.typeSizeBytes))
      throw new ModelFormatError(path, `tensor "${name}": shape too large`);
  }
  const offsets = raw.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw new ModelFormatError(
      path,
      `tensor "${name}": data_offsets must be [begin, end] non-negative integers`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLen) {
    throw new ModelFormatError(
      path,
      `tensor "${name}": data_offsets [${begin}, ${end}] outside the ${dataLen}-byte data section`,
    );
  }
  const sizeBytes = count * type.typeSizeBytes;
  if (end - begin !== sizeBytes) {
    throw new ModelFormatError(
      path,
      `tensor "${name}": ${end - begin} bytes of data but shape [${shape.join(", ")}] × ${type.name} needs ${sizeBytes}`,
    );
  }
  return { name, type, shape: shape as number[], file: path, offsetBytes: dataStart + begin, sizeBytes };
}

function checkNoOverlap(path: string, tensors: readonly TensorRef[]): void {
  const sorted = [...tensors].sort((a, b) => a.offsetBytes - b.offsetBytes || a.sizeBytes - b.sizeBytes);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as TensorRef;
    const cur = sorted[i] as TensorRef;
    if (cur.offsetBytes < prev.offsetBytes + prev.sizeBytes) {
      throw new ModelFormatError(path, `tensors "${prev.name}" and "${cur.name}" overlap`);
    }
  }
}

/**
 * Reads a safetensors header (never the tensor data) and validates every entry: dtype, shape,
 * offsets inside the data section, sizes matching shape × item size, no overlaps. Only F32, F16
 * and BF16 tensors are accepted; other dtypes are named in the error.
 * @throws ModelFormatError naming the file on any problem.
 */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  const file = resolve(path);
  const { json, dataStart, dataEnd } = await readHeaderJson(file);
  if (!isRecord(json)) throw new ModelFormatError(file, "header is not a JSON object");
  const metadata = parseMetadata(file, json.__metadata__);
  const tensors: TensorRef[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === "__metadata__") continue;
    tensors.push(parseEntry(file, name, raw, dataStart, dataEnd - dataStart));
  }
  checkNoOverlap(file, tensors);
  return { tensors, metadata };
}

function itemSize(dtype: SafetensorsDType): number {
  return KNOWN_DTYPES[dtype] ?? 0;
}

/** Builds the JSON header, padded with spaces so that the data section starts 8-byte aligned. */
function buildHeader(
  tensors: readonly SafetensorsTensorToWrite[],
  metadata: Record<string, string> | undefined,
): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (!SUPPORTED.includes(t.dtype)) {
      throw new InvalidArgumentError(`tensor ${t.name}: cannot write dtype ${String(t.dtype)}`, "dtype");
    }
    if (t.name === "__metadata__" || t.name in header)
      throw new InvalidArgumentError(`duplicate or reserved tensor name ${t.name}`, "name");
    if (!t.shape.every(isCount)) {
      throw new InvalidArgumentError(`tensor ${t.name}: bad shape [${String(t.shape)}]`, "shape");
    }
    const size = t.shape.reduce((a, d) => a * d, 1) * itemSize(t.dtype);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const padded = Buffer.alloc(Math.ceil(json.length / 8) * 8, 0x20);
  json.copy(padded);
  return padded;
}

/**
 * Writes a safetensors file, streaming tensor data one tensor at a time in the given order.
 * @throws InvalidArgumentError on a bad name, dtype, shape or data length.
 */
export async function writeSafetensors(
  path: string,
  tensors: readonly SafetensorsTensorToWrite[],
  metadata?: Record<string, string>,
): Promise<void> {
  const header = buildHeader(tensors, metadata);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const fh = await open(path, "w");
  try {
    await fh.write(prefix);
    await fh.write(header);
    for (const t of tensors) {
      const bytes = t.data();
      const expected = t.shape.reduce((a, d) => a * d, 1) * itemSize(t.dtype);
      if (bytes.length !== expected) {
        throw new InvalidArgumentError(
          `tensor ${t.name}: got ${bytes.length} bytes, expected ${expected}`,
          "data",
        );
      }
      await fh.write(bytes);
    }
  } finally {
    await fh.close();
  }
}
