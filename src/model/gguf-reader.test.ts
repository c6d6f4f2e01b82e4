import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError, UnsupportedError } from "../errors.js";
import { type GgmlTypeInfo, ggmlTypeByName } from "./ggml-types.js";
import { readGguf } from "./gguf-reader.js";
import {
  type GgufArray,
  type GgufMetadata,
  type GgufMetadataValue,
  GgufValueType as T,
} from "./gguf-types.js";
import { type GgufTensorToWrite, writeGguf } from "./gguf-writer.js";
import { decodeTensor, encodeTensor, f16BitsToF32, readTensorBytes, readTensorF32 } from "./tensor-codec.js";
import { numElements } from "./tensor-ref.js";

const type = (name: string): GgmlTypeInfo => ggmlTypeByName(name) ?? (undefined as never);
const arr = (itemType: T, items: GgufArray["items"]): { type: T.ARRAY; value: GgufArray } => ({
  type: T.ARRAY,
  value: { itemType, items },
});

function allValueTypes(): GgufMetadata {
  const strings: GgufArray = { itemType: T.STRING, items: ["a", "", "日本語"] };
  return new Map<string, GgufMetadataValue>([
    ["general.architecture", { type: T.STRING, value: "llama" }],
    ["t.u8", { type: T.UINT8, value: 200 }],
    ["t.i8", { type: T.INT8, value: -100 }],
    ["t.u16", { type: T.UINT16, value: 60000 }],
    ["t.i16", { type: T.INT16, value: -30000 }],
    ["t.u32", { type: T.UINT32, value: 4_000_000_000 }],
    ["t.i32", { type: T.INT32, value: -2_000_000_000 }],
    ["t.f32", { type: T.FLOAT32, value: 1.5 }],
    ["t.true", { type: T.BOOL, value: true }],
    ["t.false", { type: T.BOOL, value: false }],
    ["t.str", { type: T.STRING, value: "héllo wörld 🌍 \u0000 end" }],
    ["t.empty_str", { type: T.STRING, value: "" }],
    ["t.u64", { type: T.UINT64, value: 2n ** 64n - 1n }],
    ["t.i64", { type: T.INT64, value: -(2n ** 63n) }],
    ["t.f64", { type: T.FLOAT64, value: Math.PI }],
    ["ключ.🔑", { type: T.STRING, value: "unicode key" }],
    ["a.u8", arr(T.UINT8, new Uint8Array([0, 255]))],
    ["a.i8", arr(T.INT8, new Int8Array([-128, 127]))],
    ["a.u16", arr(T.UINT16, new Uint16Array([1, 65535]))],
    ["a.i16", arr(T.INT16, new Int16Array([-32768, 5]))],
    ["a.u32", arr(T.UINT32, new Uint32Array([0xffffffff, 3]))],
    ["a.i32", arr(T.INT32, new Int32Array([-1, 2, -3]))],
    ["a.f32", arr(T.FLOAT32, new Float32Array([0.25, -1e30, 3.5]))],
    ["a.u64", arr(T.UINT64, new BigUint64Array([0n, 2n ** 64n - 1n]))],
    ["a.i64", arr(T.INT64, new BigInt64Array([-(2n ** 63n), 7n]))],
    ["a.f64", arr(T.FLOAT64, new Float64Array([Math.E, -0.5]))],
    ["a.bool", arr(T.BOOL, [true, false, true])],
    ["a.str", arr(T.STRING, ["<s>", "▁the", "", "🙂"])],
    ["a.empty_u8", arr(T.UINT8, new Uint8Array(0))],
    ["a.empty_str", arr(T.STRING, [])],
    ["a.empty_arr", arr(T.ARRAY, [])],
    ["a.nested_str", arr(T.ARRAY, [strings, { itemType: T.STRING, items: [] }, strings])],
    [
      "a.nested3",
      arr(T.ARRAY, [{ itemType: T.ARRAY, items: [{ itemType: T.INT32, items: new Int32Array([1, -2]) }] }]),
    ],
  ]);
}

function valuesFor(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.37 + seed) * (1 + (i % 7));
  return out;
}

interface TestTensor extends GgufTensorToWrite {
  readonly values: Float32Array;
}

function tensor(
  name: string,
  dtype: "F32" | "F16" | "BF16" | "Q8_0",
  shape: number[],
  seed: number,
): TestTensor {
  const values = valuesFor(numElements(shape), seed);
  return { name, type: type(dtype), shape, values, data: () => encodeTensor(values, dtype) };
}

function testTensors(): TestTensor[] {
  return [
    tensor("odd.f32", "F32", [3, 5], 1),
    tensor("blk.0.attn_q.weight", "F16", [2, 3, 7], 2),
    tensor("norm.bf16", "BF16", [5], 3),
    tensor("blk.0.ffn_up.weight", "Q8_0", [3, 64], 4),
    tensor("four.d", "F32", [2, 1, 3, 4], 5),
  ];
}

describe("readGguf round trip", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gguf-reader-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const version of [2, 3] as const) {
    for (const alignment of [null, 8, 64]) {
      it(`v${version}, alignment ${alignment ?? "default"}: metadata and tensors`, async () => {
        const metadata = allValueTypes();
        if (alignment !== null) metadata.set("general.alignment", { type: T.UINT32, value: alignment });
        const tensors = testTensors();
        const q4k = new Uint8Array(144).map((_, i) => i);
        const all = [...tensors, { name: "q4k", type: type("Q4_K"), shape: [1, 256], data: () => q4k }];
        const path = join(dir, `v${version}-${alignment}.gguf`);
        await writeGguf(path, metadata, all, { version });
        const file = await readGguf(path);
        expect(file.version).toBe(version);
        expect(file.path).toBe(path);
        expect(file.metadata).toStrictEqual(metadata);
        expect([...file.metadata.keys()]).toEqual([...metadata.keys()]);
        expect(file.alignmentBytes).toBe(alignment ?? 32);
        expect(file.dataOffsetBytes % file.alignmentBytes).toBe(0);
        expect(file.tensors.map((t) => t.name)).toEqual(all.map((t) => t.name));
        for (const [i, ref] of file.tensors.entries()) {
          expect(ref.shape).toEqual(all[i]?.shape);
          expect(ref.type).toBe(all[i]?.type);
          expect(isAbsolute(ref.file)).toBe(true);
          expect(ref.offsetBytes).toBeGreaterThanOrEqual(file.dataOffsetBytes);
          expect(ref.offsetBytes % file.alignmentBytes).toBe(0);
        }
        await checkTensorValues(file.tensors, tensors);
        const q4 = file.tensors[5] ?? (undefined as never);
        expect(q4.sizeBytes).toBe(144);
        expect(await readTensorBytes(q4)).toEqual(q4k);
        await expect(readTensorF32(q4)).rejects.toThrow(UnsupportedError);
        expect(() => decodeTensor(q4k, q4.type, 256)).toThrow(/Q4_K/);
      });
    }
  }

  async function checkTensorValues(
    refs: Awaited<ReturnType<typeof readGguf>>["tensors"],
    tensors: TestTensor[],
  ) {
    for (const t of tensors) {
      const ref = refs.find((r) => r.name === t.name) ?? (undefined as never);
      const got = await readTensorF32(ref);
      expect(got.length).toBe(t.values.length);
      if (t.type.name === "F32") expect(got).toEqual(t.values);
      const bytes = await readTensorBytes(ref);
      for (let i = 0; i < got.length; i++) {
        const v = t.values[i] ?? 0;
        const err = Math.abs((got[i] ?? 0) - v);
        if (t.type.name === "F16") expect(err).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
        if (t.type.name === "BF16") expect(err).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8);
        if (t.type.name === "Q8_0") {
          const block = Math.floor(i / 32);
          const d = f16BitsToF32((bytes[block * 34] ?? 0) | ((bytes[block * 34 + 1] ?? 0) << 8));
          expect(err).toBeLessThanOrEqual(d / 2 + 1e-6);
        }
      }
    }
  }

  it("reads string arrays and strings larger than its read buffer", async () => {
    // Strings cross every read-buffer boundary at some offset; one string is 3 MiB alone.
    const prefixes = ["", "Ġ", "Ġ▁", "Ġ▁😀", "▁😀x"];
    const many = Array.from({ length: 300_000 }, (_, i) => `${prefixes[i % 5]}${i.toString(36)}`);
    const huge = "ab".repeat(3 << 19);
    const metadata = new Map<string, GgufMetadataValue>([
      ["a.many", arr(T.STRING, many)],
      ["a.mixed", arr(T.STRING, ["x", huge, "", "y"])],
      ["a.after", arr(T.INT32, new Int32Array([7]))],
    ]);
    const path = join(dir, "strings.gguf");
    await writeGguf(path, metadata, []);
    const back = (await readGguf(path)).metadata;
    const items = (key: string) => ((back.get(key)?.value as GgufArray | undefined)?.items ?? []) as string[];
    expect(items("a.many").length).toBe(many.length);
    expect(items("a.many").findIndex((s, i) => s !== many[i])).toBe(-1); // no 300k-line diff
    expect(items("a.mixed")).toEqual(["x", huge, "", "y"]);
    expect(back.get("a.after")).toStrictEqual(metadata.get("a.after"));
  });

  it("reads a file with no tensors and no metadata", async () => {
    const path = join(dir, "empty.gguf");
    await writeGguf(path, new Map(), []);
    const file = await readGguf(path);
    expect(file.tensors).toEqual([]);
    expect(file.metadata.size).toBe(0);
    expect(file.fileSizeBytes).toBe(32);
  });

  it("reads only the header of a large (sparse) file", async () => {
    const path = join(dir, "big.gguf");
    await writeGguf(path, allValueTypes(), [tensor("big", "F32", [1, 1], 0)]);
    const bytes = await readFile(path);
    // Patch the tensor's dims (GGUF order) to 65536 x 16384 F32 = 4 GiB and extend the file.
    const nameAt = bytes.indexOf(Buffer.from("big"));
    bytes.writeBigUInt64LE(65536n, nameAt + 3 + 4 + 0);
    bytes.writeBigUInt64LE(16384n, nameAt + 3 + 4 + 8);
    await writeFile(path, bytes);
    await expect(readGguf(path)).rejects.toThrow(/runs past the end of the file/);
    // The file was header + 4 bytes of data; make the data section 4 GiB without writing it.
    await truncate(path, bytes.length - 4 + 4 * 2 ** 30);
    const file = await readGguf(path);
    expect(file.tensors[0]?.shape).toEqual([16384, 65536]);
    expect(file.tensors[0]?.sizeBytes).toBe(4 * 2 ** 30);
    await rm(path);
  });

  it("names the file for missing files, directories, v1 and big-endian files", async () => {
    const missing = join(dir, "nope.gguf");
    await expect(readGguf(missing)).rejects.toThrow(ModelFormatError);
    await expect(readGguf(missing)).rejects.toThrow(missing);
    const sub = join(dir, "sub");
    await mkdir(sub);
    await expect(readGguf(sub)).rejects.toThrow(ModelFormatError);
    const v1 = Buffer.alloc(64);
    v1.write("GGUF");
    v1.writeUInt32LE(1, 4);
    await writeFile(join(dir, "v1.gguf"), v1);
    await expect(readGguf(join(dir, "v1.gguf"))).rejects.toThrow("GGUF v1 is not supported");
    v1.writeUInt32BE(3, 4);
    await writeFile(join(dir, "be.gguf"), v1);
    await expect(readGguf(join(dir, "be.gguf"))).rejects.toThrow(/big-endian/);
  });
});
