/**
 * SentencePiece-style BPE as llama.cpp's `llm_tokenizer_spm`: the text (spaces already escaped
 * to `▁`) is split into characters, adjacent pairs whose concatenation is a token merge
 * highest-score first (leftmost on ties), and symbols that are not tokens fall back to
 * `<0xXX>` byte tokens.
 */
import { UnsupportedError } from "../errors.js";
import { mergeSymbols } from "./tokenizer-merge.js";

const encoder = new TextEncoder();

/** Encodes one text fragment of an SPM vocabulary. */
export class SpmEncoder {
  /** Byte value → id of its `<0xXX>` token (-1 when the vocabulary lacks it). */
  private readonly byteIds: Int32Array;

  /**
   * @param tokenToId token text → id (shared with the tokenizer, not mutated).
   * @param scores merge priority per token id (higher merges first).
   * @param unkId used for a byte without a byte token, else such bytes throw.
   */
  constructor(
    private readonly tokenToId: ReadonlyMap<string, number>,
    private readonly scores: Float32Array,
    private readonly unkId: number | null,
  ) {
    this.byteIds = new Int32Array(256).fill(-1);
    for (let b = 0; b < 256; b++) {
      const id =
        tokenToId.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`) ??
        tokenToId.get(String.fromCharCode(b));
      if (id !== undefined) this.byteIds[b] = id;
    }
  }

  /** Appends the ids of `text` (whitespace already escaped to `▁`) to `out`. */
  encode(text: string, out: number[]): void {
    const { tokenToId, scores } = this;
    const symbols = mergeSymbols(Array.from(text), (a, b) => {
      const id = tokenToId.get(a + b);
      return id === undefined ? null : -(scores[id] ?? 0);
    });
    for (const s of symbols) {
      const id = tokenToId.get(s);
      if (id !== undefined) out.push(id);
      else this.pushBytes(s, out);
    }
  }

  private pushBytes(s: string, out: number[]): void {
    for (const b of encoder.encode(s)) {
      const id = this.byteIds[b] ?? -1;
      if (id >= 0) out.push(id);
      else if (this.unkId !== null) out.push(this.unkId);
      else
        throw new UnsupportedError(`SPM vocabulary has no byte token for 0x${b.toString(16)} and no <unk>`);
    }
  }
}
