import { describe, expect, it } from "vitest";
import type { VocabName } from "../model/presets.js";
import { type Tokenizer, tokenizerFromTokenizerJson } from "../model/tokenizer.js";
import { loadPackagedTokenizer } from "../model/vocab-sources.js";
import { sharedPath } from "../test-support/shared-data.js";
import { exactTextPrompt, ordinaryIds, PromptFactory } from "./exact-prompts.js";
import { SeededRandom } from "./seeded-random.js";

const cache = new Map<VocabName, Tokenizer>();
async function tokenizer(name: VocabName): Promise<Tokenizer> {
  let t = cache.get(name);
  if (!t) {
    const p = await loadPackagedTokenizer(name);
    t = tokenizerFromTokenizerJson(p.tokenizerJson, p.tokenizerConfig);
    cache.set(name, t);
  }
  return t;
}

const LENGTHS = [1, 2, 3, 17, 128, 515];
const sharegpt = sharedPath("data/prompts/sharegpt-v3-filtered-1000.json");

describe("synthetic token-id prompts", () => {
  it("have exactly the requested length, from ordinary ids only, reproducibly", async () => {
    const f = await PromptFactory.create({
      source: { kind: "synthetic" },
      tokenizer: null,
      vocabSize: 512,
      textPrompts: false,
    });
    for (const n of LENGTHS) {
      const p = f.build(n, new SeededRandom(n));
      expect(p.tokens).toHaveLength(n);
      expect(p.text).toBeNull();
      expect(p.tokens.every((id) => id >= 3 && id < 512)).toBe(true);
      expect(f.build(n, new SeededRandom(n)).tokens).toEqual(p.tokens);
    }
    expect(ordinaryIds(200_000, null).at(-1)).toBe(31_999);
  });

  it("skip special and end-of-generation ids when the tokenizer is known", async () => {
    const tok = await tokenizer("llama3");
    const ids = new Set(ordinaryIds(tok.vocabSize, tok));
    expect(ids.has(tok.eosId as number)).toBe(false);
    expect(ids.has(tok.bosId as number)).toBe(false);
    expect(ids.has(1000)).toBe(true);
  });
});

describe.each(["llama2", "llama3"] as const)("prompts cut from text with the %s tokenizer", (name) => {
  it("token-id prompts start with BOS and have exactly N tokens", async () => {
    const tok = await tokenizer(name);
    const f = await PromptFactory.create({
      source: { kind: "synthetic" },
      tokenizer: tok,
      vocabSize: tok.vocabSize,
      textPrompts: false,
    });
    for (const n of LENGTHS) {
      const p = f.build(n, new SeededRandom(1));
      expect(p.tokens).toHaveLength(n);
      expect(p.tokens[0]).toBe(tok.bosId);
    }
  });

  it("text prompts re-tokenize (with BOS) to exactly N tokens", async () => {
    const tok = await tokenizer(name);
    const f = await PromptFactory.create({
      source: { kind: "synthetic" },
      tokenizer: tok,
      vocabSize: tok.vocabSize,
      textPrompts: true,
    });
    const rng = new SeededRandom(4);
    for (const n of LENGTHS) {
      const p = f.build(n, rng);
      expect(tok.encode(p.text as string, { addBos: true }), `n=${n}`).toHaveLength(n);
      expect(p.tokens).toEqual(tok.encode(p.text as string, { addBos: true }));
    }
  });

  it.skipIf(!sharegpt)("text prompts cut from ShareGPT re-tokenize to exactly N tokens", async () => {
    const tok = await tokenizer(name);
    const f = await PromptFactory.create({
      source: { kind: "texts", path: sharegpt as string },
      tokenizer: tok,
      vocabSize: tok.vocabSize,
      textPrompts: true,
    });
    const rng = new SeededRandom(8);
    for (let i = 0; i < 40; i++) {
      const n = 1 + Math.floor(rng.next() * 1500);
      const p = f.build(n, rng);
      expect(tok.encode(p.text as string, { addBos: true }).length, `n=${n}`).toBe(n);
    }
  });
});

describe("exactTextPrompt", () => {
  it("adjusts the cut when decoding and re-encoding changes the count", async () => {
    const tok = await tokenizer("llama3");
    // Single-character pieces that merge back into longer tokens when re-encoded.
    const chars = [..."the quick brown fox jumps over the lazy dog"].flatMap((c) => tok.encode(c));
    expect(tok.encode(tok.decode(chars)).length).toBeLessThan(chars.length / 2);
    const text = exactTextPrompt(tok, chars, 6);
    expect(tok.encode(text, { addBos: true })).toHaveLength(6);
  });

  it("refuses ShareGPT or text prompts without a tokenizer", async () => {
    await expect(
      PromptFactory.create({
        source: { kind: "synthetic" },
        tokenizer: null,
        vocabSize: 100,
        textPrompts: true,
      }),
    ).rejects.toThrow(/need a tokenizer/);
  });
});
