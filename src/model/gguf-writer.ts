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

/** Byte size and little-endian setter of each fixed-size scalar type. */
const SCALAR_LAYOUT = new Map<
  GgufValueType,
  { size: number; set: (d: DataView, at: number, v: unknown) => void }
>([
  [GgufValueType.UINT8, { size: 1, set: (d, at, v) => d.setUint8(at, Number(v)) }],
  [GgufValueType.INT8, { size: 1, set: (d, at, v) => d.setInt8(at, Number(v)) }],
  [GgufValueType.BOOL, { size: 1, set: (d, at, v) => d.setUint8(at, v ? 1 : 0) }],
  [GgufValueType.UINT16, { size: 2, set: (d, at, v) => d.setUint16(at, Number(v), true) }],
  [GgufValueType.INT16, { size: 2, set: (d, at, v) => d.setInt16(at, Number(v), true) }],
  [GgufValueType.UINT32, { size: 4, set: (d, at, v) => d.setUint32(at, Number(v), true) }],
  [GgufValueType.INT32, { size: 4, set: (d, at, v) => d.setInt32(at, Number(v), true) }],
  [GgufValueType.FLOAT32, { size: 4, set: (d, at, v) => d.setFloat32(at, Number(v), true) }],
  [GgufValueType.FLOAT64, { size: 8, set: (d, at, v) => d.setFloat64(at, Number(v), true) }],
  [
    GgufValueType.UINT64,
    { size: 8, set: (d, at, v) => d.setBigUint64(at, BigInt(v as bigint | number), true) },
  ],
  [
    GgufValueType.INT64,
    { size: 8, set: (d, at, v) => d.setBigInt64(at, BigInt(v as bigint | number), true) },
  ],
]);

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

  /** Writes a fixed-size little-endian number through a DataView setter. */
  private put(size: number, write: (view: DataView, at: number) => void): void {
    this.reserve(size);
    write(this.view, this.length);
    this.length += size;
  }
  u8(v: number): void {
    this.put(1, (d, at) => d.setUint8(at, v));
  }
  u32(v: number): void {
    this.put(4, (d, at) => d.setUint32(at, v, true));
  }
  u64(v: number | bigint): void {
    this.put(8, (d, at) => d.setBigUint64(at, BigInt(v), true));
  }
  scalar(type: GgufValueType, value: unknown): void {
    if (type === GgufValueType.STRING) {
      this.string(String(value));
      return;
    }
    const layout = SCALAR_LAYOUT.get(type);
    if (!layout) throw new InvalidArgumentError(`cannot write GGUF scalar of type ${type}`);
    this.put(layout.size, (d, at) => layout.set(d, at, value));
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

function writeArray(sink: ByteSink, arr: GgufArray): void {
  sink.u32(arr.itemType);
  sink.u64(arr.items.length);
  for (const item of arr.items as Iterable<unknown>) {
    if (arr.itemType === GgufValueType.ARRAY) writeArray(sink, item as GgufArray);
    else sink.scalar(arr.itemType, item);
  }
}

function writeValue(sink: ByteSink, entry: GgufMetadataValue): void {
  sink.u32(entry.type);
  if (entry.type === GgufValueType.ARRAY) writeArray(sink, entry.value);
  else sink.scalar(entry.type, entry.value);
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
      throw new InvalidArgumentError(
        `tensor ${t.name}: ${t.shape.join("x")} is not a whole number of ${t.type.name} blocks`,
      );
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
