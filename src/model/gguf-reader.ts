/**
 * GGUF reader (versions 2 and 3, little-endian). Reads the header, metadata and tensor infos
 * through a small bounded reader, so opening a 10 GB model costs only its header; tensor data
 * stays in the file. Every count and length is checked against the bytes the file still holds
 * before anything is allocated, and every problem is a ModelFormatError naming the file.
 */
import { type FileHandle, open } from "node:fs/promises";
import { resolve } from "node:path";
import { ModelFormatError } from "../errors.js";
import { type GgmlTypeInfo, ggmlByteSize, ggmlTypeById } from "./ggml-types.js";
import {
  type GgufArray,
  type GgufFile,
  type GgufMetadata,
  type GgufMetadataValue,
  GgufValueType,
} from "./gguf-types.js";
import { numElements, type TensorRef } from "./tensor-ref.js";

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const MAGIC_SWAPPED = 0x47475546;
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4; // GGML_MAX_DIMS
const MAX_ARRAY_DEPTH = 8;
/** Largest single metadata value (a string or one array's payload) we agree to allocate. */
const MAX_VALUE_BYTES = 256 * 1024 * 1024;
/** Largest string or bool array, in items (JS arrays of this size cost ~0.5 GB). */
const MAX_ARRAY_ITEMS = 1 << 26;
/** Header bytes read per file read; large enough that a vocabulary decodes in a few batches. */
const CHUNK_BYTES = 1024 * 1024;
/** Smallest encodings: key string + type + 1-byte value; name + n_dims + 1 dim + type + offset. */
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

type NumericItems = Exclude<GgufArray["items"], unknown[]>;

/** Item size and typed-array constructor of each fixed-size numeric value type. */
const NUMERIC: ReadonlyMap<GgufValueType, { bytes: number; make: (b: ArrayBuffer) => NumericItems }> =
  new Map([
    [GgufValueType.UINT8, { bytes: 1, make: (b: ArrayBuffer) => new Uint8Array(b) }],
    [GgufValueType.INT8, { bytes: 1, make: (b: ArrayBuffer) => new Int8Array(b) }],
    [GgufValueType.UINT16, { bytes: 2, make: (b: ArrayBuffer) => new Uint16Array(b) }],
    [GgufValueType.INT16, { bytes: 2, make: (b: ArrayBuffer) => new Int16Array(b) }],
    [GgufValueType.UINT32, { bytes: 4, make: (b: ArrayBuffer) => new Uint32Array(b) }],
    [GgufValueType.INT32, { bytes: 4, make: (b: ArrayBuffer) => new Int32Array(b) }],
    [GgufValueType.FLOAT32, { bytes: 4, make: (b: ArrayBuffer) => new Float32Array(b) }],
    [GgufValueType.UINT64, { bytes: 8, make: (b: ArrayBuffer) => new BigUint64Array(b) }],
    [GgufValueType.INT64, { bytes: 8, make: (b: ArrayBuffer) => new BigInt64Array(b) }],
    [GgufValueType.FLOAT64, { bytes: 8, make: (b: ArrayBuffer) => new Float64Array(b) }],
  ]);

/** A forward-only view of a file's header, buffered in chunks, never reading past the end. */
class HeaderReader {
  private chunk: Buffer = Buffer.alloc(0);
  private chunkStart = 0;
  /** Absolute offset of the next byte to read. */
  pos = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly sizeBytes: number,
  ) {}

  fail(problem: string, at: number = this.pos): ModelFormatError {
    return new ModelFormatError(this.path, `${problem} (at byte ${at})`);
  }

  remaining(): number {
    return this.sizeBytes - this.pos;
  }

  /** Whether the next `n` bytes are already buffered (the fast path: no await needed). */
  private isBuffered(n: number): boolean {
    return this.pos - this.chunkStart + n <= this.chunk.length;
  }

  /** Buffers the next `n` bytes, or fails if the file ends first. */
  private async fill(n: number, what: string): Promise<void> {
    if (n > this.remaining()) {
      throw this.fail(`unexpected end of file reading ${what}: need ${n} bytes, ${this.remaining()} left`);
    }
    const len = Math.min(Math.max(n, CHUNK_BYTES), this.remaining());
    const buf = Buffer.allocUnsafe(len);
    for (let done = 0; done < len; ) {
      const { bytesRead } = await this.fh.read(buf, done, len - done, this.pos + done);
      if (bytesRead === 0) throw this.fail(`file shrank while reading ${what}`, this.pos + done);
      done += bytesRead;
    }
    this.chunk = buf;
    this.chunkStart = this.pos;
  }

  /** Offset in `chunk` of the next byte, advancing past `n` buffered bytes. */
  private advance(n: number): number {
    const rel = this.pos - this.chunkStart;
    this.pos += n;
    return rel;
  }

  /** The next `n` bytes; a view valid until the next read. */
  async bytes(n: number, what: string): Promise<Buffer> {
    if (!this.isBuffered(n)) await this.fill(n, what);
    const rel = this.advance(n);
    return this.chunk.subarray(rel, rel + n);
  }

  async u32(what: string): Promise<number> {
    if (!this.isBuffered(4)) await this.fill(4, what);
    return this.chunk.readUInt32LE(this.advance(4));
  }

  async u64(what: string): Promise<bigint> {
    if (!this.isBuffered(8)) await this.fill(8, what);
    return this.chunk.readBigUInt64LE(this.advance(8));
  }

  /** A u64 count of items at least `minItemBytes` each that the rest of the file can hold. */
  async count(what: string, minItemBytes: number): Promise<number> {
    if (!this.isBuffered(8)) await this.fill(8, what);
    const rel = this.advance(8);
    // Two u32 halves avoid a BigInt per string; any count >= 2^53 fails the check anyway.
    const n = this.chunk.readUInt32LE(rel) + this.chunk.readUInt32LE(rel + 4) * 2 ** 32;
    if (n * minItemBytes > this.remaining()) {
      const exact = this.chunk.readBigUInt64LE(rel);
      throw this.fail(`${what} ${exact} is larger than the rest of the file can hold`, this.pos - 8);
    }
    return n;
  }

  async string(what: string): Promise<string> {
    const at = this.pos;
    const len = await this.count(`${what} length`, 1);
    if (len > MAX_VALUE_BYTES) throw this.fail(`${what} length ${len} exceeds ${MAX_VALUE_BYTES}`, at);
    if (!this.isBuffered(len)) await this.fill(len, what);
    const rel = this.advance(len);
    return this.chunk.toString("utf8", rel, rel + len);
  }

  /**
   * `count` strings (an array's items). Strings already buffered are decoded in one loop; one
   * that is not is read by {@link string}, which also reports any problem with it.
   */
  async strings(count: number, what: string): Promise<string[]> {
    const items: string[] = [];
    while (items.length < count) {
      const rel = this.pos - this.chunkStart;
      this.pos += decodeStrings(this.chunk, rel, count - items.length, items);
      if (items.length < count) items.push(await this.string(`${what}[${items.length}]`));
    }
    return items;
  }

  async valueType(what: string): Promise<GgufValueType> {
    const at = this.pos;
    const t = await this.u32(`${what} type`);
    if (t > GgufValueType.FLOAT64) throw this.fail(`unknown value type ${t} for ${what}`, at);
    return t as GgufValueType;
  }
}

/** Payload bytes of the GGUF string (u64 length + bytes) at `at`, or -1 if it is cut off. */
function bufferedLength(buf: Buffer, at: number): number {
  if (at + 8 > buf.length) return -1;
  const len = buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 2 ** 32;
  return len <= MAX_VALUE_BYTES && at + 8 + len <= buf.length ? len : -1;
}

/**
 * Decodes up to `max` consecutive strings that lie entirely in `buf` from byte `at`, appending
 * them to `out`; returns the bytes consumed. A plain loop, with no await or bounds bookkeeping
 * per string: a vocabulary holds hundreds of thousands of them.
 */
function decodeStrings(buf: Buffer, at: number, max: number, out: string[]): number {
  let p = at;
  for (let n = 0; n < max; n++) {
    const len = bufferedLength(buf, p);
    if (len < 0) break;
    out.push(buf.toString("utf8", p + 8, p + 8 + len));
    p += 8 + len;
  }
  return p - at;
}

/** Smallest encoded size of one item of `type` (a string is at least its u64 length). */
function minItemBytes(type: GgufValueType): number {
  if (type === GgufValueType.STRING) return 8;
  if (type === GgufValueType.ARRAY) return 12;
  return NUMERIC.get(type)?.bytes ?? 1;
}

/** Reads `count` items of a numeric type into a typed array of its own. */
async function readNumbers(
  r: HeaderReader,
  type: GgufValueType,
  count: number,
  what: string,
): Promise<NumericItems> {
  const numeric = NUMERIC.get(type) ?? (undefined as never);
  const bytes = await r.bytes(count * numeric.bytes, what);
  return numeric.make(new Uint8Array(bytes).buffer);
}

async function readBools(r: HeaderReader, count: number, what: string): Promise<boolean[]> {
  const at = r.pos;
  const bytes = await r.bytes(count, what);
  const out = new Array<boolean>(count);
  for (let i = 0; i < count; i++) {
    const b = bytes[i] ?? 0;
    if (b > 1) throw r.fail(`${what}: invalid bool value ${b}`, at + i);
    out[i] = b === 1;
  }
  return out;
}

async function readArray(r: HeaderReader, what: string, depth: number): Promise<GgufArray> {
  const itemType = await r.valueType(`${what} item`);
  const at = r.pos;
  const count = await r.count(`${what} item count`, minItemBytes(itemType));
  const numeric = NUMERIC.get(itemType);
  // Typed arrays are bounded by bytes; JS arrays (bool, string, nested) by item count.
  if (numeric !== undefined ? count * numeric.bytes > MAX_VALUE_BYTES : count > MAX_ARRAY_ITEMS) {
    throw r.fail(`${what}: array of ${count} items is too large`, at);
  }
  if (numeric !== undefined) return { itemType, items: await readNumbers(r, itemType, count, what) };
  if (itemType === GgufValueType.BOOL) return { itemType, items: await readBools(r, count, what) };
  if (itemType === GgufValueType.STRING) {
    return { itemType, items: await r.strings(count, what) };
  }
  if (depth >= MAX_ARRAY_DEPTH) throw r.fail(`${what}: arrays nested deeper than ${MAX_ARRAY_DEPTH}`, at);
  const items: GgufArray[] = [];
  for (let i = 0; i < count; i++) items.push(await readArray(r, `${what}[${i}]`, depth + 1));
  return { itemType, items };
}

async function readValue(r: HeaderReader, type: GgufValueType, what: string): Promise<GgufMetadataValue> {
  if (type === GgufValueType.ARRAY) return { type, value: await readArray(r, what, 1) };
  if (type === GgufValueType.STRING) return { type, value: await r.string(what) };
  if (type === GgufValueType.BOOL) return { type, value: (await readBools(r, 1, what))[0] === true };
  return { type, value: (await readNumbers(r, type, 1, what))[0] ?? 0 };
}

async function readMetadata(r: HeaderReader, numKv: number): Promise<GgufMetadata> {
  const metadata: GgufMetadata = new Map();
  for (let i = 0; i < numKv; i++) {
    const at = r.pos;
    const key = await r.string(`metadata key ${i}`);
    if (key.length === 0) throw r.fail(`metadata key ${i} is empty`, at);
    if (metadata.has(key)) throw r.fail(`duplicate metadata key ${key}`, at);
    const type = await r.valueType(`metadata ${key}`);
    metadata.set(key, await readValue(r, type, `metadata ${key}`));
  }
  return metadata;
}

/** `general.alignment`: an integer power of two (default 32). */
function alignmentOf(r: HeaderReader, metadata: GgufMetadata): number {
  const entry = metadata.get("general.alignment");
  if (entry === undefined) return DEFAULT_ALIGNMENT;
  const isInt = typeof entry.value === "number" || typeof entry.value === "bigint";
  const a = isInt ? Number(entry.value) : Number.NaN;
  const isFloat = entry.type === GgufValueType.FLOAT32 || entry.type === GgufValueType.FLOAT64;
  if (isFloat || !Number.isInteger(a) || a < 1 || a > 2 ** 30 || (a & (a - 1)) !== 0) {
    throw new ModelFormatError(
      r.path,
      `general.alignment must be an integer power of two, got ${String(entry.value)}`,
    );
  }
  return a;
}

/** One tensor info, offset still relative to the data section. */
interface RawTensorInfo {
  readonly name: string;
  readonly type: GgmlTypeInfo;
  readonly shape: number[];
  readonly relOffsetBytes: number;
  readonly sizeBytes: number;
}

async function readDims(r: HeaderReader, name: string): Promise<number[]> {
  const at = r.pos;
  const nDims = await r.u32(`tensor ${name} n_dims`);
  if (nDims < 1 || nDims > MAX_DIMS)
    throw r.fail(`tensor ${name}: n_dims ${nDims} is not in 1..${MAX_DIMS}`, at);
  const dims: number[] = [];
  let product = 1n;
  for (let d = 0; d < nDims; d++) {
    const dimAt = r.pos;
    const dim = await r.u64(`tensor ${name} dim ${d}`);
    product *= dim;
    if (dim === 0n) throw r.fail(`tensor ${name}: dim ${d} is 0`, dimAt);
    if (product > BigInt(Number.MAX_SAFE_INTEGER))
      throw r.fail(`tensor ${name}: element count overflows`, dimAt);
    dims.push(Number(dim));
  }
  return dims;
}

async function readTensorInfo(r: HeaderReader, index: number, alignment: number): Promise<RawTensorInfo> {
  const at = r.pos;
  const name = await r.string(`tensor ${index} name`);
  if (name.length === 0) throw r.fail(`tensor ${index} has an empty name`, at);
  const dims = await readDims(r, name);
  const typeAt = r.pos;
  const typeId = await r.u32(`tensor ${name} type`);
  const type = ggmlTypeById(typeId);
  if (type === null) throw r.fail(`tensor ${name}: unknown GGML type id ${typeId}`, typeAt);
  const offsetAt = r.pos;
  const offset = await r.u64(`tensor ${name} offset`);
  if (offset > BigInt(r.sizeBytes))
    throw r.fail(`tensor ${name}: offset ${offset} is beyond the end of the file`, offsetAt);
  if (offset % BigInt(alignment) !== 0n) {
    throw r.fail(
      `tensor ${name}: offset ${offset} is not a multiple of the alignment ${alignment}`,
      offsetAt,
    );
  }
  if ((dims[0] ?? 0) % type.blockSize !== 0) {
    throw r.fail(`tensor ${name}: row of ${dims[0]} is not a whole number of ${type.name} blocks`, at);
  }
  const sizeBytes = ggmlByteSize(type, numElements(dims)) ?? 0;
  return { name, type, shape: dims.reverse(), relOffsetBytes: Number(offset), sizeBytes };
}

/** Places tensors in the data section; checks each lies inside the file and none overlap. */
function placeTensors(
  r: HeaderReader,
  infos: RawTensorInfo[],
  dataOffset: number,
  file: string,
): TensorRef[] {
  const refs = infos.map((t): TensorRef => {
    const offsetBytes = dataOffset + t.relOffsetBytes;
    if (offsetBytes + t.sizeBytes > r.sizeBytes) {
      const range = `bytes ${offsetBytes}..${offsetBytes + t.sizeBytes}`;
      throw new ModelFormatError(
        r.path,
        `tensor ${t.name} data (${range}) runs past the end of the file (${r.sizeBytes} bytes)`,
      );
    }
    return { name: t.name, type: t.type, shape: t.shape, file, offsetBytes, sizeBytes: t.sizeBytes };
  });
  const sorted = [...refs].sort((a, b) => a.offsetBytes - b.offsetBytes);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as TensorRef;
    const cur = sorted[i] as TensorRef;
    if (cur.offsetBytes < prev.offsetBytes + prev.sizeBytes) {
      throw new ModelFormatError(
        r.path,
        `tensors ${prev.name} and ${cur.name} overlap at byte ${cur.offsetBytes}`,
      );
    }
  }
  return refs;
}

async function readVersion(r: HeaderReader): Promise<number> {
  const magic = await r.u32("magic");
  if (magic === MAGIC_SWAPPED) throw r.fail("big-endian GGUF files are not supported", 0);
  if (magic !== MAGIC) throw r.fail(`not a GGUF file (magic 0x${magic.toString(16).padStart(8, "0")})`, 0);
  const version = await r.u32("version");
  if (version !== 0 && (version & 0xffff) === 0) throw r.fail("big-endian GGUF files are not supported", 4);
  if (version === 1) throw r.fail("GGUF v1 is not supported", 4);
  if (version !== 2 && version !== 3) throw r.fail(`unsupported GGUF version ${version}`, 4);
  return version;
}

async function parse(r: HeaderReader): Promise<GgufFile> {
  const version = await readVersion(r);
  const numTensors = await r.count("tensor count", MIN_TENSOR_INFO_BYTES);
  const numKv = await r.count("metadata count", MIN_KV_BYTES);
  if (numTensors * MIN_TENSOR_INFO_BYTES + numKv * MIN_KV_BYTES > r.remaining()) {
    throw r.fail(`${numTensors} tensors and ${numKv} metadata entries cannot fit in the file`);
  }
  const metadata = await readMetadata(r, numKv);
  const alignmentBytes = alignmentOf(r, metadata);
  const infos: RawTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < numTensors; i++) {
    const at = r.pos;
    const info = await readTensorInfo(r, i, alignmentBytes);
    if (names.has(info.name)) throw r.fail(`duplicate tensor name ${info.name}`, at);
    names.add(info.name);
    infos.push(info);
  }
  const dataOffsetBytes = Math.ceil(r.pos / alignmentBytes) * alignmentBytes;
  const tensors = placeTensors(r, infos, dataOffsetBytes, resolve(r.path));
  return {
    path: r.path,
    version,
    metadata,
    tensors,
    alignmentBytes,
    dataOffsetBytes,
    fileSizeBytes: r.sizeBytes,
  };
}

/**
 * Reads a GGUF file's header, metadata and tensor infos. Tensor data is not read: each
 * {@link TensorRef} gives its absolute byte range (row-major shape, GGUF dims reversed).
 * Throws ModelFormatError (naming `path`, and the byte offset where useful) for anything
 * malformed, truncated or unsupported: v1 or big-endian files, unknown value or tensor types.
 * Tensors of types we cannot decode (Q4_K, …) are listed; decoding them is what fails.
 */
export async function readGguf(path: string): Promise<GgufFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    throw new ModelFormatError(path, `cannot open: ${(err as Error).message}`, { cause: err });
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new ModelFormatError(path, "not a regular file");
    return await parse(new HeaderReader(fh, path, stat.size));
  } catch (err) {
    if (err instanceof ModelFormatError) throw err;
    throw new ModelFormatError(path, `cannot read GGUF header: ${(err as Error).message}`, { cause: err });
  } finally {
    await fh.close();
  }
}
