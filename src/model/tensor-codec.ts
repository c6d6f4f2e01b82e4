/**
 * Encoding and decoding of tensor data (F32, F16, BF16, Q8_0) bit-exactly as ggml does it, and
 * reading one tensor's bytes from its file on demand. All loops work on typed arrays in place;
 * nothing is allocated per element. Byte order is little-endian, like the host and GGUF.
 */
import { type FileHandle, open } from "node:fs/promises";
import { InvalidArgumentError, ModelFormatError, UnsupportedError } from "../errors.js";
import { type GgmlTypeInfo, ggmlByteSize, ggmlTypeByName, type SupportedDType } from "./ggml-types.js";
import { numElements, type TensorRef } from "./tensor-ref.js";

/** Elements per Q8_0 block. */
const QK8_0 = 32;
/** Bytes per Q8_0 block: fp16 scale + 32 int8. */
const Q8_0_BLOCK_BYTES = 34;
/** Largest single read; Node refuses reads of 2 GiB or more. */
const MAX_READ_BYTES = 1 << 30;

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Converts float32 bits to float16 bits, rounding to nearest even (as ggml and F16C do). */
function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  // ggml's portable conversion turns every NaN into the canonical quiet NaN.
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00);
  const halfExp = exp - 112;
  if (halfExp >= 0x1f) return sign | 0x7c00;
  if (halfExp <= 0) {
    if (halfExp < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - halfExp;
    const q = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    // A carry out of the subnormal range correctly produces the smallest normal.
    return sign | (rem > halfway || (rem === halfway && (q & 1) === 1) ? q + 1 : q);
  }
  const h = (halfExp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, up to infinity: exactly what RNE wants.
  return sign | (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1) ? h + 1 : h);
}

/** Converts float16 bits to float32 bits (exact). */
function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

let f16Table: Float32Array | null = null;

/** All 65536 float16 values as float32, built on first use (256 KiB). */
function f16ToF32Table(): Float32Array {
  if (f16Table) return f16Table;
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) bits[h] = f16BitsToF32Bits(h);
  f16Table = new Float32Array(bits.buffer);
  return f16Table;
}

/**
 * Rounds a number to float16 and returns its bit pattern (0..0xffff). The number is first
 * rounded to float32, then to float16 with round-to-nearest-even; overflow gives ±inf, values
 * below half the smallest subnormal give ±0, NaN gives 0x7e00 (with the sign), as ggml does.
 */
export function f32ToF16Bits(value: number): number {
  scratchF32[0] = value;
  return f32BitsToF16Bits(scratchU32[0] ?? 0);
}

/** Converts a float16 bit pattern (low 16 bits of `bits`) to its exact value. */
export function f16BitsToF32(bits: number): number {
  return f16ToF32Table()[bits & 0xffff] ?? Number.NaN;
}

/** bfloat16 bits of float32 bits, as ggml_compute_fp32_to_bf16: RNE, NaN forced quiet. */
function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 64;
  return ((x + (0x7fff + ((x >>> 16) & 1))) >>> 16) & 0xffff;
}

/**
 * Rounds a number to bfloat16 and returns its bit pattern (0..0xffff): first to float32, then
 * round-to-nearest-even on the top 16 bits (overflow gives ±inf); NaN stays NaN (quiet).
 */
export function f32ToBf16Bits(value: number): number {
  scratchF32[0] = value;
  return f32BitsToBf16Bits(scratchU32[0] ?? 0);
}

/** Converts a bfloat16 bit pattern (low 16 bits of `bits`) to its exact value. */
export function bf16BitsToF32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0] ?? Number.NaN;
}

/** C `roundf`: halves round away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Quantizes like ggml's quantize_row_q8_0_ref, in float32 arithmetic. */
function encodeQ8_0(values: Float32Array, out: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const qs = new Int8Array(out.buffer, out.byteOffset, out.byteLength);
  const numBlocks = values.length / QK8_0;
  for (let b = 0; b < numBlocks; b++) {
    const base = b * QK8_0;
    let amax = 0;
    for (let j = 0; j < QK8_0; j++) {
      const v = Math.abs(values[base + j] ?? 0);
      // biome-ignore lint/complexity/useMathMinMax: ggml's MAX macro treats NaN unlike Math.max.
      amax = amax > v ? amax : v;
    }
    const d = Math.fround(amax / 127);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    const at = b * Q8_0_BLOCK_BYTES;
    view.setUint16(at, f32ToF16Bits(d), true);
    for (let j = 0; j < QK8_0; j++) {
      qs[at + 2 + j] = roundHalfAway(Math.fround((values[base + j] ?? 0) * id));
    }
  }
}

function decodeQ8_0(bytes: Uint8Array, out: Float32Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const qs = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = f16ToF32Table();
  const numBlocks = out.length / QK8_0;
  for (let b = 0; b < numBlocks; b++) {
    const at = b * Q8_0_BLOCK_BYTES;
    const d = table[view.getUint16(at, true)] ?? 0;
    const base = b * QK8_0;
    for (let j = 0; j < QK8_0; j++) out[base + j] = (qs[at + 2 + j] ?? 0) * d;
  }
}

/** A Uint16Array over `bytes`, copying only when `bytes` is not 2-byte aligned. */
function u16View(bytes: Uint8Array, count: number): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  return new Uint16Array(bytes.slice(0, count * 2).buffer);
}

function supportedType(type: GgmlTypeInfo): GgmlTypeInfo {
  if (!type.supported) throw new UnsupportedError(`tensor type ${type.name} is not supported yet`);
  return type;
}

function byteSizeOf(type: GgmlTypeInfo, count: number): number {
  const size = Number.isSafeInteger(count) && count >= 0 ? ggmlByteSize(type, count) : null;
  if (size === null) {
    throw new InvalidArgumentError(`${count} elements is not a whole number of ${type.name} blocks`);
  }
  return size;
}

/**
 * Encodes float32 values as a tensor of `type`. Returns a new buffer the caller owns, exactly
 * `ggmlByteSize(type, values.length)` bytes. Q8_0 needs a multiple of 32 values.
 */
export function encodeTensor(values: Float32Array, type: SupportedDType): Uint8Array {
  const info = supportedType(ggmlTypeByName(type) ?? unknownType(type));
  const out = new Uint8Array(byteSizeOf(info, values.length));
  const n = values.length;
  switch (info.name) {
    case "F32":
      out.set(new Uint8Array(values.buffer, values.byteOffset, n * 4));
      break;
    case "F16":
    case "BF16": {
      const src = new Uint32Array(values.buffer, values.byteOffset, n);
      const dst = new Uint16Array(out.buffer, 0, n);
      const convert = info.name === "F16" ? f32BitsToF16Bits : f32BitsToBf16Bits;
      for (let i = 0; i < n; i++) dst[i] = convert(src[i] ?? 0);
      break;
    }
    case "Q8_0":
      encodeQ8_0(values, out);
      break;
  }
  return out;
}

function unknownType(name: string): never {
  throw new UnsupportedError(`tensor type ${name} is not supported yet`);
}

/**
 * Decodes `numElements` elements of `type` from the start of `bytes` (which must hold at least
 * `ggmlByteSize(type, numElements)` bytes). Returns a new Float32Array the caller owns.
 * Throws UnsupportedError naming the type for anything but F32, F16, BF16 and Q8_0.
 */
export function decodeTensor(bytes: Uint8Array, type: GgmlTypeInfo, numElements: number): Float32Array {
  supportedType(type);
  const size = byteSizeOf(type, numElements);
  if (bytes.length < size) {
    throw new InvalidArgumentError(
      `${numElements} ${type.name} elements need ${size} bytes, got ${bytes.length}`,
    );
  }
  const out = new Float32Array(numElements);
  const n = numElements;
  switch (type.name) {
    case "F32":
      new Uint8Array(out.buffer).set(bytes.subarray(0, size));
      break;
    case "F16": {
      const src = u16View(bytes, n);
      const table = f16ToF32Table();
      for (let i = 0; i < n; i++) out[i] = table[src[i] ?? 0] ?? 0;
      break;
    }
    case "BF16": {
      const src = u16View(bytes, n);
      const dst = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) dst[i] = (src[i] ?? 0) << 16;
      break;
    }
    case "Q8_0":
      decodeQ8_0(bytes, out);
      break;
  }
  return out;
}

/**
 * Reads exactly the bytes of one tensor (`ref.sizeBytes` from `ref.offsetBytes` of `ref.file`).
 * Returns a new, 0-offset buffer the caller owns. Throws ModelFormatError when the file cannot
 * be read or ends before the tensor does.
 */
export async function readTensorBytes(ref: TensorRef): Promise<Uint8Array> {
  const out = new Uint8Array(ref.sizeBytes);
  let fh: FileHandle;
  try {
    fh = await open(ref.file, "r");
  } catch (err) {
    throw new ModelFormatError(ref.file, `cannot open: ${(err as Error).message}`, { cause: err });
  }
  try {
    let done = 0;
    while (done < out.length) {
      const want = Math.min(out.length - done, MAX_READ_BYTES);
      const { bytesRead } = await fh.read(out, done, want, ref.offsetBytes + done);
      if (bytesRead === 0) {
        const end = ref.offsetBytes + ref.sizeBytes;
        throw new ModelFormatError(
          ref.file,
          `tensor ${ref.name}: file ends at byte ${ref.offsetBytes + done}, data runs to byte ${end}`,
        );
      }
      done += bytesRead;
    }
  } catch (err) {
    if (err instanceof ModelFormatError) throw err;
    throw new ModelFormatError(ref.file, `cannot read tensor ${ref.name}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await fh.close();
  }
  return out;
}

/**
 * Reads one tensor and decodes it to float32 (a new array the caller owns). Unsupported types
 * fail with UnsupportedError before any data is read.
 */
export async function readTensorF32(ref: TensorRef): Promise<Float32Array> {
  supportedType(ref.type);
  return decodeTensor(await readTensorBytes(ref), ref.type, numElements(ref.shape));
}
