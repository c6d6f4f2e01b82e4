/** Escapes and character classes of the regex front end (ECMAScript syntax). */

import type { CodePointRange } from "./grammar-ast.js";
import {
  complementRanges,
  DIGIT_RANGES,
  normalizeRanges,
  SPACE_RANGES,
  SURROGATES,
  subtractRanges,
  WORD_RANGES,
} from "./regex-charset.js";
import type { RegexCursor } from "./regex-cursor.js";

/** What an escape denotes: one code point, or a class (`\d`, `\W`, …). */
export type RegexAtomEscape =
  | { readonly kind: "char"; readonly cp: number }
  | { readonly kind: "class"; readonly ranges: readonly CodePointRange[]; readonly negated: boolean };

const CONTROL_ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, f: 0x0c };

const CLASS_ESCAPES: Record<string, readonly CodePointRange[]> = {
  d: DIGIT_RANGES,
  w: WORD_RANGES,
  s: SPACE_RANGES,
};

function readHex(cur: RegexCursor, digits: number): number | null {
  let value = 0;
  for (let i = 0; i < digits; i++) {
    const d = Number.parseInt(cur.peekChar(i), 16);
    if (Number.isNaN(d)) return null;
    value = value * 16 + d;
  }
  cur.pos += digits;
  return value;
}

/** `\u{H…}`, `\uHHHH` (joining an escaped surrogate pair); the cursor is after `\u`. */
function readUnicodeEscape(cur: RegexCursor, at: number): number {
  if (cur.peekChar() === "{") {
    const close = cur.indexOf("}", cur.pos);
    const hex = String.fromCodePoint(...cur.cps.slice(cur.pos + 1, close));
    const value = Number.parseInt(hex, 16);
    if (close < 0 || !/^[0-9a-fA-F]+$/.test(hex) || value > 0x10ffff) cur.fail("invalid \\u{...} escape", at);
    cur.pos = close + 1;
    return value;
  }
  const value = readHex(cur, 4);
  if (value === null) return cur.fail("invalid \\u escape", at);
  if (value >= 0xd800 && value <= 0xdbff && cur.peekChar() === "\\" && cur.peekChar(1) === "u") {
    const save = cur.pos;
    cur.pos += 2;
    const low = readHex(cur, 4);
    if (low !== null && low >= 0xdc00 && low <= 0xdfff)
      return 0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00);
    cur.pos = save;
  }
  return value;
}

function isSyntaxOrPunct(ch: string): boolean {
  return /^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]$/.test(ch);
}

/** Escapes that mean the same inside and outside classes, or `null` if `ch` is not one. */
function readCommonEscape(cur: RegexCursor, ch: string, at: number): number | null {
  const control = CONTROL_ESCAPES[ch];
  if (control !== undefined) return control;
  if (ch === "0" && !/[0-9]/.test(cur.peekChar())) return 0;
  if (ch === "x") return readHex(cur, 2) ?? cur.fail("invalid \\x escape", at);
  if (ch === "u") return readUnicodeEscape(cur, at);
  if (ch === "c") {
    const letter = cur.peekChar();
    if (!/^[A-Za-z]$/.test(letter)) cur.fail("invalid \\c escape", at);
    cur.pos++;
    return (letter.codePointAt(0) as number) % 32;
  }
  if (isSyntaxOrPunct(ch)) return ch.codePointAt(0) as number;
  return null;
}

/**
 * Reads one escape (the cursor is on the backslash). Inside a class `\b` is backspace; outside,
 * assertions and backreferences are refused by name.
 */
export function parseRegexEscape(cur: RegexCursor, inClass: boolean): RegexAtomEscape {
  const at = cur.pos;
  const ch = cur.peekChar(1);
  if (ch === "") cur.fail("pattern ends with a backslash", at);
  cur.pos += 2;
  const base = CLASS_ESCAPES[ch.toLowerCase()];
  if (base !== undefined) return { kind: "class", ranges: base, negated: ch !== ch.toLowerCase() };
  if (inClass && ch === "b") return { kind: "char", cp: 0x08 };
  if (ch === "b" || ch === "B") cur.fail("word boundary assertions (\\b, \\B) are not supported", at);
  if (/^[1-9]$/.test(ch) || ch === "k") cur.fail("backreferences are not supported", at);
  if (ch === "p" || ch === "P") cur.fail("Unicode property escapes (\\p{...}) are not supported", at);
  const cp = readCommonEscape(cur, ch, at);
  if (cp === null) cur.fail(`unknown escape \\${ch}`, at);
  return { kind: "char", cp };
}

/** A class item: one code point, or a set from `\d`-style escapes. */
function readClassAtom(cur: RegexCursor): RegexAtomEscape {
  if (cur.peekChar() === "\\") return parseRegexEscape(cur, true);
  const cp = cur.peek() as number;
  cur.pos++;
  return { kind: "char", cp };
}

function atomRanges(atom: RegexAtomEscape): readonly CodePointRange[] {
  if (atom.kind === "char") return [[atom.cp, atom.cp]];
  return atom.negated ? subtractRanges(complementRanges(atom.ranges), [SURROGATES]) : atom.ranges;
}

/**
 * Reads a bracketed class (the cursor is on `[`). The result is normalised; `negated` is the
 * class's own `^`.
 */
export function parseRegexClass(cur: RegexCursor): { ranges: CodePointRange[]; negated: boolean } {
  const start = cur.pos;
  cur.pos++;
  const negated = cur.peekChar() === "^";
  if (negated) cur.pos++;
  const ranges: CodePointRange[] = [];
  while (cur.peekChar() !== "]") {
    if (cur.atEnd()) cur.fail("unterminated character class", start);
    const lo = readClassAtom(cur);
    if (cur.peekChar() === "-" && cur.peekChar(1) !== "]" && cur.peekChar(1) !== "") {
      cur.pos++;
      const hi = readClassAtom(cur);
      if (lo.kind !== "char" || hi.kind !== "char") cur.fail("a class escape cannot bound a range", start);
      if (hi.cp < lo.cp) cur.fail("range out of order in character class", start);
      ranges.push([lo.cp, hi.cp]);
    } else ranges.push(...atomRanges(lo));
  }
  cur.pos++;
  return { ranges: normalizeRanges(ranges), negated };
}
