/** A read position over the code points of a regular expression, for the regex front end. */

import { GrammarError } from "../errors.js";

/** Code-point cursor with error reporting that names the pattern and the offset. */
export class RegexCursor {
  /** The pattern's code points. */
  readonly cps: readonly number[];
  /** Current index into {@link cps}. */
  pos = 0;

  constructor(readonly pattern: string) {
    this.cps = Array.from(pattern, (c) => c.codePointAt(0) as number);
  }

  /** The code point `offset` ahead, or `undefined` past the end. */
  peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  /** The character `offset` ahead, or `""` past the end. */
  peekChar(offset = 0): string {
    const cp = this.peek(offset);
    return cp === undefined ? "" : String.fromCodePoint(cp);
  }

  /** Whether the whole pattern has been read. */
  atEnd(): boolean {
    return this.pos >= this.cps.length;
  }

  /** Index of the next `ch` at or after `from`, or -1. */
  indexOf(ch: string, from: number): number {
    const cp = ch.codePointAt(0);
    for (let i = from; i < this.cps.length; i++) if (this.cps[i] === cp) return i;
    return -1;
  }

  /** Throws a {@link GrammarError} naming the pattern and the offset (in code points). */
  fail(message: string, at = this.pos): never {
    throw new GrammarError(`regex ${JSON.stringify(this.pattern)} at offset ${at}: ${message}`);
  }

  /** Reads decimal digits; `null` (and no move) when there are none. */
  readInt(): number | null {
    const start = this.pos;
    let value = 0;
    while (this.peek() !== undefined && (this.peek() as number) >= 0x30 && (this.peek() as number) <= 0x39) {
      value = Math.min(value * 10 + ((this.peek() as number) - 0x30), Number.MAX_SAFE_INTEGER);
      this.pos++;
    }
    return this.pos === start ? null : value;
  }

  /** Reads `{m}`, `{m,}` or `{m,n}`; `null` (and no move) when the text is not one of them. */
  readBraces(): [number, number | null] | null {
    const start = this.pos;
    if (this.peekChar() !== "{") return null;
    this.pos++;
    const min = this.readInt();
    let max: number | null = min;
    if (min !== null && this.peekChar() === ",") {
      this.pos++;
      max = this.readInt();
    }
    if (min === null || this.peekChar() !== "}") {
      this.pos = start;
      return null;
    }
    this.pos++;
    return [min, max];
  }
}
