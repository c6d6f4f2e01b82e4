/**
 * The tokenizer of simulated runs: no vocabulary file, each id has a short deterministic text.
 */

import type { EngineTokenizer } from "../engine/engine-options.js";
import { InvalidArgumentError } from "../errors.js";
import { type DecodeOptions, type Detokenizer, IncrementalDetokenizer } from "../model/detokenizer.js";

/** The one end-of-generation id of {@link simTokenizer}; the simulated runtime never samples it. */
export const SIM_EOG_ID = 0;

/** An {@link EngineTokenizer} over a synthetic vocabulary, plus its size. */
export interface SimTokenizer extends EngineTokenizer {
  readonly vocabSize: number;
  /** Text of one id: `<eog>` for {@link SIM_EOG_ID} (special), else ` t<id>` (e.g. ` t123`). */
  pieceText(id: number): string;
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * A tokenizer for `vocabSize` ids: id 0 is `<eog>` (special: no text with `skipSpecial`), every
 * other id `i` decodes to ` t<i>`. Piece bytes are encoded once per id and cached.
 */
export function simTokenizer(vocabSize: number): SimTokenizer {
  if (!Number.isInteger(vocabSize) || vocabSize < 2)
    throw new InvalidArgumentError(`vocabSize must be an integer >= 2, got ${vocabSize}`, "vocabSize");
  const cache: (Uint8Array | undefined)[] = [];
  const pieceText = (id: number): string => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new InvalidArgumentError(`token ${id} out of range [0, ${vocabSize})`);
    return id === SIM_EOG_ID ? "<eog>" : ` t${id}`;
  };
  const pieceBytes = (id: number): Uint8Array => {
    let bytes = cache[id];
    if (bytes === undefined) {
      bytes = encoder.encode(pieceText(id));
      cache[id] = bytes;
    }
    return bytes;
  };
  const detokenizer = (options?: DecodeOptions): Detokenizer => {
    const skipSpecial = options?.skipSpecial ?? false;
    const piece = (id: number) => (skipSpecial && id === SIM_EOG_ID ? EMPTY : pieceBytes(id));
    return new IncrementalDetokenizer(piece, options?.stripLeadingSpace ?? false);
  };
  return {
    vocabSize,
    eogIds: [SIM_EOG_ID],
    isEog: (id) => id === SIM_EOG_ID,
    pieceText,
    createDetokenizer: detokenizer,
    decode(ids, options) {
      const d = detokenizer(options);
      return d.pushAll(ids) + d.flush();
    },
  };
}
