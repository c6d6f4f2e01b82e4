import { UnsupportedError } from "../errors.js";
import type { OpenedModel } from "./open-model.js";
import { type Tokenizer, tokenizerFromTokenizerJson, tokenizerFromVocab } from "./tokenizer.js";

/**
 * The tokenizer of an opened model: from GGUF tokenizer metadata, or from a Hugging Face
 * `tokenizer.json`. llama2.c checkpoints carry none: they are driven by token ids.
 */
export function tokenizerForModel(model: OpenedModel): Tokenizer {
  if (model.vocab) return tokenizerFromVocab(model.vocab);
  if (model.tokenizerJson) return tokenizerFromTokenizerJson(model.tokenizerJson, model.tokenizerConfig);
  throw new UnsupportedError(
    `${model.path} has no tokenizer (a ${model.format} model): pass token ids instead of text`,
  );
}
