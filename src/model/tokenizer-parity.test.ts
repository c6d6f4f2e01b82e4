/**
 * Parity of our tokenizer with llama.cpp (node-llama-cpp, vocab-only GGUF) and with Hugging Face
 * tokenizers (the original tokenizer.json) on 1,000 real ShareGPT prompts, for the Llama-2
 * (Mistral SPM), Llama-3 and Qwen3 vocabularies; plus round trips and streaming detokenization.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import type { Llama, LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedPath } from "../test-support/shared-data.js";
import { readGguf } from "./gguf-reader.js";
import { type GgufMetadata, type GgufMetadataValue, GgufValueType } from "./gguf-types.js";
import { writeGguf } from "./gguf-writer.js";
import { type Tokenizer, tokenizerFromVocab } from "./tokenizer.js";
import { type Vocab, vocabFromGguf, vocabFromTokenizerJson, vocabToGgufMetadata } from "./vocab.js";
import { loadPackagedTokenizer } from "./vocab-sources.js";

const PROMPTS = sharedPath("data/prompts/sharegpt-v3-filtered-1000.json");

/** Text that exercises special tokens, byte fallback, whitespace and digit rules. */
const CRAFTED = [
  "<s>hello</s> world",
  "<|im_start|>user\nhi<|im_end|>\n",
  "<think>\nx</think>",
  "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
  "x<|fim_prefix|>y <unk> <|endoftext|>",
  "😀🎉 emoji, 中文字符测试，日本語のテキスト, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "   leading spaces",
  "trailing   ",
  "tabs\t\tand\r\nCRLF\n\n\n  \n x",
  "1234567 12 3.14159 ١٢٣ Ⅻ",
  "I'M HE'S they'll WE'VE don't",
  "nel\u0085x bom\uFEFFy nbsp\u00a0z \u00ad",
  "",
  " ",
  "\n",
];

/** A vocab-only GGUF: the hparams llama.cpp insists on, then the tokenizer. */
async function writeVocabOnlyGguf(path: string, vocab: Vocab, arch: string): Promise<void> {
  const u32 = (value: number): GgufMetadataValue => ({ type: GgufValueType.UINT32, value });
  const m: GgufMetadata = new Map();
  m.set("general.architecture", { type: GgufValueType.STRING, value: arch });
  m.set(`${arch}.context_length`, u32(4096));
  m.set(`${arch}.embedding_length`, u32(64));
  m.set(`${arch}.block_count`, u32(1));
  m.set(`${arch}.feed_forward_length`, u32(128));
  m.set(`${arch}.attention.head_count`, u32(4));
  m.set(`${arch}.attention.head_count_kv`, u32(4));
  m.set(`${arch}.attention.layer_norm_rms_epsilon`, { type: GgufValueType.FLOAT32, value: 1e-5 });
  for (const [k, v] of vocabToGgufMetadata(vocab)) m.set(k, v);
  await writeGguf(path, m, []);
}

/** First difference of two id sequences, or null when equal. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return null;
}

interface Mismatch {
  prompt: number;
  position: number;
  ours: number[];
  theirs: number[];
}

/** Compares ids for every text; returns the mismatches (prompt index, first differing position). */
function compareAll(
  texts: readonly string[],
  ours: (t: string) => number[],
  theirs: (t: string) => ArrayLike<number>,
): Mismatch[] {
  const out: Mismatch[] = [];
  texts.forEach((text, prompt) => {
    const a = ours(text);
    const b = Array.from(theirs(text));
    const position = firstDiff(a, b);
    if (position !== null) {
      out.push({
        prompt,
        position,
        ours: a.slice(position, position + 6),
        theirs: b.slice(position, position + 6),
      });
    }
  });
  return out;
}

let llama: Promise<Llama> | null = null;

/** node-llama-cpp without the noise of its memory simulator, which fails on tensor-less files. */
function quietLlama(): Promise<Llama> {
  llama ??= import("node-llama-cpp").then(({ getLlama, LlamaLogLevel }) =>
    getLlama({
      gpu: false,
      build: "never",
      usePrebuiltBinaries: true,
      logLevel: LlamaLogLevel.error,
      logger: (level, message) => {
        if (/missing tensor|failed to load model/.test(message)) return;
        console.error(`[node-llama-cpp ${level}] ${message}`);
      },
    }),
  );
  return llama;
}

const CASES = [
  { name: "llama2", arch: "llama" },
  { name: "llama3", arch: "llama" },
  { name: "qwen3", arch: "qwen2" },
] as const;

describe.skipIf(PROMPTS === null)("tokenizer parity on 1,000 ShareGPT prompts", () => {
  let prompts: string[] = [];
  let dir = "";

  beforeAll(() => {
    const raw = JSON.parse(readFileSync(PROMPTS as string, "utf8")) as {
      conversations: { value: string }[];
    }[];
    prompts = raw.map((r) => r.conversations[0]?.value ?? "");
    dir = mkdtempSync(join(tmpdir(), "tokenflow-tokenizer-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe.each(CASES)("$name vocabulary", ({ name, arch }) => {
    let fromJson: Vocab;
    let tok: Tokenizer;
    let ref: LlamaModel;
    let hf: HfTokenizer;
    let hfNfc = false;

    beforeAll(async () => {
      const packaged = await loadPackagedTokenizer(name);
      fromJson = vocabFromTokenizerJson(packaged.tokenizerJson, packaged.tokenizerConfig);
      const path = join(dir, `${name}.gguf`);
      await writeVocabOnlyGguf(path, fromJson, arch);
      tok = tokenizerFromVocab(vocabFromGguf(await readGguf(path)));
      ref = await (await quietLlama()).loadModel({ modelPath: path, vocabOnly: true });
      hf = new HfTokenizer(packaged.tokenizerJson as object, packaged.tokenizerConfig as object);
      hfNfc = JSON.stringify(
        (packaged.tokenizerJson as { normalizer?: unknown }).normalizer ?? null,
      ).includes('"NFC"');
    });
    afterAll(async () => {
      await ref?.dispose();
    });

    it("reads back from GGUF the vocab it wrote", () => {
      const back = tok.vocab;
      expect(back.tokens).toEqual(fromJson.tokens);
      expect(back.tokenTypes).toEqual(fromJson.tokenTypes);
      expect(back.scores).toEqual(fromJson.scores);
      expect(back.merges).toEqual(fromJson.merges);
      expect({ ...back, tokens: 0, tokenTypes: 0, scores: 0, merges: 0 }).toEqual({
        ...fromJson,
        tokens: 0,
        tokenTypes: 0,
        scores: 0,
        merges: 0,
      });
    });

    it("matches llama.cpp tokenize(text, parse_special=false) on every prompt", () => {
      const mismatches = compareAll(
        prompts,
        (t) => tok.encode(t),
        (t) => ref.tokenize(t, false),
      );
      expect(mismatches.slice(0, 5), `${mismatches.length} of ${prompts.length} prompts differ`).toEqual([]);
    });

    it("matches llama.cpp on crafted special/whitespace/byte-fallback text, both parse modes", () => {
      for (const parseSpecial of [false, true]) {
        const mismatches = compareAll(
          CRAFTED,
          (t) => tok.encode(t, { parseSpecial }),
          (t) => ref.tokenize(t, parseSpecial),
        );
        expect(mismatches, `parseSpecial=${parseSpecial}`).toEqual([]);
      }
    });

    it("has llama.cpp's special ids and end-of-generation set", () => {
      expect([tok.bosId, tok.eosId, tok.eotId]).toEqual([ref.tokens.bos, ref.tokens.eos, ref.tokens.eot]);
      const eog: number[] = [];
      for (let id = 0; id < tok.vocabSize; id++) if (ref.isEogToken(id as never)) eog.push(id);
      expect(tok.eogIds).toEqual(eog);
    });

    it("matches Hugging Face tokenizers on every prompt", () => {
      // HF always splits its added tokens out of text (= our parseSpecial) and applies the
      // tokenizer.json normalizer (Qwen: NFC), which llama.cpp does not; all prompts are NFC.
      const ours = (t: string) => tok.encode(hfNfc ? t.normalize("NFC") : t, { parseSpecial: true });
      const mismatches = compareAll(prompts, ours, (t) => hf.encode(t, { add_special_tokens: false }).ids);
      expect(mismatches.slice(0, 5), `${mismatches.length} of ${prompts.length} prompts differ`).toEqual([]);
    });

    it("decodes every prompt back exactly, in one piece and streamed token by token", () => {
      const bad: number[] = [];
      prompts.forEach((text, i) => {
        const ids = tok.encode(text);
        const detok = tok.createDetokenizer();
        let streamed = "";
        for (const id of ids) streamed += detok.push(id);
        streamed += detok.flush();
        if (tok.decode(ids) !== text || streamed !== text) bad.push(i);
      });
      expect(bad).toEqual([]);
    });
  });
});
