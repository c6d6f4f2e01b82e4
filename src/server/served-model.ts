/** What the server knows about the model it serves. */
import type { OpenedModel } from "../model/open-model.js";
import type { Tokenizer } from "../model/tokenizer.js";

/** The served model: its public name, limits and text handling. Immutable. */
export interface ServedModel {
  /** The id clients put in `model` and `/v1/models` lists. */
  readonly name: string;
  /** Most tokens (prompt + output) one sequence may hold. */
  readonly contextLength: number;
  readonly vocabSize: number;
  /** Whether a text prompt gets the BOS token prepended. */
  readonly addBos: boolean;
  /** Jinja chat template; `null` = the server's fallback template. */
  readonly chatTemplate: string | null;
  /** `null` for models without a tokenizer (token-id prompts only). */
  readonly tokenizer: Tokenizer | null;
  /** Unix seconds when the model was loaded (for `/v1/models`). */
  readonly createdS: number;
}

/** Builds a {@link ServedModel} from an opened model and its tokenizer. */
export function servedModelFrom(model: OpenedModel, name: string, tokenizer: Tokenizer | null): ServedModel {
  return {
    name,
    contextLength: model.spec.contextLength,
    vocabSize: model.spec.vocabSize,
    addBos: model.spec.addBos,
    chatTemplate: model.spec.chatTemplate,
    tokenizer,
    createdS: Math.floor(Date.now() / 1000),
  };
}
