import { beforeAll, describe, expect, it } from "vitest";
import { TokenFlag, type TokenizerInfo, tokenizerInfoFromVocab } from "../model/tokenizer-info.js";
import { vocabFromTokenizerJson } from "../model/vocab.js";
import { loadPackagedTokenizer } from "../model/vocab-sources.js";
import type { CompiledGrammar } from "./compiled-grammar.js";
import type { DpdaMaskWalker } from "./dpda-mask.js";
import { grammarFromJsonSchema } from "./front-ends.js";
import { GrammarCompiler } from "./grammar-compiler.js";
import { GrammarMatcher } from "./grammar-matcher.js";
import {
  ANY_ESCAPE_BODY,
  bodyNeeds,
  CANONICAL_ESCAPE_BODY,
  CODE_POINT_BODY,
  nextQuoteNodes,
} from "./string-body-slice.js";
import { rng } from "./test-grammars.js";

/** Brute force: try every text token from a copy of the matcher (no trie, no cache, no slice). */
function oracle(info: TokenizerInfo, compiled: CompiledGrammar, prefix: number[]): Int32Array {
  const mask = new Int32Array((info.vocabSize + 31) >> 5);
  const m = new GrammarMatcher(compiled);
  for (const id of prefix) m.acceptToken(id);
  for (let id = 0; id < info.vocabSize; id++) {
    const flags = info.tokenFlags[id] ?? 0;
    let ok = false;
    if (flags & TokenFlag.EOG) ok = m.isCompleted();
    else if (m.acceptToken(id)) {
      ok = true;
      m.rollback(1);
    }
    if (ok) mask[id >> 5] = (mask[id >> 5] as number) | (1 << (id & 31));
  }
  return mask;
}

const walkerOf = (c: CompiledGrammar) => (c as unknown as { walker: DpdaMaskWalker }).walker;

describe("string-body slices, Llama-3 vocabulary", () => {
  let info: TokenizerInfo;
  let compiler: GrammarCompiler;

  beforeAll(async () => {
    const pkg = await loadPackagedTokenizer("llama3");
    info = tokenizerInfoFromVocab(vocabFromTokenizerJson(pkg.tokenizerJson, pkg.tokenizerConfig));
    compiler = new GrammarCompiler(info);
  }, 60_000);

  it("body automata accept exactly the JSON string bodies they name", () => {
    const run = (a: typeof ANY_ESCAPE_BODY, text: string) => {
      let q = 0;
      for (const b of new TextEncoder().encode(text)) {
        q = a.next[q * 256 + b] as number;
        if (q < 0) return false;
      }
      return q === 0;
    };
    for (const body of ["abc", "é😀", "\\n\\u00e9\\\\", "\\/"]) expect(run(ANY_ESCAPE_BODY, body)).toBe(true);
    for (const bad of ["\\x", "\\u12", "\u0001", '"']) expect(run(ANY_ESCAPE_BODY, bad)).toBe(false);
    expect(run(CANONICAL_ESCAPE_BODY, "\\u001f\\t")).toBe(true);
    for (const bad of ["\\/", "\\u00e9", "\\u0008"]) expect(run(CANONICAL_ESCAPE_BODY, bad)).toBe(false);
    for (const body of ["\\ud83d\\ude00", "\\u00e9\\/", "\\uD7FF\\uE000"])
      expect(run(CODE_POINT_BODY, body)).toBe(true);
    for (const bad of ["\\udc00", "\\ud83d", "\\ud83dx", "\\ud83d\\u0041"])
      expect(run(CODE_POINT_BODY, bad)).toBe(false);
  });

  it("counts the characters each token needs of a body", () => {
    const trie = compiler.trie;
    const needs = bodyNeeds(trie, CODE_POINT_BODY);
    const idOf = (text: string) => {
      const want = Buffer.from(text);
      for (let id = 0; id < info.vocabSize; id++)
        if (Buffer.from(info.bytes.subarray(info.offsets[id], info.offsets[id + 1])).equals(want)) return id;
      throw new Error(`no token ${text}`);
    };
    expect(needs[idOf("ab")]).toBe(2);
    expect(needs[idOf(" the")]).toBe(4);
    expect(needs[idOf("é")]).toBe(1);
    expect(needs[idOf("\\n")]).toBe(1);
    expect(needs[idOf(".\\")]).toBe(2); // the escape started counts as a character
    expect(needs[idOf('"')]).toBe(255);
  });

  it("finds, from every trie node, the next subtree holding a quote", () => {
    const trie = compiler.trie;
    const next = nextQuoteNodes(trie);
    // Independently: quote edges counted in pre-order, so a subtree holds one when its range does.
    const quotesBefore = new Int32Array(trie.numNodes + 1);
    for (let n = 0; n < trie.numNodes; n++)
      quotesBefore[n + 1] = (quotesBefore[n] as number) + (n > 0 && trie.nodeByte[n] === 0x22 ? 1 : 0);
    const holds = (n: number) =>
      (quotesBefore[trie.subtreeEnd[n] as number] as number) - (quotesBefore[n] as number) > 0;
    let expected = trie.numNodes;
    let numHolding = 0;
    for (let n = trie.numNodes - 1; n >= 1; n--) {
      if (holds(n)) {
        expected = n;
        numHolding++;
      }
      if (next[n] !== expected) expect.fail(`node ${n}: ${next[n]}, expected ${expected}`);
    }
    // A few hundred of the 268k nodes: the walk of tokens holding a quote skips the rest.
    expect(numHolding).toBeGreaterThan(100);
    expect(numHolding).toBeLessThan(trie.numNodes / 100);
  });

  it("masks inside string values and open keys equal brute force, through the slice", () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, tags: { type: "array", items: { type: "string" } } },
      required: ["name"],
    };
    const compiled = compiler.compile(grammarFromJsonSchema(schema, { whitespace: "flexible" }).ast);
    expect(compiled.engine).toBe("dpda");
    const r = rng(3);
    const texts = [
      '{"name": "Zoë \\"q\\" \\u00e9 日本", "tags": ["a b", "c\\n"], "extra_key": {"k": "v"}}',
      '{"name":"x","tags":[],"zzz":"long string value with spaces"}',
    ];
    let compared = 0;
    for (const text of texts) {
      const skip = (last: boolean) => text !== texts[0] && r() > 0.35 && !last;
      compared += compareAtPrefixes(info, compiled, encodeGreedy(info, text), skip);
    }
    expect(compared).toBeGreaterThan(30);
    expect(walkerOf(compiled).numSliced).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("masks inside open keys sharing prefixes, nested, split inside characters, equal brute force", () => {
    // Declared names share prefixes and any other key is allowed: every key position is inside
    // a trie of names beside the open key body, the walker's checks are remembered across masks,
    // and byte-level tokens end contexts inside UTF-8 sequences.
    const inner = {
      type: "object",
      properties: {
        bookmark: { type: "integer" },
        bookmarkThumb: { type: "boolean" },
        lé: { type: "string" },
      },
    };
    const schema = {
      type: "object",
      properties: { book: inner, bookmarkThumbHeight: { type: "number" }, 日本: inner, b: { type: "null" } },
    };
    const texts = [
      '{"book": {"bookmark": 1, "bookmarkThumb": true, "lé": "ü", "bookmarkX": [1]}, "bookmarkThumbHeight": 2}',
      '{"日本": {"lé": "日本語", "bookmarkThumbs": {}, "é\\n": 0}, "bo": "x", "b": null, "bookmarkThumbHeigh": 1}',
      '{"booké": 1, "日": {"日本": 2}, "\\u0000b": 3, "book": {"l": false}}',
    ];
    const { compiled, compared } = compareTexts(info, compiler, schema, texts, {
      seed: 11,
      keep: 0.6,
      byBytes: 1,
    });
    expect(compared).toBeGreaterThan(40);
    expect(walkerOf(compiled).numSliced).toBeGreaterThanOrEqual(10);
  }, 300_000);

  it("masks inside strings with length bounds equal brute force, up to and at the bound", () => {
    // Counted strings take the slice less the tokens needing more characters than are left:
    // multi-byte characters, escapes and surrogate pairs count one each.
    const schema = {
      type: "object",
      properties: {
        a: { type: "string", maxLength: 4 },
        b: { type: "string", minLength: 2, maxLength: 9 },
        c: { type: "array", items: { type: "string", maxLength: 30 } },
      },
    };
    const texts = [
      '{"a": "日本é\\n", "b": "ab\\ud83d\\ude00c d", "c": ["New York City Hall", "x"]}',
      '{"b": "é\\u00e9 \\"q\\"", "a": "", "c": ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]}',
    ];
    const { compiled, compared } = compareTexts(info, compiler, schema, texts, {
      seed: 5,
      keep: 0.55,
      byBytes: 0,
    });
    expect(compared).toBeGreaterThan(25);
    expect(walkerOf(compiled).numCounted).toBeGreaterThanOrEqual(5);
  }, 300_000);

  it("masks inside strings whose bound lies beyond the counted range equal brute force", () => {
    // Bounds farther than a check counts: it proves a lower bound, the slice decides the tokens
    // that fit in it, and the walk decides the longer ones (runs of spaces, dashes, words).
    const schema = {
      type: "object",
      properties: {
        a: { type: "string", maxLength: 40 },
        b: { type: "array", items: { type: "string", minLength: 3, maxLength: 200 } },
      },
    };
    const long = "x".repeat(30);
    const texts = [
      `{"a": "New York City Hall ${"-".repeat(16)}", "b": ["${"=".repeat(20)} internationalization"]}`,
      `{"b": ["é\\u00e9 \\"q\\"                          done", "${long}"], "a": "${"ab".repeat(20)}"}`,
    ];
    const { compiled, compared } = compareTexts(info, compiler, schema, texts, {
      seed: 7,
      keep: 0.6,
      byBytes: 1,
    });
    expect(compared).toBeGreaterThan(25);
    expect(walkerOf(compiled).numAtLeast).toBeGreaterThanOrEqual(5);
  }, 300_000);
});

/**
 * Compiles `schema` (expecting the DPDA engine) and compares masks with brute force at sampled
 * prefixes of each text (whole texts always; each other prefix when a draw in [0, 1) exceeds `keep`).
 * Text number `byBytes` is tokenized with every non-ASCII byte a token of its own.
 */
function compareTexts(
  info: TokenizerInfo,
  compiler: GrammarCompiler,
  schema: unknown,
  texts: readonly string[],
  opts: { seed: number; keep: number; byBytes: number },
): { compiled: CompiledGrammar; compared: number } {
  const compiled = compiler.compile(grammarFromJsonSchema(schema, { whitespace: "flexible" }).ast);
  expect(compiled.engine).toBe("dpda");
  const r = rng(opts.seed);
  let compared = 0;
  for (const [k, text] of texts.entries()) {
    const ids = k === opts.byBytes ? encodeNonAsciiByBytes(info, text) : encodeGreedy(info, text);
    compared += compareAtPrefixes(info, compiled, ids, (last) => r() > opts.keep && !last);
  }
  return { compiled, compared };
}

/**
 * For each prefix `ids[0 .. n)` not skipped (`last`: the whole sequence), accepts it and
 * expects the mask to equal brute force; returns how many masks it compared.
 */
function compareAtPrefixes(
  info: TokenizerInfo,
  compiled: CompiledGrammar,
  ids: number[],
  skip: (last: boolean) => boolean,
): number {
  const mask = new Int32Array(compiled.wordsPerRow);
  let compared = 0;
  for (let n = 0; n <= ids.length; n++) {
    if (skip(n === ids.length)) continue;
    const m = new GrammarMatcher(compiled);
    for (const id of ids.slice(0, n)) expect(m.acceptToken(id)).toBe(true);
    m.fillNextTokenMask(mask, 0);
    expect(Array.from(mask)).toEqual(Array.from(oracle(info, compiled, ids.slice(0, n))));
    compared++;
  }
  return compared;
}

/** Like {@link encodeGreedy}, but every byte of a non-ASCII character is its own token. */
function encodeNonAsciiByBytes(info: TokenizerInfo, text: string): number[] {
  const single = new Map<number, number>();
  for (let id = 0; id < info.vocabSize; id++) {
    if ((info.tokenFlags[id] ?? 0) & (TokenFlag.SPECIAL | TokenFlag.UNUSED | TokenFlag.EOG)) continue;
    if ((info.offsets[id + 1] as number) - (info.offsets[id] as number) === 1)
      single.set(info.bytes[info.offsets[id] as number] as number, id);
  }
  const out: number[] = [];
  let ascii = "";
  for (const ch of text) {
    if ((ch.codePointAt(0) as number) < 0x80) {
      ascii += ch;
      continue;
    }
    if (ascii !== "") out.push(...encodeGreedy(info, ascii));
    ascii = "";
    for (const b of new TextEncoder().encode(ch)) out.push(single.get(b) as number);
  }
  if (ascii !== "") out.push(...encodeGreedy(info, ascii));
  return out;
}

/** Tokenizes by longest matching token bytes (any valid tokenization works for the walk). */
function encodeGreedy(info: TokenizerInfo, text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  const byKey = new Map<string, number>();
  for (let id = 0; id < info.vocabSize; id++) {
    if ((info.tokenFlags[id] ?? 0) & (TokenFlag.SPECIAL | TokenFlag.UNUSED | TokenFlag.EOG)) continue;
    const b = info.bytes.subarray(info.offsets[id], info.offsets[id + 1]);
    if (b.length > 0 && b.length <= 8) byKey.set(Buffer.from(b).toString("latin1"), id);
  }
  const out: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    let len = Math.min(8, bytes.length - at);
    for (; len > 0; len--) {
      const id = byKey.get(Buffer.from(bytes.subarray(at, at + len)).toString("latin1"));
      if (id !== undefined) {
        out.push(id);
        break;
      }
    }
    if (len === 0) throw new Error("untokenizable");
    at += len;
  }
  return out;
}
