/**
 * Prompts of exactly the requested token length. Token-id prompts are synthetic ids (ordinary
 * tokens only) or cut from real text (ShareGPT prompts, or seeded English words) tokenized by the
 * target's tokenizer, BOS first when the vocabulary has one. Text prompts (`--text-prompts`) are
 * text that the tokenizer turns back into exactly N tokens (BOS included when it has one, as the
 * server adds it): the cut is decoded, re-encoded, and the cut length adjusted until it does.
 */
import { readFile } from "node:fs/promises";
import { InvalidArgumentError, UnsupportedError } from "../errors.js";
import type { SeededRandom } from "./seeded-random.js";

/** What prompt building needs of a tokenizer (a `Tokenizer` fits). */
export interface PromptTokenizer {
  readonly vocabSize: number;
  readonly bosId: number | null;
  encode(text: string, options?: { addBos?: boolean }): number[];
  decode(ids: ArrayLike<number>): string;
  isSpecial(id: number): boolean;
  isEog(id: number): boolean;
}

/** Where prompt content comes from: seeded ids/words, or the texts of a ShareGPT-format file. */
export type PromptSource = { readonly kind: "synthetic" } | { readonly kind: "texts"; readonly path: string };

/** A prompt: ids of exactly the requested length, and its text for `--text-prompts`. */
export interface BuiltPrompt {
  readonly tokens: number[];
  readonly text: string | null;
}

/** Highest id drawn for synthetic prompts without a tokenizer (ordinary tokens in common vocabularies). */
const MAX_BLIND_ID = 32_000;
/** Lowest id drawn without a tokenizer (skips the usual unk/bos/eos at 0..2). */
const MIN_BLIND_ID = 3;

const WORDS = (
  "the a of and to in is that it for on with as was at by be this from or have an they which one you " +
  "had not but what all were when we there can more if out so some time would other into has two its " +
  "like than first been way only many may then them these could people over water made also day long " +
  "down find most work part place little world after year good live back where much before line right " +
  "think same small between every house light again home number under read story still open city"
).split(" ");

/** Reads the first user turn of every conversation of a ShareGPT-format JSON file. */
export async function readShareGptTexts(path: string): Promise<string[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new InvalidArgumentError(`cannot read prompts ${path}: ${(err as Error).message}`, "prompts");
  }
  const texts: string[] = [];
  for (const item of Array.isArray(data) ? data : []) {
    const turns = (item as { conversations?: { from?: string; value?: unknown }[] })?.conversations;
    const first = Array.isArray(turns) ? turns.find((t) => t?.from === "human") : undefined;
    if (typeof first?.value === "string" && first.value.trim() !== "") texts.push(first.value);
  }
  if (texts.length === 0)
    throw new InvalidArgumentError(`${path} holds no ShareGPT conversations with a human turn`, "prompts");
  return texts;
}

/** Ids a synthetic prompt may use: every ordinary token, or [3, min(vocab, 32000)) without a tokenizer. */
export function ordinaryIds(vocabSize: number, tokenizer: PromptTokenizer | null): number[] {
  const ids: number[] = [];
  if (!tokenizer) {
    for (let id = Math.min(MIN_BLIND_ID, vocabSize - 1); id < Math.min(vocabSize, MAX_BLIND_ID); id++)
      ids.push(id);
    return ids;
  }
  for (let id = 0; id < tokenizer.vocabSize; id++)
    if (!tokenizer.isSpecial(id) && !tokenizer.isEog(id)) ids.push(id);
  return ids;
}

/**
 * A cut of `sourceIds` whose text encodes to exactly `target` tokens (BOS excluded), or `null`.
 * The re-encoded count grows (almost) monotonically with the cut, so this brackets the cut
 * between the longest one known to be short and the shortest known to be long, stepping by the
 * count difference while that stays inside the bracket and bisecting otherwise.
 */
function searchCut(tokenizer: PromptTokenizer, sourceIds: readonly number[], target: number): string | null {
  let lo = 0;
  let hi = sourceIds.length + 1;
  let take = Math.min(target, sourceIds.length);
  for (let attempt = 0; attempt < 64 && take > lo && take < hi; attempt++) {
    const text = tokenizer.decode(sourceIds.slice(0, take));
    const len = tokenizer.encode(text).length;
    if (len === target) return text;
    if (len < target) lo = take;
    else hi = take;
    const guess = take + (target - len);
    take = guess > lo && guess < hi ? guess : Math.floor((lo + hi) / 2);
  }
  return null;
}

/**
 * Text whose encoding (with BOS when `tokenizer` has one) is exactly `n` tokens, cut from
 * `sourceIds` (ordinary text, longer than `n`); when no cut from the start works, cuts starting
 * a few tokens later are tried. Throws UnsupportedError when none does.
 */
export function exactTextPrompt(tokenizer: PromptTokenizer, sourceIds: readonly number[], n: number): string {
  const target = n - (tokenizer.bosId !== null ? 1 : 0);
  if (target <= 0) return "";
  for (let offset = 0; offset < 8 && offset < sourceIds.length; offset++) {
    const text = searchCut(tokenizer, sourceIds.slice(offset), target);
    if (text !== null) return text;
  }
  throw new UnsupportedError(`cannot build a text prompt of exactly ${n} tokens with this tokenizer`);
}

/** Builds the prompts of a workload (one instance per workload; caches tokenized source texts). */
export class PromptFactory {
  private readonly encoded = new Map<number, number[]>();

  private constructor(
    private readonly tokenizer: PromptTokenizer | null,
    private readonly ids: readonly number[],
    private readonly texts: readonly string[] | null,
    private readonly isText: boolean,
  ) {}

  /**
   * A factory for `vocabSize` ids. ShareGPT texts and text prompts need a tokenizer (an
   * InvalidArgumentError says so otherwise).
   */
  static async create(options: {
    source: PromptSource;
    tokenizer: PromptTokenizer | null;
    vocabSize: number;
    textPrompts: boolean;
  }): Promise<PromptFactory> {
    const { source, tokenizer } = options;
    if (!tokenizer && (source.kind === "texts" || options.textPrompts))
      throw new InvalidArgumentError(
        "--prompts from text and --text-prompts need a tokenizer (the sim and mock runtimes have none; give --tokenizer for an HTTP target)",
        "prompts",
      );
    const texts = source.kind === "texts" ? await readShareGptTexts(source.path) : null;
    const ids = ordinaryIds(options.vocabSize, tokenizer);
    if (ids.length === 0)
      throw new InvalidArgumentError("the vocabulary has no ordinary token ids", "prompts");
    return new PromptFactory(tokenizer, ids, texts, options.textPrompts);
  }

  /** A prompt of exactly `n` tokens (n ≥ 1), drawn with `rng`. */
  build(n: number, rng: SeededRandom): BuiltPrompt {
    const tok = this.tokenizer;
    if (!tok) return { tokens: this.syntheticIds(n, rng), text: null };
    const bos = tok.bosId;
    const source = this.sourceIds(n + 16, rng);
    if (!this.isText) {
      const body = source.slice(0, bos === null ? n : n - 1);
      return { tokens: bos === null ? body : [bos, ...body], text: null };
    }
    const text = exactTextPrompt(tok, source, n);
    return { tokens: tok.encode(text, { addBos: bos !== null }), text };
  }

  private syntheticIds(n: number, rng: SeededRandom): number[] {
    return Array.from({ length: n }, () => this.ids[Math.floor(rng.next() * this.ids.length)] as number);
  }

  /** At least `n` ids of real text: ShareGPT prompts from a random one on, or seeded words. */
  private sourceIds(n: number, rng: SeededRandom): number[] {
    const tok = this.tokenizer as PromptTokenizer;
    const out: number[] = [];
    if (!this.texts) {
      while (out.length < n) {
        const words = Array.from({ length: 64 }, () => WORDS[Math.floor(rng.next() * WORDS.length)]);
        out.push(...tok.encode(`${out.length === 0 ? "" : " "}${words.join(" ")}`));
      }
      return out;
    }
    let i = Math.floor(rng.next() * this.texts.length);
    while (out.length < n) {
      let ids = this.encoded.get(i);
      if (!ids) {
        ids = tok.encode(`${this.texts[i] as string}\n\n`);
        this.encoded.set(i, ids);
      }
      out.push(...ids);
      i = (i + 1) % this.texts.length;
    }
    return out;
  }
}
