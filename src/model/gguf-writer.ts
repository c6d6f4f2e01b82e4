import { open } from "node:fs/promises";
import { InvalidArgumentError } from "../errors.js";
import type { GgmlTypeInfo } from "./ggml-types.js";
import { ggmlByteSize } from "./ggml-types.js";
import { type GgufArray, type GgufMetadata, type GgufMetadataValue, GgufValueType } from "./gguf-types.js";
import { numElements } from "./tensor-ref.js";

/** One tensor to write. `data` is produced lazily so that large models stream to disk. */
export interface GgufTensorToWrite {
  readonly name: string;
  readonly type: GgmlTypeInfo;
  /** Row-major shape (slowest first); written to the file reversed, as GGUF expects. */
  readonly shape: readonly number[];
  /** Exactly `ggmlByteSize(type, numElements(shape))` bytes, called once while writing. */
  readonly data: () => Uint8Array;
}

/** Options of {@link writeGguf}. */
export interface GgufWriteOptions {
  /** GGUF version to write (default 3). */
  readonly version?: 2 | 3;
}

const MAGIC = 0x46554747; // "GGUF" little-endian
const DEFAULT_ALIGNMENT = 32;

/** Growable little-endian byte sink for the header. */
class ByteSink {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number | bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function writeScalar(sink: ByteSink, type: GgufValueType, value: unknown): void {
  const tmp = new DataView(new ArrayBuffer(8));
  switch (type) {
    case GgufValueType.UINT8:
      return sink.u8(Number(value));
    case GgufValueType.INT8:
      tmp.setInt8(0, Number(value));
      return sink.bytes(new Uint8Array(tmp.buffer, 0, 1));
    case GgufValueType.UINT16:
      tmp.setUint16(0, Number(value), true);
      return sink.bytes(new Uint8Array(tmp.buffer, 0, 2));
    case GgufValueType.INT16:
      tmp.setInt16(0, Number(value), true);
      return sink.bytes(new Uint8Array(tmp.buffer, 0, 2));
    case GgufValueType.UINT32:
      return sink.u32(Number(value));
    case GgufValueType.INT32:
      tmp.setInt32(0, Number(value), true);
      return sink.bytes(new Uint8Array(tmp.buffer, 0, 4));
    case GgufValueType.FLOAT32:
      tmp.setFloat32(0, Number(value), true);
      return sink.bytes(new Uint8Array(tmp.buffer, 0, 4));
    case GgufValueType.BOOL:
      return sink.u8(value ? 1 : 0);
    case GgufValueType.STRING:
      return sink.string(String(value));
    case GgufValueType.UINT64:
      tmp.setBigUint64(0, BigInt(value as bigint | number), true);
      return sink.bytes(new Uint8Array(tmp.buffer, 0, 8));
    case GgufValueType.INT64:
      tmp.setBigInt64(0, BigInt(value as bigint | number), true);
      return sink.bytes(new Uint8Array(tmp.buffer, 0, 8));
    case GgufValueType.FLOAT64:
      tmp.setFloat64(0, Number(value), true);
      return sink.bytes(new Uint8Array(tmp.buffer, 0, 8));
    default:
      throw new InvalidArgumentError(`cannot write GGUF scalar of type ${type}`);
  }
}

function writeArray(sink: ByteSink, arr: GgufArray): void {
  sink.u32(arr.itemType);
  sink.u64(arr.items.length);
  for (const item of arr.items as Iterable<unknown>) {
    if (arr.itemType === GgufValueType.ARRAY) writeArray(sink, item as GgufArray);
    else writeScalar(sink, arr.itemType, item);
  }
}

function writeValue(sink: ByteSink, entry: GgufMetadataValue): void {
  sink.u32(entry.type);
  if (entry.type === GgufValueType.ARRAY) writeArray(sink, entry.value);
  else writeScalar(sink, entry.type, entry.value);
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function alignmentOf(metadata: GgufMetadata): number {
  const entry = metadata.get("general.alignment");
  if (!entry) return DEFAULT_ALIGNMENT;
  const a = Number(entry.value);
  if (!Number.isInteger(a) || a <= 0 || a % 8 !== 0) {
    throw new InvalidArgumentError(`general.alignment must be a positive multiple of 8, got ${a}`);
  }
  return a;
}

/**
 * Writes a GGUF file: header, metadata (in map order), tensor infos, then tensor data, each
 * tensor aligned to `general.alignment` (default 32). Tensor data is produced and written one
 * tensor at a time.
 */
export async function writeGguf(
  path: string,
  metadata: GgufMetadata,
  tensors: readonly GgufTensorToWrite[],
  options: GgufWriteOptions = {},
): Promise<void> {
  const alignment = alignmentOf(metadata);
  const header = new ByteSink();
  header.u32(MAGIC);
  header.u32(options.version ?? 3);
  header.u64(tensors.length);
  header.u64(metadata.size);
  for (const [key, entry] of metadata) {
    header.string(key);
    writeValue(header, entry);
  }
  let offset = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    const size = ggmlByteSize(t.type, numElements(t.shape));
    if (size === null) {
      throw new InvalidArgumentError(`tensor ${t.name}: ${t.shape.join("x")} is not a whole number of ${t.type.name} blocks`);
    }
    header.string(t.name);
    header.u32(t.shape.length);
    for (let i = t.shape.length - 1; i >= 0; i--) header.u64(t.shape[i] ?? 0);
    header.u32(t.type.id);
    header.u64(offset);
    sizes.push(size);
    offset = alignUp(offset + size, alignment);
  }
  const fh = await open(path, "w");
  try {
    const head = header.result();
    await fh.write(head);
    let pos = head.length;
    const dataStart = alignUp(pos, alignment);
    await fh.write(new Uint8Array(dataStart - pos));
    pos = dataStart;
    for (const [i, t] of tensors.entries()) {
      const bytes = t.data();
      if (bytes.length !== sizes[i]) {
        throw new InvalidArgumentError(`tensor ${t.name}: got ${bytes.length} bytes, expected ${sizes[i]}`);
      }
      await fh.write(bytes);
      pos += bytes.length;
      const padded = alignUp(pos - dataStart, alignment) + dataStart;
      if (i < tensors.length - 1 && padded > pos) {
        await fh.write(new Uint8Array(padded - pos));
        pos = padded;
      }
    }
  } finally {
    await fh.close();
  }
}
