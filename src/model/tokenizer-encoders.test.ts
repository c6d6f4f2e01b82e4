/**
 * The id-based SPM and BPE encoders against the plain text algorithm (mergeSymbols over
 * strings, as llama.cpp does it) on small made-up vocabularies, including the irregular ones
 * that make the encoders leave their fast paths: tokens with `▁` inside, characters that are no
 * token but merge, duplicate tokens and merges, merges that make non-tokens, missing bytes.
 */
import { describe, expect, it } from "vitest";
import { prngUnit as rng } from "../test-support/prng.js";
import { BpeEncoder } from "./tokenizer-bpe.js";
import { TextTable } from "./tokenizer-lookup.js";
import { mergeSymbols } from "./tokenizer-merge.js";
import { BYTE_TO_UNICODE, type PreTokenizer } from "./tokenizer-pre.js";
import { SpmEncoder } from "./tokenizer-spm.js";

function randomTexts(alphabet: readonly string[], count: number, seed: number): string[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => {
    const n = Math.floor(next() * 40);
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    return s;
  });
}

const tokenToIdOf = (tokens: readonly string[]) => new Map(tokens.map((t, id) => [t, id]));
const utf8 = new TextEncoder();

/** SPM as llama.cpp's llm_tokenizer_spm, merging strings. */
function spmOracle(tokens: string[], scores: Float32Array, unkId: number | null, text: string): number[] {
  const ids = tokenToIdOf(tokens);
  const symbols = mergeSymbols(Array.from(text), (a, b) => {
    const id = ids.get(a + b);
    return id === undefined ? null : -(scores[id] ?? 0);
  });
  const out: number[] = [];
  for (const s of symbols) {
    const id = ids.get(s);
    if (id !== undefined) out.push(id);
    else
      for (const b of utf8.encode(s)) {
        const hex = `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
        const byteId = ids.get(hex) ?? ids.get(String.fromCharCode(b));
        out.push(byteId ?? (unkId as number));
      }
  }
  return out;
}

function spmVocab(extra: string[], seed: number): { tokens: string[]; scores: Float32Array } {
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  const words = [
    "<unk>",
    "▁",
    "a",
    "b",
    "c",
    "▁a",
    "ab",
    "▁ab",
    "ba",
    "▁▁",
    "abc",
    "▁c",
    "cc",
    "q",
    ...extra,
  ];
  const tokens = [...words, ...bytes];
  const next = rng(seed);
  // Few distinct scores, so that ties (leftmost first) matter.
  const scores = Float32Array.from(tokens, () => Math.floor(next() * 4));
  return { tokens, scores };
}

describe("SpmEncoder matches the text algorithm", () => {
  const alphabet = ["a", "b", "c", "▁", "▁", "z", "q", "é", "😀", "\uD800", "\uDC00", "中"];
  const cases: [string, string[]][] = [
    ["word by word (no token has ▁ after another character)", []],
    ["whole fragments (a token has ▁ inside)", ["a▁b", "c▁"]],
    ["non-token characters that merge, astral too", ["zq", "qz", "😀a", "z😀"]],
    ["non-token characters that merge, whole fragments", ["zq", "😀a", "é▁", "▁z▁"]],
    ["duplicate tokens (the last id wins)", ["ab", "▁a", "ab"]],
  ];
  for (const [name, extra] of cases) {
    it(name, () => {
      const { tokens, scores } = spmVocab(extra, name.length);
      const encoder = new SpmEncoder(tokens, new TextTable(tokens), scores, 0);
      for (const text of [...randomTexts(alphabet, 400, 7), ...randomTexts(alphabet, 100, 7)]) {
        const out: number[] = [];
        encoder.encode(text, out);
        expect(out, JSON.stringify(text)).toEqual(spmOracle(tokens, scores, 0, text));
      }
    });
  }

  it("a fragment longer than the merger keeps room for, then short ones again", () => {
    const { tokens, scores } = spmVocab(["a▁b"], 3);
    const encoder = new SpmEncoder(tokens, new TextTable(tokens), scores, 0);
    const long = randomTexts(alphabet, 3000, 5).join("▁");
    expect(long.length).toBeGreaterThan(1 << 16);
    for (const text of [long, "▁ab▁a", long.slice(0, 999)]) {
      const out: number[] = [];
      encoder.encode(text, out);
      expect(out).toEqual(spmOracle(tokens, scores, 0, text));
    }
  });
});

/** Byte-level BPE as llama.cpp's llm_tokenizer_bpe, merging strings (the words: \S+|\s+). */
function bpeOracle(tokens: string[], merges: string[], ignoreMerges: boolean, text: string): number[] {
  const ids = tokenToIdOf(tokens);
  const ranks = new Map<string, number>();
  merges.forEach((m, rank) => {
    if (!ranks.has(m)) ranks.set(m, rank);
  });
  const out: number[] = [];
  for (const [word] of text.matchAll(/\S+|\s+/gu)) {
    const mapped = Array.from(utf8.encode(word), (b) => BYTE_TO_UNICODE[b] as string);
    const whole = ids.get(mapped.join(""));
    if (ignoreMerges && whole !== undefined) {
      out.push(whole);
      continue;
    }
    for (const s of mergeSymbols(mapped, (a, b) => ranks.get(`${a} ${b}`) ?? null)) {
      const id = ids.get(s);
      if (id !== undefined) out.push(id);
      else for (const ch of s) if (ids.has(ch)) out.push(ids.get(ch) as number);
    }
  }
  return out;
}

/** Byte characters, then random merges of tokens in rank order (their results added as tokens). */
function bpeVocab(seed: number, numMerges: number): { tokens: string[]; merges: string[] } {
  const next = rng(seed);
  const tokens = [...BYTE_TO_UNICODE];
  const common = ["a", "b", "c", "Ġ", "Ã", "©", "ä", "¸"];
  const merges: string[] = [];
  const pool = [...common];
  for (let i = 0; i < numMerges; i++) {
    const a = pool[Math.floor(next() * pool.length)] as string;
    const b = pool[Math.floor(next() * pool.length)] as string;
    merges.push(`${a} ${b}`);
    if (!tokens.includes(a + b)) tokens.push(a + b);
    pool.push(a + b);
  }
  return { tokens, merges };
}

const words: PreTokenizer = { name: "test", regex: /\S+|\s+/gu, ignoreMerges: false };

describe("BpeEncoder matches the text algorithm", () => {
  const alphabet = ["a", "b", "c", " ", "é", "中", "😀", "ab", "cab"];
  const check = (tokens: string[], merges: string[], ignoreMerges: boolean) => {
    const encoder = new BpeEncoder(tokens, new TextTable(tokens), merges, { ...words, ignoreMerges });
    for (const text of randomTexts(alphabet, 300, 11)) {
      const out: number[] = [];
      encoder.encode(text, out);
      expect(out, JSON.stringify(text)).toEqual(bpeOracle(tokens, merges, ignoreMerges, text));
    }
  };

  it("on a regular vocabulary, with and without ignore_merges", () => {
    const { tokens, merges } = bpeVocab(1, 60);
    check(tokens, merges, false);
    check(tokens, merges, true);
  });

  it("with duplicate merges, merges of non-tokens and malformed merges", () => {
    const { tokens, merges } = bpeVocab(2, 60);
    const odd = ["a b", "x y", "abc", "a b c", " a", "a ", "Ġ Ġ", "ab c"];
    check([...tokens, "ab", "x", "abc", "ĠĠ"], [...odd, ...merges, ...odd], false);
  });

  it("when a merge makes a non-token (the text fallback)", () => {
    const { tokens, merges } = bpeVocab(3, 60);
    const made = merges[5]?.replace(" ", "") as string;
    check(
      tokens.filter((t) => t !== made),
      merges,
      false,
    );
  });

  it("when a byte has no token (the text path from the start)", () => {
    const { tokens, merges } = bpeVocab(4, 40);
    check(
      tokens.filter((t) => t !== "a"),
      merges,
      false,
    );
  });
});
