import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, ModelFormatError } from "../errors.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";
import { readTensorBytes } from "./tensor-codec.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenflow-st-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

const SAMPLE = [
  { name: "a.weight", dtype: "F32" as const, shape: [3, 4], data: () => bytes(48, 1) },
  { name: "b.bias", dtype: "F16" as const, shape: [5], data: () => bytes(10, 2) },
  { name: "c", dtype: "BF16" as const, shape: [2, 1, 3], data: () => bytes(12, 3) },
  { name: "empty", dtype: "F32" as const, shape: [0, 7], data: () => new Uint8Array(0) },
];

/** Writes a raw safetensors file from a header object (or string) and a data section. */
async function writeRaw(
  name: string,
  header: unknown,
  data: Uint8Array,
  lengthOverride?: bigint,
): Promise<string> {
  const json = Buffer.isBuffer(header)
    ? header
    : Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([prefix, json, data]));
  return path;
}

async function expectFormatError(path: string, pattern?: RegExp): Promise<void> {
  const err = await readSafetensors(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelFormatError);
  expect((err as ModelFormatError).file).toBe(path);
  expect((err as Error).message).toContain(path);
  if (pattern) expect((err as Error).message).toMatch(pattern);
}

describe("safetensors", () => {
  it("round-trips tensors and metadata, with an 8-byte aligned space-padded header", async () => {
    const path = join(dir, "rt.safetensors");
    await writeSafetensors(path, SAMPLE, { format: "pt", note: "ü" });
    const raw = await readFile(path);
    const n = Number(raw.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    expect(raw.subarray(8, 8 + n).toString("utf8")).toMatch(/} *$/);
    const file = await readSafetensors(path);
    expect(file.metadata).toEqual({ format: "pt", note: "ü" });
    expect(file.tensors.map((t) => [t.name, t.type.name, t.shape])).toEqual(
      SAMPLE.map((t) => [t.name, t.dtype, t.shape]),
    );
    for (const [i, t] of file.tensors.entries()) {
      expect(t.file).toBe(path);
      expect(t.offsetBytes % 1).toBe(0);
      expect(await readTensorBytes(t)).toEqual(SAMPLE[i]?.data());
    }
  });

  it("refuses bad writes", async () => {
    const path = join(dir, "bad-write.safetensors");
    const bad = [{ name: "x", dtype: "F32" as const, shape: [2], data: () => new Uint8Array(7) }];
    await expect(writeSafetensors(path, bad)).rejects.toBeInstanceOf(InvalidArgumentError);
    const dup = [SAMPLE[1], SAMPLE[1]].filter((t) => t !== undefined);
    await expect(writeSafetensors(path, dup)).rejects.toBeInstanceOf(InvalidArgumentError);
    const q = [{ name: "q", dtype: "Q8_0" as "F32", shape: [32], data: () => new Uint8Array(34) }];
    await expect(writeSafetensors(path, q)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("fails clearly on every truncation", async () => {
    const good = join(dir, "trunc-src.safetensors");
    await writeSafetensors(good, SAMPLE, { format: "pt" });
    const full = await readFile(good);
    for (let len = 0; len < full.length; len++) {
      const path = join(dir, "trunc.safetensors");
      await writeFile(path, full.subarray(0, len));
      await expectFormatError(path);
    }
  });

  it("survives random byte flips: either valid or a ModelFormatError naming the file", async () => {
    const good = join(dir, "flip-src.safetensors");
    await writeSafetensors(good, SAMPLE, { format: "pt" });
    const full = await readFile(good);
    const headerEnd = 8 + Number(full.readBigUInt64LE(0));
    const rand = bytes(3000, 42);
    for (let i = 0; i < 1000; i++) {
      const copy = Buffer.from(full);
      const pos = ((rand[i * 3] ?? 0) * 256 + (rand[i * 3 + 1] ?? 0)) % headerEnd;
      copy[pos] = (copy[pos] ?? 0) ^ (1 << ((rand[i * 3 + 2] ?? 0) % 8));
      const path = join(dir, "flip.safetensors");
      await writeFile(path, copy);
      const err = await readSafetensors(path).then(
        () => null,
        (e: unknown) => e,
      );
      if (err !== null) {
        expect(err).toBeInstanceOf(ModelFormatError);
        expect((err as ModelFormatError).file).toBe(path);
      }
    }
  });

  const entry = (dtype: string, shape: unknown, offsets: unknown) => ({
    dtype,
    shape,
    data_offsets: offsets,
  });

  it.each([
    ["invalid JSON", "{not json", /not valid JSON/],
    ["non-object header", "[1, 2]", /does not start with '\{'|not a JSON object/],
    ["unknown dtype", { t: entry("F13", [2], [0, 8]) }, /unknown dtype "F13"/],
    ["unsupported dtype", { t: entry("I64", [1], [0, 8]) }, /dtype I64 is not supported/],
    ["size mismatch", { t: entry("F32", [3], [0, 8]) }, /needs 12/],
    ["offsets past the end", { t: entry("F32", [4], [0, 16]) }, /outside the 8-byte data section/],
    ["reversed offsets", { t: entry("F32", [0], [8, 4]) }, /outside/],
    ["overlap", { a: entry("F32", [2], [0, 8]), b: entry("F16", [2], [4, 8]) }, /overlap/],
    ["negative dim", { t: entry("F32", [-2], [0, 8]) }, /shape/],
    ["fractional offset", { t: entry("F32", [2], [0.5, 8.5]) }, /data_offsets/],
    ["huge shape", { t: entry("F32", [2 ** 30, 2 ** 30, 2 ** 30], [0, 8]) }, /too large/],
    ["entry not an object", { t: 5 }, /not an object/],
    ["metadata value not a string", { __metadata__: { a: 1 } }, /__metadata__\.a/],
  ])("rejects %s", async (_label, header, pattern) => {
    await expectFormatError(await writeRaw("corrupt.safetensors", header, new Uint8Array(8)), pattern);
  });

  it("bounds-checks the header length before allocating", async () => {
    await expectFormatError(
      await writeRaw("huge.safetensors", "{}", new Uint8Array(0), 2n ** 63n),
      /exceeds/,
    );
    await expectFormatError(
      await writeRaw("past.safetensors", "{}", new Uint8Array(0), 1000n),
      /past the end/,
    );
    await expectFormatError(
      await writeRaw("utf8.safetensors", Buffer.from([0x7b, 0xff, 0x7d]), new Uint8Array(0)),
      /UTF-8/,
    );
  });

  it("accepts an empty header", async () => {
    const file = await readSafetensors(await writeRaw("empty.safetensors", "{}      ", new Uint8Array(0)));
    expect(file).toEqual({ tensors: [], metadata: {} });
  });
});
