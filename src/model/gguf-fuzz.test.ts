/**
 * Robustness of readGguf against truncated, randomly mutated and deliberately corrupted files:
 * every outcome must be a successful parse or a ModelFormatError naming the file.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError } from "../errors.js";
import { prngU32 as prng } from "../test-support/prng.js";
import { type GgmlTypeInfo, ggmlTypeByName } from "./ggml-types.js";
import { readGguf } from "./gguf-reader.js";
import {
  type GgufArray,
  type GgufMetadata,
  type GgufMetadataValue,
  GgufValueType as T,
} from "./gguf-types.js";
import { writeGguf } from "./gguf-writer.js";
import { decodeTensor, encodeTensor, readTensorBytes } from "./tensor-codec.js";
import { numElements } from "./tensor-ref.js";

const type = (name: string): GgmlTypeInfo => ggmlTypeByName(name) ?? (undefined as never);

function baseMetadata(): GgufMetadata {
  const tokens = Array.from({ length: 16 }, (_, i) => `tok${i}`);
  return new Map<string, GgufMetadataValue>([
    ["general.architecture", { type: T.STRING, value: "llama" }],
    ["general.alignment", { type: T.UINT32, value: 32 }],
    ["llama.block_count", { type: T.UINT32, value: 2 }],
    ["llama.rope.freq_base", { type: T.FLOAT32, value: 10000 }],
    ["some.i64", { type: T.INT64, value: -5n }],
    ["some.flag", { type: T.BOOL, value: true }],
    ["dup.key.a", { type: T.UINT8, value: 1 }],
    ["dup.key.b", { type: T.UINT8, value: 2 }],
    ["tokenizer.ggml.tokens", { type: T.ARRAY, value: { itemType: T.STRING, items: tokens } }],
    [
      "tokenizer.ggml.scores",
      { type: T.ARRAY, value: { itemType: T.FLOAT32, items: new Float32Array(16).fill(-1) } },
    ],
    [
      "nested.strings",
      {
        type: T.ARRAY,
        value: { itemType: T.ARRAY, items: [{ itemType: T.STRING, items: ["x", "yz"] }] },
      },
    ],
  ]);
}

function baseTensor(name: string, dtype: "F32" | "F16" | "Q8_0", shape: number[]) {
  const values = new Float32Array(numElements(shape)).map((_, i) => Math.cos(i));
  return { name, type: type(dtype), shape, data: () => encodeTensor(values, dtype) };
}

const EXTREMES_64 = [
  0n,
  1n,
  0xffn,
  0x7fffffffn,
  0xffffffffn,
  2n ** 32n,
  2n ** 53n + 1n,
  2n ** 63n,
  2n ** 64n - 1n,
];

describe("readGguf fuzz", () => {
  let dir = "";
  let path = "";
  let base = Buffer.alloc(0);
  let headerEnd = 0;
  let parsed = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gguf-fuzz-"));
    path = join(dir, "fuzz.gguf");
    const tensors = [
      baseTensor("tensor.alpha", "F32", [2, 8]),
      baseTensor("tensor.beta", "F16", [4, 8]),
      baseTensor("tensor.gamma", "Q8_0", [1, 32]),
      { name: "tensor.kappa", type: type("Q4_K"), shape: [1, 256], data: () => new Uint8Array(144) },
    ];
    await writeGguf(path, baseMetadata(), tensors);
    base = await readFile(path);
    headerEnd = (await readGguf(path)).dataOffsetBytes;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Parses `bytes`; returns "ok" or the ModelFormatError's message, failing on anything else. */
  async function attempt(bytes: Uint8Array, label: string): Promise<string> {
    await writeFile(path, bytes);
    parsed++;
    try {
      const file = await readGguf(path);
      for (const ref of file.tensors) {
        const data = await readTensorBytes(ref);
        if (ref.type.supported) decodeTensor(data, ref.type, numElements(ref.shape));
      }
      return "ok";
    } catch (err) {
      if (!(err instanceof ModelFormatError) || !err.message.includes(path)) {
        throw new Error(`${label}: unexpected ${String(err)}`, { cause: err });
      }
      // Only I/O errors (with an errno code) may be wrapped; a wrapped RangeError is a reader bug.
      const cause = err.cause as { code?: unknown } | undefined;
      if (cause !== undefined && cause.code === undefined) {
        throw new Error(`${label}: reader bug surfaced as ${err.message}`, { cause: err });
      }
      return err.message;
    }
  }

  function fieldOfKey(key: string): number {
    const at = base.indexOf(Buffer.from(key));
    expect(at).toBeGreaterThan(0);
    return at - 8; // the u64 length before the key
  }

  /** Offsets of one tensor info's fields. */
  function tensorFields(name: string) {
    const nameAt = base.indexOf(Buffer.from(name));
    const nDimsAt = nameAt + name.length;
    const nDims = base.readUInt32LE(nDimsAt);
    const typeAt = nDimsAt + 4 + 8 * nDims;
    return { lenAt: nameAt - 8, nDimsAt, dimsAt: nDimsAt + 4, typeAt, offsetAt: typeAt + 4 };
  }

  function patched(edit: (b: Buffer) => void): Buffer {
    const b = Buffer.from(base);
    edit(b);
    return b;
  }

  it("parses the unmodified file", async () => {
    expect(await attempt(base, "base")).toBe("ok");
  });

  it("rejects every truncation of the header and random truncations of the data", async () => {
    for (let len = 0; len < headerEnd; len++) {
      expect(await attempt(base.subarray(0, len), `truncate ${len}`)).toMatch(
        /end of file|larger than|cannot fit|past the end/,
      );
    }
    const next = prng(42);
    for (let i = 0; i < 300; i++) {
      const len = next() % base.length;
      expect(await attempt(base.subarray(0, len), `truncate ${len}`)).not.toBe("ok");
    }
  });

  it("survives thousands of random byte and field mutations", async () => {
    const next = prng(20251);
    let ok = 0;
    for (let i = 0; i < 2500; i++) {
      const b = Buffer.from(base);
      const edits = 1 + (next() % 3);
      for (let e = 0; e < edits; e++) {
        const limit = next() % 100 < 85 ? headerEnd : b.length;
        const at = next() % limit;
        const kind = next() % 4;
        if (kind === 0) b[at] = (b[at] ?? 0) ^ (1 << (next() % 8));
        else if (kind === 1) b[at] = next() & 0xff;
        else if (kind === 2 && at + 8 <= b.length) {
          b.writeBigUInt64LE(EXTREMES_64[next() % EXTREMES_64.length] ?? 0n, at);
        } else if (at + 4 <= b.length)
          b.writeUInt32LE(Number((EXTREMES_64[next() % 5] ?? 0n) & 0xffffffffn), at);
      }
      if ((await attempt(b, `mutation ${i}`)) === "ok") ok++;
    }
    expect(ok).toBeGreaterThan(0); // some mutations only change values
  });

  it("rejects targeted corruptions with clear messages", async () => {
    const alpha = tensorFields("tensor.alpha");
    const beta = tensorFields("tensor.beta");
    const tokens = fieldOfKey("tokenizer.ggml.tokens");
    const tokensArray = tokens + 8 + "tokenizer.ggml.tokens".length + 4;
    const flag = fieldOfKey("some.flag") + 8 + "some.flag".length;
    const cases: [string, (b: Buffer) => void, RegExp][] = [
      ["bad magic", (b) => b.write("GGUX", 0), /not a GGUF file/],
      ["version 1", (b) => b.writeUInt32LE(1, 4), /GGUF v1 is not supported/],
      ["version 4", (b) => b.writeUInt32LE(4, 4), /unsupported GGUF version 4/],
      ["big-endian", (b) => b.writeUInt32BE(3, 4), /big-endian/],
      ["huge n_tensors", (b) => b.writeBigUInt64LE(2n ** 63n, 8), /tensor count .* larger than/],
      ["huge n_kv", (b) => b.writeBigUInt64LE(2n ** 64n - 1n, 16), /metadata count .* larger than/],
      [
        "n_kv + n_tensors too big",
        (b) => b.writeBigUInt64LE(BigInt(Math.floor((b.length - 24) / 13)), 16),
        /cannot fit/,
      ],
      ["huge key length", (b) => b.writeBigUInt64LE(2n ** 62n, 24), /length .* larger than/],
      [
        "huge array count",
        (b) => b.writeBigUInt64LE(2n ** 40n, tokensArray + 4),
        /item count .* larger than/,
      ],
      ["unknown value type", (b) => b.writeUInt32LE(99, tokens + 8 + 21), /unknown value type 99/],
      ["unknown array item type", (b) => b.writeUInt32LE(13, tokensArray), /unknown value type 13/],
      ["bool value 2", (b) => b.writeUInt8(2, flag + 4), /invalid bool value 2/],
      [
        "duplicate key",
        (b) => b.write("dup.key.a", fieldOfKey("dup.key.b") + 8),
        /duplicate metadata key dup.key.a/,
      ],
      [
        "duplicate tensor",
        (b) => b.write("tensor.alpha", tensorFields("tensor.gamma").lenAt + 8),
        /duplicate tensor/,
      ],
      ["n_dims 0", (b) => b.writeUInt32LE(0, alpha.nDimsAt), /n_dims 0 is not in 1..4/],
      ["n_dims 99", (b) => b.writeUInt32LE(99, alpha.nDimsAt), /n_dims 99/],
      ["dim 0", (b) => b.writeBigUInt64LE(0n, alpha.dimsAt), /dim 0 is 0/],
      ["dims overflow", (b) => b.writeBigUInt64LE(2n ** 60n, alpha.dimsAt + 8), /element count overflows/],
      ["dims too big", (b) => b.writeBigUInt64LE(2n ** 40n, alpha.dimsAt + 8), /runs past the end/],
      ["row not whole blocks", (b) => b.writeUInt32LE(8, alpha.typeAt), /not a whole number of Q8_0 blocks/],
      ["unknown ggml type", (b) => b.writeUInt32LE(99, alpha.typeAt), /unknown GGML type id 99/],
      ["removed ggml type 4", (b) => b.writeUInt32LE(4, alpha.typeAt), /unknown GGML type id 4/],
      ["misaligned offset", (b) => b.writeBigUInt64LE(1n, beta.offsetAt), /offset 1 is not a multiple/],
      ["offset outside file", (b) => b.writeBigUInt64LE(2n ** 40n, beta.offsetAt), /beyond the end/],
      [
        "offset near the end",
        (b) => b.writeBigUInt64LE(BigInt(Math.floor((b.length - headerEnd) / 32) * 32), beta.offsetAt),
        /runs past the end/,
      ],
      [
        "offset 2^63",
        (b) => b.writeBigUInt64LE(2n ** 63n, beta.offsetAt),
        /offset 9223372036854775808 is beyond/,
      ],
      ["overlapping tensors", (b) => b.writeBigUInt64LE(0n, beta.offsetAt), /overlap/],
      [
        "alignment 24",
        (b) => b.writeUInt32LE(24, fieldOfKey("general.alignment") + 8 + 17 + 4),
        /power of two/,
      ],
      [
        "alignment 0",
        (b) => b.writeUInt32LE(0, fieldOfKey("general.alignment") + 8 + 17 + 4),
        /power of two/,
      ],
    ];
    for (const [label, edit, message] of cases) {
      expect(await attempt(patched(edit), label), label).toMatch(message);
    }
  });

  it("rejects arrays nested too deeply", async () => {
    let value: GgufArray = { itemType: T.STRING, items: ["deep"] };
    for (let i = 0; i < 12; i++) value = { itemType: T.ARRAY, items: [value] };
    await writeGguf(path, new Map([["deep", { type: T.ARRAY, value }]]), []);
    expect(await attempt(await readFile(path), "deep")).toMatch(/nested deeper/);
    expect(parsed).toBeGreaterThan(2500);
  });
});
