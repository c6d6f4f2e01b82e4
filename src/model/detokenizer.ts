/**
 * Incremental detokenization for streaming: ids go in one at a time, and only complete text
 * comes out. Bytes of an unfinished UTF-8 sequence (a character split across byte tokens) are
 * held back until the sequence completes, so no U+FFFD appears where the full decode has none;
 * the concatenation of every `push` plus `flush` equals the tokenizer's `decode` of all ids.
 */

/** Options shared by `decode` and detokenizers. */
export interface DecodeOptions {
  /** Drop control/unknown tokens (`<s>`, `<|im_end|>`) instead of writing their text. Default false. */
  skipSpecial?: boolean;
  /**
   * Drop one space at the very start of the output (SPM vocabularies, whose encoder adds one).
   * Default: the vocabulary's `addSpacePrefix`. Pass false when continuing earlier text.
   */
  stripLeadingSpace?: boolean;
}

/** A streaming detokenizer; one per output stream. */
export interface Detokenizer {
  /** Adds one token; returns the text completed by it (often "", never a partial character). */
  push(id: number): string;
  /** Adds several tokens; returns the text they complete. */
  pushAll(ids: ArrayLike<number>): string;
  /** Ends the stream: returns held-back bytes (an incomplete sequence becomes U+FFFD). */
  flush(): string;
  /** Tokens pushed so far. */
  readonly numTokens: number;
}

/**
 * Returns the output bytes of a token id (a view that the detokenizer only reads) and throws
 * for an invalid id.
 */
export type PieceFn = (id: number) => Uint8Array;

/** A {@link Detokenizer} over a piece function (see `Tokenizer.createDetokenizer`). */
export class IncrementalDetokenizer implements Detokenizer {
  // fatal: false → invalid bytes become U+FFFD exactly as a one-shot decode would write them;
  // ignoreBOM: true → a leading U+FEFF is text, not a byte-order mark to drop.
  private readonly decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  private atStart: boolean;
  private tokens = 0;

  /**
   * @param piece output bytes per id (already honouring skipSpecial).
   * @param stripLeadingSpace drop one 0x20 if it is the first output byte.
   */
  constructor(
    private readonly piece: PieceFn,
    stripLeadingSpace: boolean,
  ) {
    this.atStart = stripLeadingSpace;
  }

  get numTokens(): number {
    return this.tokens;
  }

  push(id: number): string {
    let bytes = this.piece(id);
    this.tokens++;
    if (bytes.length === 0) return "";
    if (this.atStart) {
      this.atStart = false;
      if (bytes[0] === 0x20) bytes = bytes.subarray(1);
    }
    return this.decoder.decode(bytes, { stream: true });
  }

  pushAll(ids: ArrayLike<number>): string {
    let text = "";
    for (let i = 0; i < ids.length; i++) text += this.push(ids[i] as number);
    return text;
  }

  flush(): string {
    return this.decoder.decode();
  }
}
