/**
 * Scalar branches of the JSON Schema front end: strings (length, patterns, formats, negated
 * patterns, excluded values) and numbers (bounds, `multipleOf` where it means "integer",
 * excluded values). One pattern or format with compatible length bounds keeps the simple
 * construction of json-schema-strings.ts; anything else goes through the DFA product of
 * json-schema-string-dfa.ts.
 */

import { UnsupportedSchemaError } from "../errors.js";
import { type CharDfa, isEmptyDfa, productDfa } from "./char-dfa.js";
import { type GrammarExpr, g } from "./grammar-ast.js";
import type { SchemaDocument } from "./json-schema-document.js";
import type { FlatSchema } from "./json-schema-flat.js";
import { FORMAT_PATTERNS } from "./json-schema-formats.js";
import {
  altOf,
  type JsonGrammarContext,
  jsonIntegerRef,
  jsonNumberRef,
  seqOf,
} from "./json-schema-json-text.js";
import { MAX_BOUND_DIGITS, numberRangeExpr, toDecimal } from "./json-schema-numbers.js";
import {
  emitBodyRules,
  MAX_PRODUCT_STATES,
  patternDfa,
  type StringConstraints,
  stringLanguageDfa,
} from "./json-schema-string-dfa.js";
import type { StringLanguages } from "./json-schema-string-union.js";
import { stringSchemaExpr } from "./json-schema-strings.js";
import { determinizedRef, regexDfa } from "./regex-dfa.js";

/** What the scalar builders need from the compiler. */
export interface ScalarContext {
  readonly json: JsonGrammarContext;
  readonly doc: SchemaDocument;
  freshName(prefix: string): string;
  /** Memoised string languages by constraint key (owned by the compiler). */
  readonly stringRules: Map<string, GrammarExpr>;
  /** String expressions and their languages, for unions of string branches. */
  readonly strings: StringLanguages;
}

/** Known formats of `f`; unknown ones have no assertion to enforce and are reported. */
function knownFormats(cx: ScalarContext, f: FlatSchema): string[] {
  const known = f.formats.filter((x) => FORMAT_PATTERNS[x] !== undefined);
  for (const x of f.formats) if (FORMAT_PATTERNS[x] === undefined) cx.doc.ignored.add(`format:${x}`);
  return known;
}

/** The grammar of a JSON string satisfying `f`'s string keywords, or null if none can. */
export function stringExpr(cx: ScalarContext, f: FlatSchema): GrammarExpr | null {
  const formats = knownFormats(cx, f);
  const excluded = f.excludedValues.filter((v): v is string => typeof v === "string");
  const c: StringConstraints = {
    patterns: f.patterns,
    formats,
    notPatterns: f.notPatterns,
    excluded,
    minLength: Math.max(0, Math.ceil(f.minLength ?? 0)),
    maxLength: f.maxLength === undefined ? null : Math.floor(f.maxLength),
  };
  const expr = stringBranch(cx, f, c);
  return expr === null ? null : cx.strings.register(expr, () => languageOrNull(c, f.ptr));
}

function languageOrNull(c: StringConstraints, ptr: string) {
  try {
    return stringLanguageDfa(c, ptr);
  } catch (e) {
    if (e instanceof UnsupportedSchemaError) return null;
    throw e;
  }
}

function stringBranch(cx: ScalarContext, f: FlatSchema, c: StringConstraints): GrammarExpr | null {
  const { formats, excluded } = c;
  const simple =
    f.patterns.length + formats.length <= 1 && f.notPatterns.length === 0 && excluded.length === 0;
  const kw = { minLength: f.minLength, maxLength: f.maxLength, pattern: f.patterns[0], format: formats[0] };
  if (simple) {
    try {
      return stringSchemaExpr(cx.json, kw, f.ptr);
    } catch (e) {
      const lengthIssue = e instanceof UnsupportedSchemaError && /length bounds/.test(e.message);
      if (!lengthIssue) return refused(cx, e, f);
    }
  }
  const key = JSON.stringify(c);
  const hit = cx.stringRules.get(key);
  if (hit !== undefined) return hit;
  let dfa: ReturnType<typeof stringLanguageDfa>;
  try {
    dfa = stringLanguageDfa(c, f.ptr);
  } catch (e) {
    return refused(cx, e, f);
  }
  const expr =
    dfa === null
      ? null
      : seqOf(
          g.lit('"'),
          emitBodyRules(dfa, cx.freshName("string"), cx.json.rules, () => g.lit('"')),
        );
  if (expr !== null) cx.stringRules.set(key, expr);
  return expr;
}

/** Lenient mode: the refused keyword is ignored and the string is only length-checked. */
function refused(cx: ScalarContext, e: unknown, f: FlatSchema): GrammarExpr | null {
  if (!cx.doc.lenient || !(e instanceof UnsupportedSchemaError)) throw e;
  cx.doc.ignored.add(e.keyword);
  return stringSchemaExpr(cx.json, { minLength: f.minLength, maxLength: f.maxLength }, f.ptr);
}

/** The grammar of a JSON number satisfying `f`'s numeric keywords, or null if none can. */
export function numberExpr(cx: ScalarContext, f: FlatSchema, integerOnly: boolean): GrammarExpr | null {
  let intOnly = integerOnly;
  for (const m of f.multipleOf) {
    if (m === 1 || (intOnly && Number.isInteger(1 / m))) intOnly = true;
    else cx.doc.refuse("multipleOf", f.ptr, `multipleOf ${m}`);
  }
  if (f.fractional && intOnly) return null;
  const excluded = [...new Set(f.excludedValues.filter((v): v is number => typeof v === "number"))].sort(
    (a, b) => a - b,
  );
  if (f.fractional) {
    const all =
      excluded.length > 0
        ? excludedNumbersExpr(cx, f, false, excluded)
        : numberRangeExpr(f.lower ?? null, f.upper ?? null, false);
    return all === null
      ? null
      : fractionalOnly(cx, all, JSON.stringify(["fractional", f.lower, f.upper, excluded]));
  }
  if (f.lower === undefined && f.upper === undefined && excluded.length === 0)
    return intOnly ? jsonIntegerRef(cx.json) : jsonNumberRef(cx.json);
  for (const [bound, keyword] of [
    [f.lower, "minimum"],
    [f.upper, "maximum"],
  ] as const) {
    if (bound !== undefined && toDecimal(bound.value).int.toString().length > MAX_BOUND_DIGITS) {
      cx.doc.refuse(keyword, f.ptr, "bound too large");
      return intOnly ? jsonIntegerRef(cx.json) : jsonNumberRef(cx.json);
    }
  }
  if (excluded.length === 0) return numberRangeExpr(f.lower ?? null, f.upper ?? null, intOnly);
  return excludedNumbersExpr(cx, f, intOnly, excluded);
}

/** Numbers of `expr` (a regular language of number spellings) that are not integers. */
function fractionalOnly(cx: ScalarContext, expr: GrammarExpr, key: string): GrammarExpr | null {
  const hit = cx.stringRules.get(key);
  if (hit !== undefined) return hit;
  const raw = regexDfa(expr);
  if (raw === null) {
    cx.doc.refuse("not", "", "non-integer numbers in too complex a range");
    return expr;
  }
  const frac = patternDfa("-?[0-9]+\\.[0-9]*[1-9]", true) as CharDfa;
  const dfa = productDfa(
    [
      { dfa: raw, required: true },
      { dfa: frac, required: true },
    ],
    (mask) => (mask === 3 ? 0 : -1),
    MAX_PRODUCT_STATES,
  );
  if (isEmptyDfa(dfa)) return null;
  const out = emitBodyRules(dfa, cx.freshName("fraction"), cx.json.rules, () => g.empty(), false);
  cx.stringRules.set(key, out);
  return out;
}

/** Numbers within the bounds other than `excluded` (sorted): the open intervals between them. */
function excludedNumbersExpr(
  cx: ScalarContext,
  f: FlatSchema,
  intOnly: boolean,
  excluded: readonly number[],
): GrammarExpr | null {
  const upper = f.upper ?? null;
  if (excluded.some((x) => toDecimal(x).int.toString().length > MAX_BOUND_DIGITS)) {
    cx.doc.refuse("not", f.ptr, "excluded number too large");
    return numberRangeExpr(f.lower ?? null, upper, intOnly);
  }
  const alts: GrammarExpr[] = [];
  let lo = f.lower ?? null;
  for (const x of excluded) {
    if (upper !== null && (upper.value < x || (upper.value === x && upper.strict))) break;
    if (lo !== null && (lo.value > x || (lo.value === x && lo.strict))) continue;
    const part = numberRangeExpr(lo, { value: x, strict: true }, intOnly);
    if (part !== null) alts.push(part);
    lo = { value: x, strict: true };
  }
  const last = numberRangeExpr(lo, upper, intOnly);
  if (last !== null) alts.push(last);
  if (alts.length === 0) return null;
  const key = JSON.stringify(["numbers", f.lower, upper, intOnly, excluded]);
  return determinizedRef(altOf(alts), key, "number-", cx.json.rules, false);
}
