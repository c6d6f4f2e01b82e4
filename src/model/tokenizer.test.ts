import { beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import type { VocabName } from "./presets.js";
import { type Tokenizer, tokenizerFromTokenizerJson } from "./tokenizer.js";
import { TokenFlag, tokenizerInfoFromVocab } from "./tokenizer-info.js";
import { TokenType } from "./tokenizer-token-type.js";
import type { Vocab } from "./vocab.js";
import { loadPackagedTokenizer } from "./vocab-sources.js";

const cache = new Map<VocabName, Tokenizer>();

async function load(name: VocabName): Promise<Tokenizer> {
  let tok = cache.get(name);
  if (!tok) {
    const p = await loadPackagedTokenizer(name);
    tok = tokenizerFromTokenizerJson(p.tokenizerJson, p.tokenizerConfig);
    cache.set(name, tok);
  }
  return tok;
}

const utf8 = (s: string) => Array.from(new TextEncoder().encode(s));
const bytesOf = (tok: Tokenizer, ids: number[]) => ids.flatMap((id) => Array.from(tok.info.tokenBytes(id)));

/** Streams ids one at a time; returns every chunk, the flush included. */
function stream(tok: Tokenizer, ids: number[], skipSpecial = false): string[] {
  const d = tok.createDetokenizer({ skipSpecial });
  const chunks = ids.map((id) => d.push(id));
  chunks.push(d.flush());
  return chunks;
}

describe("SPM tokenizer (Mistral / llama2 vocabulary)", () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await load("llama2");
  });

  it("adds BOS only when asked, and the SPM space prefix always", () => {
    expect(tok.encode("Hello")).toEqual(tok.encode(" Hello").slice(1));
    expect(tok.encode("Hello")[0]).not.toBe(tok.bosId);
    expect(tok.encode("Hello", { addBos: true })).toEqual([1, ...tok.encode("Hello")]);
    expect(tok.encode("Hello", { addEos: true }).at(-1)).toBe(2);
    expect(tok.encode("")).toEqual([]);
    expect(tok.encode("", { addBos: true })).toEqual([1]);
  });

  it("treats special-token text as plain text unless parseSpecial", () => {
    const plain = tok.encode("<s>hi</s>");
    expect(plain).not.toContain(1);
    expect(plain).not.toContain(2);
    expect(tok.decode(plain)).toBe("<s>hi</s>");
    const parsed = tok.encode("<s>hi</s>", { parseSpecial: true });
    expect(parsed[0]).toBe(1);
    expect(parsed.at(-1)).toBe(2);
    // llama.cpp puts the space prefix after every special token, like the first fragment.
    expect(parsed.slice(1, -1)).toEqual(tok.encode("hi"));
  });

  it("falls back to byte tokens for characters outside the vocabulary", () => {
    for (const text of ["龘", "鬱", "🦜"]) {
      const ids = tok.encode(text);
      expect(ids[0]).toBe(28705); // "▁", the space prefix
      const rest = ids.slice(1);
      expect(rest.map((id) => tok.tokenText(id))).toEqual(
        utf8(text).map((b) => `<0x${b.toString(16).toUpperCase()}>`),
      );
      expect(rest.every((id) => tok.info.tokenFlags[id] === TokenFlag.BYTE)).toBe(true);
      expect(bytesOf(tok, rest)).toEqual(utf8(text));
      expect(tok.decode(ids)).toBe(text);
    }
    expect(tok.encode("中文")).toEqual([28705, 28991, 29019]);
  });

  it("knows the exact bytes of every kind of token", () => {
    expect(Array.from(tok.info.tokenBytes(13))).toEqual([0x0a]); // <0x0A>
    expect(Array.from(tok.info.tokenBytes(272))).toEqual(utf8(" the")); // ▁the
    expect(tok.info.tokenBytes(1).length).toBe(0); // <s>
    expect(tok.info.tokenFlags[1]).toBe(TokenFlag.SPECIAL);
    expect(tok.info.tokenFlags[2]).toBe(TokenFlag.SPECIAL | TokenFlag.EOG);
    expect(tok.info.offsets.length).toBe(tok.vocabSize + 1);
    expect(tok.info.vocabSize).toBe(32000);
  });

  it("drops the prefix space when decoding, keeps user spaces and special text unless skipped", () => {
    for (const text of [" x", "  two", "a b", "\n", "x "]) expect(tok.decode(tok.encode(text))).toBe(text);
    const ids = [1, ...tok.encode("Hi there")];
    expect(tok.decode(ids)).toBe("<s> Hi there");
    expect(tok.decode(ids, { skipSpecial: true })).toBe("Hi there");
    expect(tok.decode(tok.encode("Hi"), { stripLeadingSpace: false })).toBe(" Hi");
  });

  it("streams byte-fallback characters without ever yielding U+FFFD", () => {
    const text = "a🦜b龘c";
    const ids = tok.encode(text);
    const chunks = stream(tok, ids);
    expect(chunks.join("")).toBe(text);
    expect(chunks.some((c) => c.includes("\uFFFD"))).toBe(false);
    // The 4 byte tokens of the parrot yield nothing until the last one completes it.
    expect(chunks.filter((c) => c === "").length).toBeGreaterThanOrEqual(5);
  });

  it("streams with special tokens skipped or written, matching decode", () => {
    const ids = [1, ...tok.encode("Hi there"), 2];
    for (const skipSpecial of [false, true]) {
      expect(stream(tok, ids, skipSpecial).join("")).toBe(tok.decode(ids, { skipSpecial }));
    }
  });

  it("turns an unfinished character into U+FFFD only at flush", () => {
    const bytes = tok.encode("🦜").slice(1, 3); // first two of four byte tokens
    const d = tok.createDetokenizer();
    expect(d.pushAll(bytes)).toBe("");
    expect(d.flush()).toBe("\uFFFD");
    expect(d.numTokens).toBe(2);
  });

  it("rejects ids outside the vocabulary", () => {
    expect(() => tok.decode([32000])).toThrow(InvalidArgumentError);
    expect(() => tok.decode([-1])).toThrow(InvalidArgumentError);
    expect(() => tok.createDetokenizer().push(1.5)).toThrow(InvalidArgumentError);
  });
});

describe("byte-level BPE tokenizers (Llama 3, Qwen3 vocabularies)", () => {
  let llama3: Tokenizer;
  let qwen3: Tokenizer;
  beforeAll(async () => {
    llama3 = await load("llama3");
    qwen3 = await load("qwen3");
  });

  it("maps GPT-2 byte characters back to bytes", () => {
    expect(Array.from(llama3.info.tokenBytes(279))).toEqual(utf8(" the")); // Ġthe
    expect(Array.from(llama3.info.tokenBytes(198))).toEqual([0x0a]); // Ċ
    expect(Array.from(llama3.info.tokenBytes(3574))).toEqual([0xe4, 0xb8]); // ä¸: half of 中
    expect(llama3.info.tokenBytes(128009).length).toBe(0); // <|eot_id|>
  });

  it("parses control tokens only when asked, user-defined tokens always", () => {
    const chat = "<|im_start|>user\nhi<|im_end|>";
    expect(qwen3.encode(chat)).not.toContain(151644);
    expect(qwen3.encode(chat, { parseSpecial: true })).toEqual([151644, ...qwen3.encode("user\nhi"), 151645]);
    for (const parseSpecial of [false, true]) {
      expect(qwen3.encode("<think>ok</think>", { parseSpecial })).toEqual([151667, 562, 151668]);
    }
    expect(qwen3.decode(qwen3.encode("<think>ok</think>"))).toBe("<think>ok</think>");
    expect(llama3.encode("<|eot_id|>", { parseSpecial: true })).toEqual([128009]);
  });

  it("adds BOS where the vocabulary has one, and refuses where it has none", () => {
    expect(llama3.encode("hi", { addBos: true })).toEqual([128000, ...llama3.encode("hi")]);
    expect(() => qwen3.encode("hi", { addBos: true })).toThrow(InvalidArgumentError);
  });

  it("knows every end-of-generation token", () => {
    expect(llama3.eogIds).toEqual([128001, 128009]);
    expect(llama3.isEog(128009)).toBe(true);
    expect(llama3.isEog(279)).toBe(false);
    expect(qwen3.isEog(151645)).toBe(true); // <|im_end|>
    expect(qwen3.isEog(151643)).toBe(true); // <|endoftext|>
  });

  it("streams characters split across tokens without U+FFFD", () => {
    const text = "中文字符测试，日本語のテキスト 😀🎉 naïve";
    for (const tok of [llama3, qwen3]) {
      const ids = tok.encode(text);
      const chunks = stream(tok, ids);
      expect(chunks.join("")).toBe(text);
      expect(chunks.some((c) => c.includes("\uFFFD"))).toBe(false);
      expect(tok.decode(ids)).toBe(text);
    }
  });

  it("keeps a leading byte-order mark and lone surrogates become U+FFFD as in llama.cpp", () => {
    expect(qwen3.decode(qwen3.encode("\uFEFFx"))).toBe("\uFEFFx");
    expect(qwen3.decode(qwen3.encode("a\uD800b"))).toBe("a\uFFFDb");
  });
});

describe("token bytes of unusual tokens", () => {
  const vocab = (kind: "spm" | "bpe", tokens: string[], types: number[]): Vocab => ({
    kind,
    pre: kind === "bpe" ? "qwen2" : null,
    tokens,
    scores: null,
    tokenTypes: Int32Array.from(types),
    merges: kind === "bpe" ? [] : null,
    bosId: null,
    eosId: null,
    unkId: null,
    padId: null,
    eotId: null,
    eogIds: [],
    addBos: false,
    addEos: false,
    addSpacePrefix: false,
    chatTemplate: null,
  });
  const enc = (s: string) => Array.from(new TextEncoder().encode(s));
  const { NORMAL, CONTROL, USER_DEFINED, UNUSED, BYTE } = TokenType;

  it("SPM: ▁ is a space, byte tokens are their byte, lone surrogates are U+FFFD", () => {
    const tokens = ["▁a▁", "é😀", "x\uD800y", "<0x0A>", "<0xZZ>", "<s>", "▁user▁", "<pad>"];
    const info = tokenizerInfoFromVocab(
      vocab("spm", tokens, [NORMAL, NORMAL, NORMAL, BYTE, BYTE, CONTROL, USER_DEFINED, UNUSED]),
    );
    const got = tokens.map((_, id) => Array.from(info.tokenBytes(id)));
    expect(got).toEqual([
      enc(" a "),
      enc("é😀"),
      enc("x\uFFFDy"),
      [10],
      enc("<0xZZ>"),
      [],
      enc("▁user▁"),
      [],
    ]);
    expect(info.bytes.length).toBe(info.offsets[tokens.length]);
  });

  it("byte-level: GPT-2 characters are bytes, other characters their UTF-8", () => {
    const tokens = ["Ġthe", "Ċ", "ä¸Ń", "é中😀", "\uDC00", "Ġ<|x|>"];
    const info = tokenizerInfoFromVocab(
      vocab("bpe", tokens, [NORMAL, NORMAL, NORMAL, NORMAL, NORMAL, USER_DEFINED]),
    );
    const got = tokens.map((_, id) => Array.from(info.tokenBytes(id)));
    expect(got).toEqual([enc(" the"), [10], enc("中"), [0xe9, ...enc("中😀")], enc("\uFFFD"), enc("Ġ<|x|>")]);
  });
});
