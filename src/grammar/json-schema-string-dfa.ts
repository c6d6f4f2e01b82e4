/**
 * String languages of JSON Schema as DFAs over decoded characters, and their grammar over JSON
 * string bodies: every `pattern` (search semantics) and known `format` (whole string) must match,
 * no negated pattern may, the value must not be an excluded one, and the length (in code points)
 * must lie in range. Each constraint is one DFA (patterns cached across compiles); the language is
 * their product. The grammar writes each character as `JSON.stringify` does (one spelling per
 * character, so exclusions and negations stay exact).
 */

import { UnsupportedSchemaError } from "../errors.js";
import {
  type CharDfa,
  DfaTooLarge,
  isEmptyDfa,
  lengthDfa,
  minimize,
  type ProductPart,
  productDfa,
  wordsDfa,
} from "./char-dfa.js";
import { emitLeftLinear, emitRightLinear } from "./dfa-rules.js";
import { type CodePointRange, type GrammarExpr, g } from "./grammar-ast.js";
import { FORMAT_PATTERNS } from "./json-schema-formats.js";
import type { NotPattern } from "./json-schema-internal.js";
import { altOf, escapeSpellingsRef, JSON_RAW_CHAR_RANGES } from "./json-schema-json-text.js";
import { intersectRanges } from "./regex-charset.js";
import { regexDfa } from "./regex-dfa.js";
import { parseRegex, parseRegexSearch } from "./regex-parser.js";

/** Most states of a product automaton (beyond: refused by the keyword that made it large). */
export const MAX_PRODUCT_STATES = 4_000;
const MAX_CACHED = 512;
const cache = new Map<string, CharDfa | null>();

/**
 * The minimal DFA of a pattern (`whole`: matched against the whole string, else searched), or
 * null when it is too large; cached across compiles. Throws the regex parser's GrammarError.
 */
export function patternDfa(source: string, whole: boolean): CharDfa | null {
  const key = `${whole ? "w" : "s"}:${source}`;
  if (cache.has(key)) return cache.get(key) ?? null;
  const raw = regexDfa(whole ? parseRegex(source) : parseRegexSearch(source));
  const dfa = raw === null ? null : minimize(raw);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(key, dfa);
  return dfa;
}

/** The constraints of one string schema. */
export interface StringConstraints {
  readonly patterns: readonly string[];
  /** Known format names only (the caller drops unknown ones). */
  readonly formats: readonly string[];
  readonly notPatterns: readonly NotPattern[];
  readonly excluded: readonly string[];
  readonly minLength: number;
  readonly maxLength: number | null;
}

function partFor(
  source: string,
  whole: boolean,
  keyword: string,
  ptr: string,
  required: boolean,
): ProductPart {
  let dfa: CharDfa | null;
  try {
    dfa = patternDfa(source, whole);
  } catch (e) {
    throw new UnsupportedSchemaError(keyword, ptr, (e as Error).message);
  }
  if (dfa === null) throw new UnsupportedSchemaError(keyword, ptr, "automaton too large");
  return { dfa, required };
}

/**
 * The DFA of the strings satisfying `c`, or null when none does. Throws UnsupportedSchemaError
 * naming the keyword when a regex is unsupported or the product grows past its budget.
 */
export function stringLanguageDfa(c: StringConstraints, ptr: string): CharDfa | null {
  const parts: ProductPart[] = [];
  for (const p of c.patterns) parts.push(partFor(p, false, "pattern", ptr, true));
  for (const f of c.formats) parts.push(partFor(FORMAT_PATTERNS[f] as string, true, "format", ptr, true));
  if (c.minLength > 0 || c.maxLength !== null)
    parts.push({ dfa: lengthDfa(c.minLength, c.maxLength), required: true });
  const numRequired = parts.length;
  for (const p of c.notPatterns) parts.push(partFor(p.source, p.whole, "not", ptr, false));
  if (c.excluded.length > 0) parts.push({ dfa: wordsDfa(c.excluded), required: false });
  if (parts.length === 0) parts.push({ dfa: lengthDfa(0, null), required: true });
  const want = (1 << numRequired) - 1;
  const all = (1 << parts.length) - 1;
  let dfa: CharDfa;
  try {
    dfa = productDfa(parts, (mask) => ((mask & all) === want ? 0 : -1), MAX_PRODUCT_STATES);
  } catch (e) {
    if (!(e instanceof DfaTooLarge)) throw e;
    const keyword =
      c.maxLength !== null && c.maxLength > 64 ? "maxLength" : c.patterns.length > 0 ? "pattern" : "format";
    throw new UnsupportedSchemaError(keyword, ptr, "combined string constraints need too large an automaton");
  }
  return isEmptyDfa(dfa) ? null : dfa;
}

const NEEDS_ESCAPE: readonly CodePointRange[] = [
  [0x00, 0x1f],
  [0x22, 0x22],
  [0x5c, 0x5c],
];

/** The JSON spellings (inside a string) of the characters in `ranges`. */
export function spellRanges(ranges: readonly CodePointRange[], rules: Map<string, GrammarExpr>): GrammarExpr {
  const raw = intersectRanges(ranges, JSON_RAW_CHAR_RANGES);
  const alts: GrammarExpr[] = raw.length > 0 ? [g.cls(raw)] : [];
  const escaped = intersectRanges(ranges, NEEDS_ESCAPE);
  if (escaped.reduce((n, [lo, hi]) => n + hi - lo + 1, 0) === 34) alts.push(escapeSpellingsRef(rules));
  else
    for (const [lo, hi] of escaped)
      for (let cp = lo; cp <= hi; cp++)
        alts.push(g.lit(JSON.stringify(String.fromCodePoint(cp)).slice(1, -1)));
  return altOf(alts);
}

/**
 * Adds rules `${prefix}-<state>` (left-linear, see dfa-rules.ts) spelling `dfa`'s strings as JSON
 * string bodies; a string ending in an accepting state of label `l` is followed by `tail(l)`
 * (for values: the closing quote). Returns the expression of the whole.
 */
export function emitBodyRules(
  dfa: CharDfa,
  prefix: string,
  rules: Map<string, GrammarExpr>,
  tail: (label: number) => GrammarExpr,
  /** Left-linear only where nothing else is parsed beside it (see dfa-rules.ts). */
  alone = true,
): GrammarExpr {
  const emit = alone ? emitLeftLinear : emitRightLinear;
  return emit(dfa, prefix, rules, (r) => spellRanges(r, rules), tail);
}
