/**
 * The tokenizer: text ↔ token ids for a {@link Vocab}, reproducing llama.cpp's `llama_tokenize`
 * (add_special = addBos, parse_special = parseSpecial) id for id, and decoding to exact bytes.
 */
import { InvalidArgumentError } from "../errors.js";
import { type DecodeOptions, type Detokenizer, IncrementalDetokenizer } from "./detokenizer.js";
import { BpeEncoder } from "./tokenizer-bpe.js";
import { TokenFlag, type TokenizerInfo, tokenizerInfoFromVocab } from "./tokenizer-info.js";
import { vocabFromTokenizerJson } from "./tokenizer-json.js";
import { TextTable } from "./tokenizer-lookup.js";
import { type Fragment, SpecialTokenMatcher } from "./tokenizer-partition.js";
import { preTokenizerFor } from "./tokenizer-pre.js";
import { SpmEncoder } from "./tokenizer-spm.js";
import type { Vocab } from "./vocab.js";

export type { DecodeOptions, Detokenizer } from "./detokenizer.js";

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Prepend the BOS token (throws if the vocabulary has none). Default false. */
  addBos?: boolean;
  /** Append the EOS token (throws if the vocabulary has none). Default false. */
  addEos?: boolean;
  /**
   * Turn the text of control tokens (`<s>`, `<|im_start|>`) into those tokens. Default false:
   * such text is plain text, as llama.cpp with parse_special = false. User-defined tokens
   * (e.g. Qwen's `<think>`) are always matched, as in llama.cpp and Hugging Face.
   */
  parseSpecial?: boolean;
}

/** Text ↔ ids for one vocabulary. Immutable and safe to share between requests. */
export interface Tokenizer {
  /** The vocabulary (shared; do not mutate). */
  readonly vocab: Vocab;
  /** Per-token bytes and flags (for grammars and detokenizers). */
  readonly info: TokenizerInfo;
  /** Number of token ids. */
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly eotId: number | null;
  readonly padId: number | null;
  readonly unkId: number | null;
  /** Every id that ends generation, sorted. */
  readonly eogIds: readonly number[];
  /** Token ids of `text`; a new array owned by the caller. */
  encode(text: string, options?: EncodeOptions): number[];
  /** The text of `ids`; invalid UTF-8 (e.g. a cut-off character) becomes U+FFFD. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  /** Whether `id` ends generation. */
  isEog(id: number): boolean;
  /** Whether `id` is a control/unknown token. */
  isSpecial(id: number): boolean;
  /** The token's text as stored in the vocabulary (e.g. `▁the`, `Ġthe`, `<|im_end|>`). */
  tokenText(id: number): string;
  /** A streaming detokenizer whose outputs concatenate to `decode(ids, options)`. */
  createDetokenizer(options?: DecodeOptions): Detokenizer;
}

const encoder = new TextEncoder();
/** Non-streaming decoder (stateless between calls); keeps a leading U+FEFF as text. */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

class VocabTokenizer implements Tokenizer {
  readonly info: TokenizerInfo;
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly eotId: number | null;
  readonly padId: number | null;
  readonly unkId: number | null;
  readonly eogIds: readonly number[];
  private readonly eog: ReadonlySet<number>;
  private readonly specials: SpecialTokenMatcher;
  private readonly encodeFragment: (text: string, out: number[]) => void;
  /** Text bytes of control/unknown tokens, for decoding without skipSpecial. */
  private readonly specialBytes = new Map<number, Uint8Array>();

  constructor(readonly vocab: Vocab) {
    this.info = tokenizerInfoFromVocab(vocab);
    this.vocabSize = vocab.tokens.length;
    ({
      bosId: this.bosId,
      eosId: this.eosId,
      eotId: this.eotId,
      padId: this.padId,
      unkId: this.unkId,
    } = vocab);
    this.eogIds = this.info.eogIds;
    this.eog = new Set(this.eogIds);
    this.specials = new SpecialTokenMatcher(vocab);
    this.encodeFragment = makeFragmentEncoder(vocab, new TextTable(vocab.tokens));
    const flags = this.info.tokenFlags;
    for (let id = 0; id < this.vocabSize; id++) {
      if ((flags[id] as number) & TokenFlag.SPECIAL)
        this.specialBytes.set(id, encoder.encode(vocab.tokens[id]));
    }
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if (options.addBos) out.push(this.requireId(this.bosId, "BOS"));
    const fragments = this.specials.split(toWellFormed(text), options.parseSpecial ?? false);
    this.encodeFragments(fragments, out);
    if (options.addEos) out.push(this.requireId(this.eosId, "EOS"));
    return out;
  }

  private encodeFragments(fragments: Fragment[], out: number[]): void {
    const spacePrefix = this.vocab.kind === "spm" && this.vocab.addSpacePrefix;
    let prevSpecial = true; // llama.cpp: the first text fragment gets the space prefix too
    for (const f of fragments) {
      if (typeof f === "number") {
        out.push(f);
        prevSpecial = true;
        continue;
      }
      if (this.vocab.kind === "spm") {
        this.encodeFragment((spacePrefix && prevSpecial ? "▁" : "") + f.replaceAll(" ", "▁"), out);
      } else {
        this.encodeFragment(f, out);
      }
      prevSpecial = false;
    }
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const piece = this.pieceFn(options.skipSpecial ?? false);
    const pieces: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const p = piece(ids[i] as number);
      pieces.push(p);
      total += p.length;
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of pieces) {
      bytes.set(p, at);
      at += p.length;
    }
    const strip = (options.stripLeadingSpace ?? this.vocab.addSpacePrefix) && bytes[0] === 0x20;
    return decoder.decode(strip ? bytes.subarray(1) : bytes);
  }

  createDetokenizer(options: DecodeOptions = {}): Detokenizer {
    const strip = options.stripLeadingSpace ?? this.vocab.addSpacePrefix;
    return new IncrementalDetokenizer(this.pieceFn(options.skipSpecial ?? false), strip);
  }

  isEog(id: number): boolean {
    return this.eog.has(id);
  }

  isSpecial(id: number): boolean {
    return this.info.isSpecial(id);
  }

  tokenText(id: number): string {
    this.checkId(id);
    return this.vocab.tokens[id] as string;
  }

  private pieceFn(skipSpecial: boolean): (id: number) => Uint8Array {
    return (id) => {
      this.checkId(id);
      if (skipSpecial) return this.info.tokenBytes(id);
      return this.specialBytes.get(id) ?? this.info.tokenBytes(id);
    };
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new InvalidArgumentError(
        `token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`,
        "ids",
      );
    }
  }

  private requireId(id: number | null, name: string): number {
    if (id === null) throw new InvalidArgumentError(`this vocabulary has no ${name} token`, "addBos");
    return id;
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Lone surrogates become U+FFFD, as they do on their way into llama.cpp (UTF-8). */
function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\uFFFD");
}

function makeFragmentEncoder(vocab: Vocab, table: TextTable): (text: string, out: number[]) => void {
  if (vocab.kind === "spm") {
    const scores = vocab.scores ?? new Float32Array(vocab.tokens.length);
    const spm = new SpmEncoder(vocab.tokens, table, scores, vocab.unkId);
    return (text, out) => spm.encode(text, out);
  }
  const bpe = new BpeEncoder(vocab.tokens, table, vocab.merges ?? [], preTokenizerFor(vocab.pre));
  return (text, out) => bpe.encode(text, out);
}

/**
 * A tokenizer for `vocab` (e.g. from {@link vocabFromGguf}). Throws UnsupportedError for a
 * pre-tokenizer we do not implement. Keeps a reference to `vocab`; do not mutate it afterwards.
 */
export function tokenizerFromVocab(vocab: Vocab): Tokenizer {
  if (vocab.tokenTypes.length !== vocab.tokens.length) {
    throw new InvalidArgumentError(
      `vocab has ${vocab.tokens.length} tokens but ${vocab.tokenTypes.length} token types`,
      "vocab",
    );
  }
  return new VocabTokenizer(vocab);
}

/** A tokenizer for a Hugging Face `tokenizer.json` (+ optional `tokenizer_config.json`). */
export function tokenizerFromTokenizerJson(
  tokenizerJson: unknown,
  tokenizerConfig: unknown | null,
): Tokenizer {
  return tokenizerFromVocab(vocabFromTokenizerJson(tokenizerJson, tokenizerConfig));
}
