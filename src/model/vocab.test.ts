import { describe, expect, it } from "vitest";
import { ModelFormatError, UnsupportedError } from "../errors.js";
import { type GgufFile, type GgufMetadata, GgufValueType } from "./gguf-types.js";
import { tokenizerFromVocab } from "./tokenizer.js";
import {
  TokenType,
  type Vocab,
  vocabFromGguf,
  vocabFromTokenizerJson,
  vocabToGgufMetadata,
} from "./vocab.js";
import { loadPackagedTokenizer } from "./vocab-sources.js";

function fileOf(metadata: GgufMetadata): GgufFile {
  return {
    path: "test.gguf",
    version: 3,
    metadata,
    tensors: [],
    alignmentBytes: 32,
    dataOffsetBytes: 0,
    fileSizeBytes: 0,
  };
}

/** A tiny SentencePiece-style tokenizer.json with a hole at id 5. */
function tinySpmJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {
    "<unk>": 0,
    "<s>": 1,
    "</s>": 2,
    "<0x41>": 3,
    "▁": 4,
    a: 6,
    b: 7,
    ab: 8,
    "▁ab": 9,
  };
  return {
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace" }] },
    pre_tokenizer: null,
    added_tokens: [
      { id: 0, content: "<unk>", special: true },
      { id: 1, content: "<s>", special: true },
      { id: 2, content: "</s>", special: true },
      { id: 10, content: "<tool>", special: false },
    ],
    model: { type: "BPE", byte_fallback: true, unk_token: "<unk>", vocab, merges: ["a b", "▁ ab"] },
  };
}

describe("vocabFromTokenizerJson", () => {
  it("reads a SentencePiece-style BPE as an SPM vocab with merge-order scores", () => {
    const v = vocabFromTokenizerJson(tinySpmJson(), { chat_template: [{ name: "default", template: "T" }] });
    expect(v.kind).toBe("spm");
    expect(v.pre).toBeNull();
    expect(v.tokens).toEqual([
      "<unk>",
      "<s>",
      "</s>",
      "<0x41>",
      "▁",
      "[PAD5]",
      "a",
      "b",
      "ab",
      "▁ab",
      "<tool>",
    ]);
    expect(Array.from(v.tokenTypes)).toEqual([2, 3, 3, 6, 1, 5, 1, 1, 1, 1, 4]);
    expect(v.scores?.[8]).toBe(-0); // first merge
    expect(v.scores?.[9]).toBe(-1);
    expect([v.bosId, v.eosId, v.unkId, v.padId]).toEqual([1, 2, 0, null]);
    expect(v.eogIds).toEqual([2]);
    expect([v.addBos, v.addEos, v.addSpacePrefix]).toEqual([true, false, true]);
    expect(v.chatTemplate).toBe("T");
    expect(tokenizerFromVocab(v).encode("ab ab")).toEqual([9, 9]);
  });

  it("reads the packaged vocabularies as llama.cpp's converter would", async () => {
    const llama3 = await loadPackagedTokenizer("llama3");
    const v3 = vocabFromTokenizerJson(llama3.tokenizerJson, llama3.tokenizerConfig);
    expect([v3.kind, v3.pre, v3.tokens.length, v3.bosId, v3.eosId, v3.eotId]).toEqual([
      "bpe",
      "llama-bpe",
      128256,
      128000,
      128001,
      128009,
    ]);
    expect(v3.merges?.[0]).toBe("Ġ Ġ");
    expect(v3.chatTemplate).toContain("start_header_id");
    const qwen = await loadPackagedTokenizer("qwen3");
    const vq = vocabFromTokenizerJson(qwen.tokenizerJson, qwen.tokenizerConfig);
    expect([vq.kind, vq.pre, vq.bosId, vq.eosId, vq.padId, vq.addBos]).toEqual([
      "bpe",
      "qwen2",
      null,
      151645,
      151643,
      false,
    ]);
    expect(vq.tokenTypes[151667]).toBe(TokenType.USER_DEFINED); // <think>
    expect(vq.tokenTypes[151659]).toBe(TokenType.CONTROL); // <|fim_prefix|>: looks special
    // llama.cpp takes "</s>" (a plain Qwen token) for an end-of-generation control token.
    expect(vq.tokens[128247]).toBe("</s>");
    expect(vq.tokenTypes[128247]).toBe(TokenType.CONTROL);
    expect(vq.eogIds).toEqual([128247, 151643, 151645, 151662, 151663, 151664]);
  });

  it("refuses tokenizers it cannot reproduce, with a clear error", () => {
    const wordPiece = { model: { type: "WordPiece", vocab: {} } };
    expect(() => vocabFromTokenizerJson(wordPiece, null)).toThrow(/WordPiece is not supported/);
    expect(() => vocabFromTokenizerJson({ model: { type: "Unigram", vocab: [] } }, null)).toThrow(
      UnsupportedError,
    );
    expect(() => vocabFromTokenizerJson("nope", null)).toThrow(UnsupportedError);
    const odd = {
      pre_tokenizer: {
        type: "Sequence",
        pretokenizers: [{ type: "Split", pattern: { Regex: "\\w+" } }, { type: "ByteLevel" }],
      },
      model: { type: "BPE", vocab: {}, merges: [] },
    };
    expect(() => vocabFromTokenizerJson(odd, null)).toThrow(/pre-tokenizer regex/);
    const noFallback = { ...tinySpmJson(), model: { type: "BPE", vocab: {}, merges: [] } };
    expect(() => vocabFromTokenizerJson(noFallback, null)).toThrow(UnsupportedError);
  });
});

describe("vocabFromGguf / vocabToGgufMetadata", () => {
  const tiny = () => vocabFromTokenizerJson(tinySpmJson(), null);

  it("round-trips through GGUF metadata", async () => {
    const v = tiny();
    expect(vocabFromGguf(fileOf(vocabToGgufMetadata(v)))).toEqual(v);
    const qwen = await loadPackagedTokenizer("qwen3");
    const vq = vocabFromTokenizerJson(qwen.tokenizerJson, qwen.tokenizerConfig);
    const meta = vocabToGgufMetadata(vq);
    expect(meta.get("tokenizer.ggml.model")?.value).toBe("gpt2");
    expect(meta.get("tokenizer.ggml.pre")?.value).toBe("qwen2");
    expect(meta.has("tokenizer.ggml.scores")).toBe(false);
    expect(vocabFromGguf(fileOf(meta))).toEqual(vq);
  });

  function broken(edit: (m: GgufMetadata, v: Vocab) => void): () => Vocab {
    const v = tiny();
    const m = vocabToGgufMetadata(v);
    edit(m, v);
    return () => vocabFromGguf(fileOf(m));
  }

  it("throws ModelFormatError on missing or inconsistent tokenizer data", () => {
    const arr = (itemType: GgufValueType, items: Float32Array | Int32Array) =>
      ({ type: GgufValueType.ARRAY, value: { itemType, items } }) as const;
    expect(broken((m) => m.delete("tokenizer.ggml.model"))).toThrow(ModelFormatError);
    expect(
      broken((m) => m.set("tokenizer.ggml.model", { type: GgufValueType.STRING, value: "bert" })),
    ).toThrow(/not supported/);
    expect(broken((m) => m.delete("tokenizer.ggml.tokens"))).toThrow(ModelFormatError);
    expect(
      broken((m) => m.set("tokenizer.ggml.scores", arr(GgufValueType.FLOAT32, new Float32Array(3)))),
    ).toThrow(/scores has 3 entries for 11 tokens/);
    expect(
      broken((m) => m.set("tokenizer.ggml.token_type", arr(GgufValueType.INT32, new Int32Array(12)))),
    ).toThrow(/token_type has 12 entries/);
    expect(
      broken((m) => m.set("tokenizer.ggml.token_type", arr(GgufValueType.INT32, new Int32Array(11).fill(9)))),
    ).toThrow(/token_type\[0\] = 9/);
    expect(
      broken((m) => m.set("tokenizer.ggml.bos_token_id", { type: GgufValueType.UINT32, value: 11 })),
    ).toThrow(/bos_token_id = 11 is outside the vocabulary/);
    expect(broken((m) => m.set("tokenizer.ggml.tokens", { type: GgufValueType.STRING, value: "x" }))).toThrow(
      ModelFormatError,
    );
  });

  it("requires merges for byte-level BPE", () => {
    const m = vocabToGgufMetadata(tiny());
    m.set("tokenizer.ggml.model", { type: GgufValueType.STRING, value: "gpt2" });
    expect(() => vocabFromGguf(fileOf(m))).toThrow(/tokenizer.ggml.merges/);
  });
});
