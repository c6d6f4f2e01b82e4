import { describe, expect, it } from "vitest";
import { hashText, MISSING, PairTable, TextTable } from "./tokenizer-lookup.js";

describe("TextTable", () => {
  const texts = ["a", "b", "ab", "", "▁the", "😀", "a b", "ab"];

  it("finds every text, the last index of a repeated one by default, the first when asked", () => {
    const last = new TextTable(texts);
    const first = new TextTable(texts, { keepFirst: true });
    texts.forEach((t, i) => {
      expect(last.get(t)).toBe(t === "ab" ? 7 : i);
      expect(first.get(t)).toBe(t === "ab" ? 2 : i);
    });
    expect(last.get("abc")).toBe(-1);
    expect(last.get("▁th")).toBe(-1);
    expect(new TextTable([]).get("")).toBe(-1);
  });

  it("finds a joined text from its parts' hashes without building it", () => {
    const table = new TextTable(texts);
    const id = (t: string) => table.get(t);
    const join = (a: string, b: string) => table.joinHash(hashText(a), hashText(b), b.length);
    expect(join("a", "b")).toBe(hashText("ab"));
    expect(table.joinHash(table.hashAt(id("a")), table.hashAt(id("b")), 1)).toBe(hashText("ab"));
    expect(table.find(join("a", "b"), "a", "b", "")).toBe(7);
    expect(table.find(hashText("a b"), "a", " ", "b")).toBe(6);
    expect(table.find(hashText("▁the"), "▁", "th", "e")).toBe(4);
    expect(table.find(join("b", "a"), "b", "a", "")).toBe(-1);
  });

  it("tells apart many texts whose hashes share slots", () => {
    const many = Array.from({ length: 5000 }, (_, i) => `t${i.toString(36)}`);
    const table = new TextTable(many);
    many.forEach((t, i) => {
      expect(table.get(t)).toBe(i);
    });
    expect(table.get("t")).toBe(-1);
  });
});

describe("PairTable", () => {
  it("maps pairs (negative ids too) and keeps the first value of a pair", () => {
    const pairs = new PairTable();
    expect(pairs.get(1, 2)).toBe(MISSING);
    pairs.setIfAbsent(1, 2, 0);
    pairs.setIfAbsent(1, 2, 5);
    pairs.setIfAbsent(2, 1, -1);
    pairs.setIfAbsent(-7, 0x7fffffff, 9);
    expect([pairs.get(1, 2), pairs.get(2, 1), pairs.get(-7, 0x7fffffff), pairs.get(0, 0)]).toEqual([
      0,
      -1,
      9,
      MISSING,
    ]);
    expect(pairs.size).toBe(3);
  });

  it("grows past its first room and empties on clear", () => {
    const pairs = new PairTable(4);
    for (let i = 0; i < 10_000; i++) pairs.setIfAbsent(i, i * 31, i - 5000);
    expect(pairs.size).toBe(10_000);
    for (let i = 0; i < 10_000; i += 97) expect(pairs.get(i, i * 31)).toBe(i - 5000);
    expect(pairs.get(5, 5)).toBe(MISSING);
    pairs.clear();
    expect(pairs.size).toBe(0);
    expect(pairs.get(1, 31)).toBe(MISSING);
  });
});
