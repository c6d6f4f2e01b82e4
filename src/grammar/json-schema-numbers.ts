/**
 * Numeric bounds of JSON Schema (`minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`) as
 * exact grammars over JSON numbers: digit-by-digit range constructions on the integer part and a
 * lexicographic construction on the fraction. Bounded numbers are written without an exponent
 * (an instance like `1e3` is then rejected, never wrongly accepted).
 */

import { type GrammarExpr, g } from "./grammar-ast.js";
import { altOf, seqOf } from "./json-schema-json-text.js";

/** One bound on a number: the value and whether it is exclusive. */
export interface NumericBound {
  readonly value: number;
  readonly strict: boolean;
}

/** A non-negative decimal: integer part and fraction digits (no trailing zeros). */
interface Decimal {
  readonly int: bigint;
  readonly frac: string;
}

interface DecimalBound extends Decimal {
  readonly strict: boolean;
}

/** Bounds with an integer part longer than this are refused by the caller. */
export const MAX_BOUND_DIGITS = 40;

const DIGIT = g.cls([[0x30, 0x39]]);
const DIGIT19 = g.cls([[0x31, 0x39]]);
const ANY_FRACTION = g.rep(g.seq(g.lit("."), g.rep(DIGIT, 1, null)), 0, 1);

/** The exact decimal expansion of `|n|` (finite `n`). */
export function toDecimal(n: number): Decimal {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(Math.abs(n).toString());
  if (m === null) throw new RangeError(`not a finite number: ${n}`);
  const digits = (m[1] ?? "") + (m[2] ?? "");
  const point = (m[1] ?? "").length + Number(m[3] ?? 0);
  let int: string;
  let frac: string;
  if (point <= 0) [int, frac] = ["0", "0".repeat(-point) + digits];
  else if (point >= digits.length) [int, frac] = [digits + "0".repeat(point - digits.length), ""];
  else [int, frac] = [digits.slice(0, point), digits.slice(point)];
  return { int: BigInt(int), frac: frac.replace(/0+$/, "") };
}

function digitClass(lo: number, hi: number): GrammarExpr {
  return lo === hi ? g.lit(String(lo)) : g.cls([[0x30 + lo, 0x30 + hi]]);
}

/** Digit strings of one length between `a` and `b` inclusive (`a <= b`, same length). */
function sameLength(a: string, b: string): GrammarExpr {
  if (a.length === 0) return g.empty();
  if (a === b) return g.lit(a);
  const rest = a.length - 1;
  const a0 = Number(a[0]);
  const b0 = Number(b[0]);
  const [aTail, bTail] = [a.slice(1), b.slice(1)];
  if (a0 === b0) return seqOf(g.lit(String(a0)), sameLength(aTail, bTail));
  if (/^0*$/.test(aTail) && /^9*$/.test(bTail)) return seqOf(digitClass(a0, b0), g.rep(DIGIT, rest, rest));
  const alts = [seqOf(g.lit(String(a0)), sameLength(aTail, "9".repeat(rest)))];
  if (b0 - a0 >= 2) alts.push(seqOf(digitClass(a0 + 1, b0 - 1), g.rep(DIGIT, rest, rest)));
  alts.push(seqOf(g.lit(String(b0)), sameLength("0".repeat(rest), bTail)));
  return altOf(alts);
}

/** Non-negative integers in `[lo, hi]` (`hi === null`: unbounded), written without leading zeros. */
export function integerRangeExpr(lo: bigint, hi: bigint | null): GrammarExpr | null {
  if (hi !== null && hi < lo) return null;
  const loStr = lo.toString();
  const alts: GrammarExpr[] = [];
  const maxLen = hi === null ? loStr.length : hi.toString().length;
  for (let len = loStr.length; len <= maxLen; len++) {
    const lower = len === loStr.length ? loStr : `1${"0".repeat(len - 1)}`;
    const upper = hi !== null && len === maxLen ? hi.toString() : "9".repeat(len);
    alts.push(sameLength(lower, upper));
  }
  if (hi === null) alts.push(g.seq(DIGIT19, g.rep(DIGIT, loStr.length, null)));
  return altOf(alts);
}

/** Fraction digit strings `s` (compared as `0.s`) from position `i`, given which bounds are still tight. */
interface FracState {
  readonly lo: DecimalBound | null;
  readonly hi: DecimalBound | null;
}

/** `{canEnd, more}`: whether the digits may stop here, and the grammar of one or more further digits. */
function fracFrom(
  st: FracState,
  i: number,
  tightLo: boolean,
  tightHi: boolean,
): [boolean, GrammarExpr | null] {
  const loF = tightLo && st.lo ? st.lo.frac : null;
  const hiF = tightHi && st.hi ? st.hi.frac : null;
  // Ending now pads with zeros: equal to a tight bound when past its last digit, else past it.
  const endLo = loF === null || (i >= loF.length && !st.lo?.strict);
  const endHi = hiF === null || i < hiF.length || !st.hi?.strict;
  const canEnd = endLo && endHi;
  if (loF === null && hiF === null) return [true, g.rep(DIGIT, 1, null)];
  if (loF !== null && hiF !== null && i >= loF.length && i >= hiF.length) {
    return [canEnd, canEnd ? g.rep(g.lit("0"), 1, null) : null];
  }
  if (hiF === null && loF !== null && i >= loF.length) {
    const bigger = g.seq(g.rep(g.lit("0"), 0, null), DIGIT19, g.rep(DIGIT, 0, null));
    return [canEnd, st.lo?.strict ? bigger : g.rep(DIGIT, 1, null)];
  }
  if (loF === null && hiF !== null && i >= hiF.length)
    return [canEnd, canEnd ? g.rep(g.lit("0"), 1, null) : null];
  const byNext = new Map<string, number[]>();
  for (let d = 0; d <= 9; d++) {
    const lod = loF === null ? -1 : Number(loF[i] ?? "0");
    const hid = hiF === null ? 10 : Number(hiF[i] ?? "0");
    if (d < lod || d > hid) continue;
    const key = `${d === lod}|${d === hid}`;
    byNext.set(key, [...(byNext.get(key) ?? []), d]);
  }
  const alts: GrammarExpr[] = [];
  for (const [key, digits] of byNext) {
    const [tl, th] = key.split("|").map((x) => x === "true") as [boolean, boolean];
    const [end, more] = fracFrom(st, i + 1, tl, th);
    const tail = end ? (more === null ? g.empty() : g.rep(more, 0, 1)) : more;
    if (tail === null) continue;
    alts.push(seqOf(digitClass(digits[0] as number, digits[digits.length - 1] as number), tail));
  }
  return [canEnd, alts.length === 0 ? null : altOf(alts)];
}

/** `("." digits)?` whose value `0.digits` lies within the bounds (each `null` = unbounded). */
function fractionExpr(lo: DecimalBound | null, hi: DecimalBound | null): GrammarExpr | null {
  const [canEnd, more] = fracFrom({ lo, hi }, 0, lo !== null, hi !== null);
  const dotted = more === null ? null : g.seq(g.lit("."), more);
  if (dotted === null) return canEnd ? g.empty() : null;
  return canEnd ? g.rep(dotted, 0, 1) : dotted;
}

/** Non-negative decimals (no sign, no exponent) within the bounds (`lo === null`: `>= 0`). */
function nonNegativeExpr(
  lo: DecimalBound | null,
  hi: DecimalBound | null,
  integerOnly: boolean,
): GrammarExpr | null {
  if (integerOnly) {
    const loI = lo === null ? 0n : lo.frac !== "" || lo.strict ? lo.int + 1n : lo.int;
    const hiI = hi === null ? null : hi.frac === "" && hi.strict ? hi.int - 1n : hi.int;
    return integerRangeExpr(loI, hiI);
  }
  const loInt = lo?.int ?? 0n;
  const loFrac: DecimalBound | null = lo === null ? null : { ...lo, int: 0n };
  const hiFrac: DecimalBound | null = hi === null ? null : { ...hi, int: 0n };
  if (hi !== null && hi.int < loInt) return null;
  const withInt = (i: bigint, frac: GrammarExpr | null) =>
    frac === null ? null : seqOf(g.lit(i.toString()), frac);
  if (hi !== null && hi.int === loInt) return withInt(loInt, fractionExpr(loFrac, hiFrac));
  const middle = integerRangeExpr(loInt + 1n, hi === null ? null : hi.int - 1n);
  const alts = [
    withInt(loInt, fractionExpr(loFrac, null)),
    middle === null ? null : seqOf(middle, ANY_FRACTION),
    hi === null ? null : withInt(hi.int, fractionExpr(null, hiFrac)),
  ].filter((x): x is GrammarExpr => x !== null);
  return alts.length === 0 ? null : altOf(alts);
}

function decimalBound(value: number, strict: boolean): DecimalBound {
  return { ...toDecimal(value), strict };
}

/**
 * JSON numbers `x` with `lo <= x <= hi` (or `<` for strict bounds; `null` = unbounded), written
 * without an exponent; integers only (no fraction) when `integerOnly`. `null` = no such number.
 * Negative zero is not produced.
 */
export function numberRangeExpr(
  lo: NumericBound | null,
  hi: NumericBound | null,
  integerOnly: boolean,
): GrammarExpr | null {
  const alts: GrammarExpr[] = [];
  if (hi === null || hi.value >= 0) {
    const low = lo !== null && lo.value >= 0 ? decimalBound(lo.value, lo.strict) : null;
    const nonNeg =
      hi !== null && hi.value === 0 && hi.strict
        ? null
        : nonNegativeExpr(low, hi && decimalBound(hi.value, hi.strict), integerOnly);
    if (nonNeg !== null) alts.push(nonNeg);
  }
  if (lo === null || lo.value < 0) {
    // x = -D with D > 0: x >= lo  <=>  D <= -lo;  x <= hi  <=>  D >= -hi.
    const dLow = hi !== null && hi.value < 0 ? decimalBound(hi.value, hi.strict) : decimalBound(0, true);
    const dHigh = lo === null ? null : decimalBound(lo.value, lo.strict);
    const neg = nonNegativeExpr(dLow, dHigh, integerOnly);
    if (neg !== null) alts.push(g.seq(g.lit("-"), neg));
  }
  return alts.length === 0 ? null : altOf(alts);
}
