/**
 * Byte-level BPE pre-tokenizers (the word-splitting regexes llama.cpp selects by
 * `tokenizer.ggml.pre`) and the GPT-2 byte ↔ unicode mapping.
 */
import { UnsupportedError } from "../errors.js";

/** A pre-tokenizer: how text is split into words before BPE merges. */
export interface PreTokenizer {
  /** Canonical llama.cpp name. */
  readonly name: string;
  /** Global, unicode-aware regex whose matches are the words (they cover the whole text). */
  readonly regex: RegExp;
  /** A word that is itself a token is emitted whole, without merging (llama.cpp ignore_merges). */
  readonly ignoreMerges: boolean;
}

// HF regexes use Oniguruma's \s, which is Unicode White_Space (it includes U+0085 and not
// U+FEFF, unlike JavaScript's \s); llama.cpp uses the same set.
const WS = "\\p{White_Space}";
const NWS = "\\P{White_Space}";
const CONTRACTIONS = "'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]";

function llama3Style(digits: string): string {
  return (
    `${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}${digits}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*` +
    `|${WS}*[\\r\\n]+|${WS}+(?!${NWS})|${WS}+`
  );
}

interface PreSpec {
  readonly source: string;
  readonly ignoreMerges: boolean;
  /** The regex as written in tokenizer.json files. */
  readonly hfRegexes: readonly string[];
}

const SPECS: Readonly<Record<string, PreSpec>> = {
  "llama-bpe": {
    source: llama3Style("{1,3}"),
    ignoreMerges: true,
    hfRegexes: [
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    ],
  },
  qwen2: {
    source: llama3Style(""),
    ignoreMerges: false,
    hfRegexes: [
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    ],
  },
};

/** llama.cpp names that select the same pre-tokenizer as a canonical one. */
const ALIASES: Readonly<Record<string, string>> = {
  llama3: "llama-bpe",
  "llama-v3": "llama-bpe",
  falcon3: "llama-bpe",
  pixtral: "llama-bpe",
  "falcon-h1": "llama-bpe",
  "midm-2.0": "llama-bpe",
  lfm2: "llama-bpe",
  "deepseek-r1-qwen": "qwen2",
  kormo: "qwen2",
  f2llmv2: "qwen2",
};

/** The llama.cpp pre-tokenizer name for a tokenizer.json Split regex, or `null` if unknown. */
export function preTokenizerNameForRegex(hfRegex: string): string | null {
  for (const [name, spec] of Object.entries(SPECS)) if (spec.hfRegexes.includes(hfRegex)) return name;
  return null;
}

/** llama.cpp's default for `add_bos_token` when the file does not say (SPM, Llama-3 family). */
export function defaultAddBos(kind: "spm" | "bpe", pre: string | null): boolean {
  return kind === "spm" || (pre !== null && (ALIASES[pre] ?? pre) === "llama-bpe");
}

/** The pre-tokenizer llama.cpp uses for `pre`; throws UnsupportedError for names we lack. */
export function preTokenizerFor(pre: string | null): PreTokenizer {
  const name = pre === null ? "(none)" : (ALIASES[pre] ?? pre);
  const spec = SPECS[name];
  if (!spec) {
    throw new UnsupportedError(
      `pre-tokenizer "${pre}" is not supported (known: ${Object.keys(SPECS).join(", ")})`,
    );
  }
  return { name, regex: new RegExp(spec.source, "gu"), ignoreMerges: spec.ignoreMerges };
}

/** GPT-2's byte → printable character table (index = byte). */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return table;
})();
