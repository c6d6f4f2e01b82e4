import { type DecodeOptions, type Detokenizer, IncrementalDetokenizer } from "../model/detokenizer.js";
import type { EngineTokenizer } from "./engine-options.js";

/** A tiny tokenizer for mock-runtime tests (engine and server), with `encode` for prompts. */
export interface TestTokenizer extends EngineTokenizer {
  readonly vocabSize: number;
  readonly eosId: number;
  readonly bosId: number;
  /** Greedy longest-match encoding (every character of the test alphabet has a token). */
  encode(text: string): number[];
  /** Ids of the raw byte tokens C3 A9 (`é`) and E2 82 AC (`€`). */
  readonly byteIds: readonly number[];
  /** The id of a piece, e.g. `idOf("STOP")`. */
  idOf(piece: string): number;
}

const encoder = new TextEncoder();

/**
 * 128 tokens: 0 `<eos>` and 1 `<bos>` (special: no text when skipped), then letters, digits,
 * punctuation, space and newline, a few words (`the`, `STOP`, `END`, `ab`), and raw UTF-8
 * bytes of `é` and `€` (so a character can span tokens).
 */
export function createTestTokenizer(): TestTokenizer {
  const pieces: (string | Uint8Array)[] = ["<eos>", "<bos>"];
  for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n.,!?-:;'\"()[]{}")
    pieces.push(c);
  for (const w of ["the", " the", "STOP", "END", "ab", "cd", "ST", "OP", "Hello", " world"]) pieces.push(w);
  const byteIds: number[] = [];
  for (const b of [0xc3, 0xa9, 0xe2, 0x82, 0xac]) byteIds.push(pieces.push(Uint8Array.of(b)) - 1);
  while (pieces.length < 128) pieces.push(`<${pieces.length}>`);
  const bytes = pieces.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
  const empty = new Uint8Array(0);
  const ids = new Map<string, number>();
  for (const [i, p] of pieces.entries()) if (typeof p === "string" && !ids.has(p)) ids.set(p, i);
  const pieceFn = (skipSpecial: boolean) => (id: number) => {
    if (id < 0 || id >= bytes.length) throw new Error(`token ${id} out of range`);
    return skipSpecial && id < 2 ? empty : (bytes[id] as Uint8Array);
  };
  const detok = (o?: DecodeOptions): Detokenizer =>
    new IncrementalDetokenizer(pieceFn(o?.skipSpecial ?? false), false);
  return {
    vocabSize: 128,
    eosId: 0,
    bosId: 1,
    eogIds: [0],
    byteIds,
    isEog: (id) => id === 0,
    createDetokenizer: detok,
    decode(list, o) {
      const d = detok(o);
      return d.pushAll(list) + d.flush();
    },
    encode(text) {
      const out: number[] = [];
      let i = 0;
      while (i < text.length) {
        let best = -1;
        let len = 0;
        for (const [p, id] of ids)
          if (p.length > len && id >= 2 && text.startsWith(p, i)) [best, len] = [id, p.length];
        if (best < 0) throw new Error(`no token for ${JSON.stringify(text[i])}`);
        out.push(best);
        i += len;
      }
      return out;
    },
    idOf(piece) {
      const id = ids.get(piece);
      if (id === undefined) throw new Error(`no piece ${piece}`);
      return id;
    },
  };
}
