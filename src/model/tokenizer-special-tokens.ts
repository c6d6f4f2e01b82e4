/**
 * llama.cpp's text-based rules for special tokens (llama-vocab.cpp, `load`): which tokens end
 * generation and which "control-looking" tokens are forced to CONTROL. Applied to every Vocab
 * so that our tokenizer treats special text exactly as llama.cpp does.
 */
import { TokenType } from "./tokenizer-token-type.js";
import type { Vocab } from "./vocab.js";

/** Texts llama.cpp takes as the end-of-turn token when the file names none (first found wins). */
const EOT_TEXTS = [
  "<|eot_id|>",
  "<|im_end|>",
  "<|end|>",
  "<end_of_turn>",
  "<|endoftext|>",
  "<|end_of_text|>",
  "<EOT>",
  "_<EOT>",
  "[EOT]",
  "<｜end▁of▁sentence｜>",
  "<end_of_utterance>",
];

/** Texts that always end generation in llama.cpp. */
const EOG_TEXTS = new Set([
  ...EOT_TEXTS,
  "<|return|>",
  "<|call|>",
  "<|flush|>",
  "<|calls|>",
  "</s>",
  "<|eom_id|>",
  "[EOS]",
  "<eos>",
  "<turn|>",
  "<|tool_response>",
  "[e~[",
]);

/** Fill-in-the-middle tokens: forced to CONTROL; pad/repo/sep also end generation. */
const FIM_CONTROL_TEXTS = new Set([
  "<|fim_prefix|>",
  "<fim-prefix>",
  "<fim_prefix>",
  "<｜fim▁begin｜>",
  "<PRE>",
  "▁<PRE>",
  "<|code_prefix|>",
  "<|prefix|>",
  "<|fim_suffix|>",
  "<fim-suffix>",
  "<fim_suffix>",
  "<｜fim▁hole｜>",
  "<SUF>",
  "▁<SUF>",
  "<|code_suffix|>",
  "<|suffix|>",
  "<|fim_middle|>",
  "<fim-middle>",
  "<fim_middle>",
  "<｜fim▁end｜>",
  "<MID>",
  "▁<MID>",
  "<|code_middle|>",
  "<|middle|>",
]);
const FIM_EOG_TEXTS = new Set([
  "<|fim_pad|>",
  "<fim-pad>",
  "<fim_pad>",
  "<PAD>",
  "[PAD]",
  "<|fim_repo|>",
  "<|repo_name|>",
  "<fim-repo>",
  "<REPO>",
  "<reponame>",
  "<|file_sep|>",
]);

/** First UTF-16 unit of every text above: a cheap test that rules out almost every token. */
const FIRST_UNITS: ReadonlySet<number> = new Set(
  [...EOG_TEXTS, ...FIM_EOG_TEXTS, ...FIM_CONTROL_TEXTS].map((t) => t.charCodeAt(0)),
);

/**
 * Whether an added token that Hugging Face marks non-special should still be a control token,
 * as `convert_hf_to_gguf.py` (`does_token_look_special`) decides: `<|...|>`, `<｜...｜>`,
 * `<unused...>`, `<pad>`, `<mask>`, `<2mass>`, `[@BOS@]`.
 */
export function looksSpecial(text: string): boolean {
  if (text === "<pad>" || text === "<mask>" || text === "<2mass>" || text === "[@BOS@]") return true;
  if (text.startsWith("<|") && text.endsWith("|>")) return true;
  if (text.startsWith("<｜") && text.endsWith("｜>")) return true;
  return text.startsWith("<unused") && text.endsWith(">");
}

/**
 * Completes `vocab` in place as llama.cpp does when it loads a model: sets `eotId` when absent,
 * forces CONTROL on end-of-generation and FIM tokens, and fills `eogIds` (sorted) with eos, eot,
 * every EOG-looking token and `extraEogIds` (ids a GGUF names explicitly, e.g. fim_pad).
 */
export function applySpecialTokenHeuristics(vocab: Vocab, extraEogIds: readonly number[] = []): void {
  // Only the few texts the rules name matter; for duplicates the last id wins, as in llama.cpp.
  const byText = new Map<string, number>();
  vocab.tokens.forEach((text, id) => {
    if (!FIRST_UNITS.has(text.charCodeAt(0))) return;
    if (EOG_TEXTS.has(text) || FIM_EOG_TEXTS.has(text) || FIM_CONTROL_TEXTS.has(text)) byText.set(text, id);
  });
  if (vocab.eotId === null)
    vocab.eotId = EOT_TEXTS.map((t) => byText.get(t)).find((id) => id !== undefined) ?? null;
  const eog = new Set<number>(extraEogIds);
  for (const [text, id] of byText) {
    const isEog = EOG_TEXTS.has(text) || FIM_EOG_TEXTS.has(text);
    if (isEog) eog.add(id);
    forceControl(vocab, id);
  }
  dropHarmonyEnd(vocab, eog, byText);
  if (vocab.eosId !== null) eog.add(vocab.eosId);
  if (vocab.eotId !== null) eog.add(vocab.eotId);
  vocab.eogIds = [...eog].sort((a, b) => a - b);
}

function forceControl(vocab: Vocab, id: number): void {
  const t = vocab.tokenTypes[id];
  if (t !== TokenType.CONTROL && t !== TokenType.UNKNOWN) vocab.tokenTypes[id] = TokenType.CONTROL;
}

/** o200k_harmony / solar-open: `<|end|>` is not EOG when `<|return|>`+`<|call|>` (or calls+flush) exist. */
function dropHarmonyEnd(vocab: Vocab, eog: Set<number>, byText: Map<string, number>): void {
  const has = (t: string) => {
    const id = byText.get(t);
    return id !== undefined && eog.has(id);
  };
  const endId = byText.get("<|end|>");
  if (endId === undefined || !eog.has(endId)) return;
  const call = has("<|call|>") || has("<|calls|>");
  if ((has("<|return|>") && call) || (call && has("<|flush|>"))) {
    eog.delete(endId);
    vocab.tokenTypes[endId] = TokenType.USER_DEFINED;
  }
}
