/**
 * The string branch of the JSON Schema front end: `minLength` / `maxLength` (in code points),
 * `pattern` (ECMAScript search semantics, via the regex front end) and `format`. Regex languages
 * over decoded characters are turned into languages over JSON string bodies by writing each
 * character the way `JSON.stringify` does (other spellings, like `\u0061` for `a`, are rejected).
 */

import { UnsupportedSchemaError } from "../errors.js";
import { type GrammarExpr, g } from "./grammar-ast.js";
import { FORMAT_PATTERNS } from "./json-schema-formats.js";
import {
  altOf,
  JSON_RAW_CHAR_RANGES,
  type JsonGrammarContext,
  jsonCodePointRef,
  jsonStringRef,
  seqOf,
} from "./json-schema-json-text.js";
import { complementRanges, intersectRanges } from "./regex-charset.js";
import { determinizedRef } from "./regex-dfa.js";
import { parseRegex, parseRegexSearch } from "./regex-parser.js";

/** The string keywords of one schema. */
export interface StringKeywords {
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
}

const NEEDS_ESCAPE = [
  [0x00, 0x1f],
  [0x22, 0x22],
  [0x5c, 0x5c],
] as const;

function escapeText(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** Maps a language of decoded strings to the language of their JSON string bodies. */
export function toJsonStringBody(expr: GrammarExpr): GrammarExpr {
  switch (expr.kind) {
    case "literal":
      return g.lit(escapeText(expr.text));
    case "class": {
      const ranges = expr.negated ? complementRanges(expr.ranges) : expr.ranges;
      const raw = intersectRanges(ranges, JSON_RAW_CHAR_RANGES);
      const alts: GrammarExpr[] = raw.length > 0 ? [g.cls(raw)] : [];
      for (const [lo, hi] of intersectRanges(ranges, NEEDS_ESCAPE)) {
        for (let cp = lo; cp <= hi; cp++) alts.push(g.lit(escapeText(String.fromCodePoint(cp))));
      }
      return altOf(alts);
    }
    case "sequence":
      return g.seq(...expr.items.map(toJsonStringBody));
    case "choice":
      return g.alt(...expr.items.map(toJsonStringBody));
    case "repeat":
      return g.rep(toJsonStringBody(expr.item), expr.min, expr.max);
    case "empty":
      return expr;
    default:
      throw new Error(`unexpected ${expr.kind} in a regular expression`);
  }
}

/** Length range in code points of the strings of `expr` (`max === null`: unbounded). */
export function lengthRange(expr: GrammarExpr): [number, number | null] {
  switch (expr.kind) {
    case "literal": {
      const n = [...expr.text].length;
      return [n, n];
    }
    case "class":
      return [1, 1];
    case "empty":
      return [0, 0];
    case "sequence":
      return expr.items
        .map(lengthRange)
        .reduce(([a, b], [c, d]) => [a + c, b === null || d === null ? null : b + d], [0, 0]);
    case "choice": {
      const ranges = expr.items.map(lengthRange);
      const min = Math.min(...ranges.map((r) => r[0]));
      const max = ranges.some((r) => r[1] === null) ? null : Math.max(...ranges.map((r) => r[1] as number));
      return [min, max];
    }
    case "repeat": {
      const [a, b] = lengthRange(expr.item);
      return [a * expr.min, b === null || expr.max === null ? (b === 0 ? 0 : null) : b * expr.max];
    }
    default:
      return [0, null];
  }
}

/**
 * `expr` restricted to lengths in `[min, max]`, when that is easy to do exactly: the length is
 * already within bounds, or exactly one item of a top-level sequence is a repetition of
 * one-character units and everything else has a fixed length. `undefined` = not expressible.
 */
function restrictLength(expr: GrammarExpr, min: number, max: number | null): GrammarExpr | null | undefined {
  const [lo, hi] = lengthRange(expr);
  if (lo >= min && (max === null || (hi !== null && hi <= max))) return expr;
  if ((max !== null && lo > max) || (hi !== null && hi < min)) return null;
  const items = expr.kind === "sequence" ? expr.items : [expr];
  const free = items.filter((it) => {
    const [a, b] = lengthRange(it);
    return a !== b;
  });
  const rep = free[0];
  if (free.length !== 1 || rep?.kind !== "repeat") return undefined;
  const [ua, ub] = lengthRange(rep.item);
  if (ua !== 1 || ub !== 1) return undefined;
  const fixed = lo - rep.min;
  const newMin = Math.max(rep.min, min - fixed);
  const newMax = max === null ? rep.max : Math.min(rep.max ?? Number.POSITIVE_INFINITY, max - fixed);
  if (newMax !== null && newMax < newMin) return null;
  const replaced = g.rep(rep.item, newMin, newMax);
  return expr.kind === "sequence" ? g.seq(...items.map((it) => (it === rep ? replaced : it))) : replaced;
}

/** Largest length bound counted in the grammar (each unit of the bound is an automaton state). */
export const MAX_COUNTED = 10_000;

/** Parsed patterns and formats (immutable trees), shared by every compile of the process. */
const parsed = new Map<string, GrammarExpr>();

function parseCached(key: string, parse: () => GrammarExpr): GrammarExpr {
  let e = parsed.get(key);
  if (e === undefined) {
    e = parse();
    if (parsed.size >= 1024) parsed.delete(parsed.keys().next().value as string);
    parsed.set(key, e);
  }
  return e;
}

function contentLanguage(kw: StringKeywords, ptr: string): GrammarExpr | null {
  if (kw.pattern !== undefined && kw.format !== undefined) {
    throw new UnsupportedSchemaError("pattern", ptr, "pattern together with format");
  }
  if (kw.format !== undefined) {
    const source = FORMAT_PATTERNS[kw.format];
    if (source === undefined)
      throw new UnsupportedSchemaError("format", ptr, `unknown format "${kw.format}"`);
    return parseCached(`f:${kw.format}`, () => parseRegex(source));
  }
  if (kw.pattern !== undefined) {
    const pattern = kw.pattern;
    try {
      return parseCached(`p:${pattern}`, () => parseRegexSearch(pattern));
    } catch (e) {
      throw new UnsupportedSchemaError("pattern", ptr, (e as Error).message);
    }
  }
  return null;
}

/**
 * The grammar of a JSON string satisfying the keywords, or `null` if no string can. Throws
 * {@link UnsupportedSchemaError} for an unknown format, an unsupported regex, or length bounds
 * that cannot be combined exactly with a pattern or format.
 */
export function stringSchemaExpr(
  ctx: JsonGrammarContext,
  kw: StringKeywords,
  ptr: string,
): GrammarExpr | null {
  const min = kw.minLength ?? 0;
  const max = kw.maxLength ?? null;
  if (max !== null && max < min) return null;
  const language = contentLanguage(kw, ptr);
  const quoted = (body: GrammarExpr) => seqOf(g.lit('"'), body, g.lit('"'));
  if (language === null) {
    if (min === 0 && max === null) return jsonStringRef(ctx);
    const big = max !== null && max > MAX_COUNTED ? "maxLength" : min > MAX_COUNTED ? "minLength" : null;
    if (big)
      throw new UnsupportedSchemaError(
        big,
        ptr,
        `length bound over ${MAX_COUNTED} (one grammar state per unit)`,
      );
    return quoted(g.rep(jsonCodePointRef(ctx), min, max));
  }
  const restricted = restrictLength(language, min, max);
  if (restricted === undefined) {
    const keyword = kw.minLength !== undefined && lengthRange(language)[0] < min ? "minLength" : "maxLength";
    throw new UnsupportedSchemaError(
      keyword,
      ptr,
      `length bounds together with ${kw.format ? "format" : "pattern"}`,
    );
  }
  if (restricted === null) return null;
  const key = JSON.stringify([kw.format ?? null, kw.pattern ?? null, min, max]);
  const prefix = kw.format !== undefined && restricted === language ? `format-${kw.format}-` : "string-";
  return quoted(determinizedRef(() => toJsonStringBody(restricted), key, prefix, ctx.rules));
}
