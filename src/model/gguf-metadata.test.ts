import { describe, expect, it } from "vitest";
import { ModelFormatError } from "../errors.js";
import {
  metaBool,
  metaInteger,
  metaNumber,
  metaNumberArray,
  metaString,
  metaStringArray,
  requireMetaBool,
  requireMetaInteger,
  requireMetaNumber,
  requireMetaNumberArray,
  requireMetaString,
  requireMetaStringArray,
} from "./gguf-metadata.js";
import { type GgufFile, type GgufMetadata, GgufValueType as T } from "./gguf-types.js";

function fileWith(metadata: GgufMetadata): GgufFile {
  return {
    path: "/models/x.gguf",
    version: 3,
    metadata,
    tensors: [],
    alignmentBytes: 32,
    dataOffsetBytes: 64,
    fileSizeBytes: 64,
  };
}

const file = fileWith(
  new Map([
    ["s", { type: T.STRING, value: "llama" }],
    ["u32", { type: T.UINT32, value: 4096 }],
    ["f32", { type: T.FLOAT32, value: 0.5 }],
    ["u64", { type: T.UINT64, value: 32000n }],
    ["i64.big", { type: T.INT64, value: -(2n ** 60n) }],
    ["b", { type: T.BOOL, value: true }],
    ["tokens", { type: T.ARRAY, value: { itemType: T.STRING, items: ["a", "b"] } }],
    ["scores", { type: T.ARRAY, value: { itemType: T.FLOAT32, items: new Float32Array([1, 2]) } }],
    ["ids64", { type: T.ARRAY, value: { itemType: T.INT64, items: new BigInt64Array([1n, -2n]) } }],
    ["ids64.big", { type: T.ARRAY, value: { itemType: T.UINT64, items: new BigUint64Array([2n ** 63n]) } }],
    ["empty", { type: T.ARRAY, value: { itemType: T.ARRAY, items: [] } }],
    ["bools", { type: T.ARRAY, value: { itemType: T.BOOL, items: [true] } }],
  ]),
);

describe("gguf metadata accessors", () => {
  it("returns typed values and null for absent keys", () => {
    expect(metaString(file, "s")).toBe("llama");
    expect(metaNumber(file, "u32")).toBe(4096);
    expect(metaNumber(file, "f32")).toBe(0.5);
    expect(metaNumber(file, "u64")).toBe(32000);
    expect(metaInteger(file, "u64")).toBe(32000);
    expect(metaBool(file, "b")).toBe(true);
    expect(metaStringArray(file, "tokens")).toEqual(["a", "b"]);
    expect(metaNumberArray(file, "scores")).toEqual(new Float32Array([1, 2]));
    expect(metaNumberArray(file, "ids64")).toEqual(new Float64Array([1, -2]));
    expect(metaStringArray(file, "empty")).toEqual([]);
    expect(metaNumberArray(file, "empty")).toEqual(new Float64Array(0));
    for (const get of [metaString, metaNumber, metaInteger, metaBool, metaStringArray, metaNumberArray]) {
      expect(get(file, "absent")).toBeNull();
    }
  });

  it("requireMetaX throws ModelFormatError naming the file and key", () => {
    for (const get of [
      requireMetaString,
      requireMetaNumber,
      requireMetaInteger,
      requireMetaBool,
      requireMetaStringArray,
      requireMetaNumberArray,
    ]) {
      expect(() => get(file, "llama.block_count")).toThrow(ModelFormatError);
      expect(() => get(file, "llama.block_count")).toThrow(
        "/models/x.gguf: missing metadata key llama.block_count",
      );
    }
    expect(requireMetaString(file, "s")).toBe("llama");
    expect(requireMetaNumber(file, "u32")).toBe(4096);
  });

  it("wrong types name key, expected and actual type", () => {
    expect(() => metaString(file, "u32")).toThrow("metadata key u32: expected STRING, got UINT32");
    expect(() => metaNumber(file, "s")).toThrow("metadata key s: expected a number, got STRING");
    expect(() => metaBool(file, "tokens")).toThrow("expected BOOL, got ARRAY<STRING>");
    expect(() => metaStringArray(file, "scores")).toThrow("expected ARRAY<STRING>, got ARRAY<FLOAT32>");
    expect(() => metaNumberArray(file, "bools")).toThrow("got ARRAY<BOOL>");
    expect(() => metaNumberArray(file, "s")).toThrow("got STRING");
    expect(() => metaInteger(file, "f32")).toThrow("expected an integer");
    expect(() => metaNumber(file, "i64.big")).toThrow(ModelFormatError);
    expect(() => metaNumberArray(file, "ids64.big")).toThrow(ModelFormatError);
  });
});
