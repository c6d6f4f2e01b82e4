/**
 * The tokenizer `--tokenizer` names for an HTTP target (whose server tokenizes on its side): a
 * packaged vocabulary (`llama2`, `llama3`, `qwen3`) or a model file/directory carrying one.
 */
import { openModel } from "../model/open-model.js";
import type { VocabName } from "../model/presets.js";
import { type Tokenizer, tokenizerFromTokenizerJson } from "../model/tokenizer.js";
import { tokenizerForModel } from "../model/tokenizer-for-model.js";
import { loadPackagedTokenizer, VOCAB_NAMES } from "../model/vocab-sources.js";

/** Loads the tokenizer of a vocabulary name or a model path. */
export async function loadBenchTokenizer(nameOrPath: string): Promise<Tokenizer> {
  if ((VOCAB_NAMES as string[]).includes(nameOrPath)) {
    const packaged = await loadPackagedTokenizer(nameOrPath as VocabName);
    return tokenizerFromTokenizerJson(packaged.tokenizerJson, packaged.tokenizerConfig);
  }
  return tokenizerForModel(await openModel(nameOrPath));
}
