import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, ModelFormatError, UnsupportedError } from "../errors.js";
import { prngU32 as prng } from "../test-support/prng.js";
import { type GgmlTypeInfo, ggmlTypeByName } from "./ggml-types.js";
import {
  bf16BitsToF32,
  decodeTensor,
  encodeTensor,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  readTensorBytes,
  readTensorF32,
} from "./tensor-codec.js";
import type { TensorRef } from "./tensor-ref.js";

const type = (name: string): GgmlTypeInfo => ggmlTypeByName(name) ?? (undefined as never);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (bits: number): number => {
  u32[0] = bits;
  return f32[0] ?? 0;
};
const toBits = (x: number): number => {
  f32[0] = x;
  return u32[0] ?? 0;
};

/** A line-by-line port of ggml's portable ggml_compute_fp32_to_fp16, in float32 arithmetic. */
function ggmlFp32ToFp16(f: number): number {
  const fr = Math.fround;
  let base = fr(fr(Math.abs(f) * 2 ** 112) * 2 ** -110);
  const w = toBits(f);
  const shl1w = (w + w) >>> 0;
  const sign = (w & 0x80000000) >>> 0;
  let bias = (shl1w & 0xff000000) >>> 0;
  if (bias < 0x71000000) bias = 0x71000000;
  base = fr(fromBits(((bias >>> 1) + 0x07800000) >>> 0) + base);
  const bits = toBits(base);
  const nonsign = ((bits >>> 13) & 0x7c00) + (bits & 0xfff);
  return (sign >>> 16) | (shl1w > 0xff000000 ? 0x7e00 : nonsign);
}

describe("f16 conversion", () => {
  it("matches known bit patterns", () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [65504, 0x7bff],
      [65519.99, 0x7bff],
      [65520, 0x7c00],
      [1e9, 0x7c00],
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000],
      [1.5 * 2 ** -25, 0x0001],
      [3 * 2 ** -25, 0x0002],
      [2 ** -14 - 2 ** -24, 0x03ff],
      [0, 0x0000],
      [-0, 0x8000],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [value, bits] of cases) expect(f32ToF16Bits(value), String(value)).toBe(bits);
    expect(f32ToF16Bits(Number.NaN) & 0x7fff).toBe(0x7e00);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
  });

  it("round-trips all 65536 patterns (NaNs stay NaN)", () => {
    for (let h = 0; h < 65536; h++) {
      const v = f16BitsToF32(h);
      const back = f32ToF16Bits(v);
      if (Number.isNaN(v)) {
        expect(Number.isNaN(f16BitsToF32(back))).toBe(true);
        expect(back & 0x8000).toBe(h & 0x8000);
      } else if (back !== h) {
        expect.fail(`pattern 0x${h.toString(16)} came back as 0x${back.toString(16)}`);
      }
    }
  });

  it("agrees with ggml's portable conversion on random and boundary floats", () => {
    const next = prng(1234);
    for (let i = 0; i < 200_000; i++) {
      const v = fromBits(next());
      const ours = f32ToF16Bits(v);
      const ref = ggmlFp32ToFp16(v);
      if (ours !== ref)
        expect.fail(`0x${toBits(v).toString(16)}: ours 0x${ours.toString(16)} ggml 0x${ref.toString(16)}`);
    }
    // Every half-way point between neighbouring f16 values, and its float32 neighbours.
    for (let h = 0; h < 0x7c00; h++) {
      const mid = (f16BitsToF32(h) + f16BitsToF32(h + 1)) / 2;
      for (const b of [toBits(mid) - 1, toBits(mid), toBits(mid) + 1]) {
        const v = fromBits(b);
        if (f32ToF16Bits(v) !== ggmlFp32ToFp16(v)) expect.fail(`mid-point 0x${b.toString(16)}`);
      }
    }
  });
});

describe("bf16 conversion", () => {
  it("rounds to nearest even and keeps NaN", () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(fromBits(0x3f808000))).toBe(0x3f80);
    expect(f32ToBf16Bits(fromBits(0x3f818000))).toBe(0x3f82);
    expect(f32ToBf16Bits(fromBits(0x3f808001))).toBe(0x3f81);
    expect(f32ToBf16Bits(fromBits(0x7f7fffff))).toBe(0x7f80);
    expect(f32ToBf16Bits(-0)).toBe(0x8000);
    expect(f32ToBf16Bits(fromBits(0x00010000))).toBe(0x0001);
    expect(f32ToBf16Bits(Number.NEGATIVE_INFINITY)).toBe(0xff80);
    expect(f32ToBf16Bits(fromBits(0x7f800001))).toBe(0x7fc0);
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0xc040)).toBe(-3);
  });

  it("round-trips all 65536 patterns (NaNs stay NaN)", () => {
    for (let h = 0; h < 65536; h++) {
      const v = bf16BitsToF32(h);
      const back = f32ToBf16Bits(v);
      if (Number.isNaN(v)) expect(Number.isNaN(bf16BitsToF32(back))).toBe(true);
      else if (back !== h) expect.fail(`pattern 0x${h.toString(16)} came back as 0x${back.toString(16)}`);
    }
  });
});

function randomValues(n: number, seed: number, scale = 3): Float32Array {
  const next = prng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((next() / 2 ** 32) * 2 - 1) * scale;
  return out;
}

describe("encodeTensor / decodeTensor", () => {
  it("F32 is exact and F16/BF16 match the scalar conversions", () => {
    const values = randomValues(1000, 7);
    values[0] = Number.POSITIVE_INFINITY;
    values[1] = -0;
    expect(decodeTensor(encodeTensor(values, "F32"), type("F32"), 1000)).toEqual(values);
    const f16 = decodeTensor(encodeTensor(values, "F16"), type("F16"), 1000);
    const bf16 = decodeTensor(encodeTensor(values, "BF16"), type("BF16"), 1000);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? 0;
      expect(f16[i]).toBe(f16BitsToF32(f32ToF16Bits(v)));
      expect(bf16[i]).toBe(bf16BitsToF32(f32ToBf16Bits(v)));
      if (Number.isFinite(v)) {
        expect(Math.abs((f16[i] ?? 0) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25);
        expect(Math.abs((bf16[i] ?? 0) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8);
      }
    }
    expect(encodeTensor(values, "F16").length).toBe(2000);
  });

  it("Q8_0 quantizes like ggml's reference (roundf, fp16 scale) and stays within d/2", () => {
    const values = new Float32Array(64);
    values[0] = 127;
    values[1] = 0.5;
    values[2] = -0.5;
    values[3] = 2.5;
    values[4] = -127;
    values.set(randomValues(32, 3, 0.01), 32);
    const bytes = encodeTensor(values, "Q8_0");
    expect(bytes.length).toBe(68);
    const view = new DataView(bytes.buffer);
    expect(view.getUint16(0, true)).toBe(0x3c00); // d = 127 / 127
    expect(Array.from(new Int8Array(bytes.buffer, 2, 5))).toEqual([127, 1, -1, 3, -127]);
    const decoded = decodeTensor(bytes, type("Q8_0"), 64);
    for (let b = 0; b < 2; b++) {
      const d = f16BitsToF32(view.getUint16(b * 34, true));
      for (let j = 0; j < 32; j++) {
        const i = b * 32 + j;
        expect(Math.abs((decoded[i] ?? 0) - (values[i] ?? 0))).toBeLessThanOrEqual(d / 2 + 1e-6 * d);
      }
    }
    const zeros = encodeTensor(new Float32Array(32), "Q8_0");
    expect(Array.from(zeros)).toEqual(new Array(34).fill(0));
  });

  it("decodes from unaligned buffers", () => {
    const values = randomValues(64, 11);
    for (const name of ["F32", "F16", "BF16", "Q8_0"] as const) {
      const bytes = encodeTensor(values, name);
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      expect(decodeTensor(shifted.subarray(1), type(name), 64)).toEqual(decodeTensor(bytes, type(name), 64));
    }
  });

  it("rejects unsupported types and bad sizes", () => {
    expect(() => decodeTensor(new Uint8Array(144), type("Q4_K"), 256)).toThrow(UnsupportedError);
    expect(() => decodeTensor(new Uint8Array(144), type("Q4_K"), 256)).toThrow(/Q4_K is not supported/);
    expect(() => encodeTensor(new Float32Array(4), "Q6_K" as never)).toThrow(/Q6_K is not supported/);
    expect(() => encodeTensor(new Float32Array(33), "Q8_0")).toThrow(InvalidArgumentError);
    expect(() => decodeTensor(new Uint8Array(6), type("F32"), 2)).toThrow(InvalidArgumentError);
  });
});

describe("readTensorBytes / readTensorF32", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tensor-codec-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads exactly the tensor's range and fails on short files", async () => {
    const values = randomValues(32, 5);
    const file = join(dir, "t.bin");
    const payload = encodeTensor(values, "F16");
    await writeFile(file, Buffer.concat([Buffer.from("0123456"), payload, Buffer.from("xyz")]));
    const ref: TensorRef = {
      name: "t",
      type: type("F16"),
      shape: [4, 8],
      file,
      offsetBytes: 7,
      sizeBytes: 64,
    };
    expect(await readTensorBytes(ref)).toEqual(payload);
    expect(await readTensorF32(ref)).toEqual(decodeTensor(payload, type("F16"), 32));
    const short = { ...ref, offsetBytes: 20 };
    await expect(readTensorBytes(short)).rejects.toThrow(ModelFormatError);
    await expect(readTensorBytes(short)).rejects.toThrow(file);
    await expect(readTensorBytes({ ...ref, file: join(dir, "missing") })).rejects.toThrow(ModelFormatError);
    await expect(readTensorF32({ ...ref, type: type("Q4_K") })).rejects.toThrow(UnsupportedError);
  });
});
