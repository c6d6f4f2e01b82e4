/**
 * ECMAScript regular expressions (the subset that makes sense for constrained decoding, as in
 * xgrammar and outlines) → {@link GrammarExpr}.
 *
 * Supported: literals, escapes (`\n \r \t \v \f \0 \cX \xHH \uHHHH \u{H…}` and escaped syntax
 * characters), classes (`[...]`, `[^...]`, ranges, `\d \w \s \D \W \S`), `.` (any code point but
 * a line terminator), groups (capturing, non-capturing, named), `|`, quantifiers `* + ? {m}
 * {m,} {m,n}` (lazy forms are treated as greedy: we match whole strings, so laziness does not
 * change the language), and `^` / `$` only at the start / end of a top-level alternative.
 * Refused by name with a `GrammarError`: backreferences, lookahead, lookbehind, word
 * boundaries, Unicode property escapes, inline modifiers, anchors anywhere else.
 * Like JavaScript without the `u` flag, a `{`, `}` or `]` that cannot be syntax is a literal.
 */

import { type GrammarExpr, g } from "./grammar-ast.js";
import { LINE_TERMINATOR_RANGES } from "./regex-charset.js";
import { RegexCursor } from "./regex-cursor.js";
import { parseRegexClass, parseRegexEscape, type RegexAtomEscape } from "./regex-escapes.js";

/** One top-level alternative of a pattern, with its anchors split off. */
export interface RegexAlternative {
  readonly expr: GrammarExpr;
  /** The alternative started with `^`. */
  readonly anchoredStart: boolean;
  /** The alternative ended with `$`. */
  readonly anchoredEnd: boolean;
}

type Term = GrammarExpr | "^" | "$";

const MAX_REPEAT = 100_000;

function escapeToExpr(esc: RegexAtomEscape): GrammarExpr {
  if (esc.kind === "char") return g.lit(String.fromCodePoint(esc.cp));
  return g.cls(esc.ranges, esc.negated);
}

function parseGroup(cur: RegexCursor, depth: number): GrammarExpr {
  const at = cur.pos;
  cur.pos++; // (
  if (cur.peekChar() === "?") {
    const next = cur.peekChar(1);
    const after = cur.peekChar(2);
    if (next === ":") cur.pos += 2;
    else if (next === "=" || next === "!") cur.fail("lookahead assertions are not supported", at);
    else if (next === "<" && (after === "=" || after === "!"))
      cur.fail("lookbehind assertions are not supported", at);
    else if (next === "<") {
      const close = cur.indexOf(">", cur.pos + 2);
      if (close < 0) cur.fail("unterminated group name", at);
      cur.pos = close + 1;
    } else cur.fail("inline modifiers (?...) are not supported", at);
  }
  const body = parseDisjunction(cur, depth + 1);
  if (cur.peekChar() !== ")") cur.fail("missing ')'", at);
  cur.pos++;
  if (body.some((alt) => alt.includes("^") || alt.includes("$"))) {
    cur.fail("anchors ^ and $ are only supported at the start and end of the pattern", at);
  }
  return alternativesToExpr(body.map((alt) => alt as GrammarExpr[]));
}

function parseAtom(cur: RegexCursor, depth: number): Term | null {
  const c = cur.peekChar();
  switch (c) {
    case "":
    case "|":
    case ")":
      return null;
    case "^":
    case "$":
      cur.pos++;
      return c;
    case "(":
      return parseGroup(cur, depth);
    case "[": {
      const cls = parseRegexClass(cur);
      return g.cls(cls.ranges, cls.negated);
    }
    case ".":
      cur.pos++;
      return g.cls(LINE_TERMINATOR_RANGES, true);
    case "\\":
      return escapeToExpr(parseRegexEscape(cur, false));
    case "*":
    case "+":
    case "?":
      return cur.fail(`'${c}' has nothing to repeat`);
    default:
      if (c === "{" && cur.readBraces() !== null) cur.fail("'{' quantifier has nothing to repeat");
      cur.pos++;
      return g.lit(c);
  }
}

function parseQuantifier(cur: RegexCursor): [number, number | null] | null {
  const c = cur.peekChar();
  let bounds: [number, number | null] | null = null;
  if (c === "*") bounds = [0, null];
  else if (c === "+") bounds = [1, null];
  else if (c === "?") bounds = [0, 1];
  if (bounds !== null) cur.pos++;
  else if (c === "{") {
    const at = cur.pos;
    bounds = cur.readBraces();
    if (bounds === null) return null;
    const [min, max] = bounds;
    if (max !== null && max < min) cur.fail("numbers out of order in {} quantifier", at);
    if (min > MAX_REPEAT || (max ?? 0) > MAX_REPEAT) cur.fail("repetition count is too large", at);
  } else return null;
  if (cur.peekChar() === "?") cur.pos++; // lazy: same language
  return bounds;
}

function parseAlternative(cur: RegexCursor, depth: number): Term[] {
  const terms: Term[] = [];
  for (;;) {
    const at = cur.pos;
    const atom = parseAtom(cur, depth);
    if (atom === null) return terms;
    const bounds = parseQuantifier(cur);
    if (bounds === null) terms.push(atom);
    else if (typeof atom === "string") cur.fail(`anchor '${atom}' cannot be repeated`, at);
    else terms.push(g.rep(atom, bounds[0], bounds[1]));
  }
}

function parseDisjunction(cur: RegexCursor, depth: number): Term[][] {
  if (depth > 200) cur.fail("groups are nested too deeply");
  const alts = [parseAlternative(cur, depth)];
  while (cur.peekChar() === "|") {
    cur.pos++;
    alts.push(parseAlternative(cur, depth));
  }
  return alts;
}

function termsToExpr(terms: readonly GrammarExpr[]): GrammarExpr {
  // Merge adjacent literals so "abc" stays one literal.
  const items: GrammarExpr[] = [];
  for (const t of terms) {
    const last = items[items.length - 1];
    if (t.kind === "literal" && last?.kind === "literal") items[items.length - 1] = g.lit(last.text + t.text);
    else items.push(t);
  }
  if (items.length === 0) return g.empty();
  return items.length === 1 ? (items[0] as GrammarExpr) : g.seq(...items);
}

function alternativesToExpr(alts: readonly (readonly GrammarExpr[])[]): GrammarExpr {
  const exprs = alts.map(termsToExpr);
  return exprs.length === 1 ? (exprs[0] as GrammarExpr) : g.alt(...exprs);
}

function splitAnchors(cur: RegexCursor, terms: Term[]): RegexAlternative {
  const anchoredStart = terms[0] === "^";
  const anchoredEnd = terms.length > (anchoredStart ? 1 : 0) && terms[terms.length - 1] === "$";
  const body = terms.slice(anchoredStart ? 1 : 0, anchoredEnd ? -1 : undefined);
  for (const t of body) {
    if (typeof t === "string") cur.fail(`anchor '${t}' is only supported at the start or end of the pattern`);
  }
  return { expr: termsToExpr(body as GrammarExpr[]), anchoredStart, anchoredEnd };
}

/** Parses `pattern` into its top-level alternatives (anchors split off). */
export function parseRegexAlternatives(pattern: string): RegexAlternative[] {
  const cur = new RegexCursor(pattern);
  const alts = parseDisjunction(cur, 0);
  if (!cur.atEnd()) cur.fail("unmatched ')'");
  return alts.map((terms) => splitAnchors(cur, terms));
}

/**
 * The language of `pattern` matched against a whole string (as `^(?:pattern)$`): anchors at the
 * ends are accepted and change nothing.
 */
export function parseRegex(pattern: string): GrammarExpr {
  const alts = parseRegexAlternatives(pattern).map((a) => a.expr);
  return alts.length === 1 ? (alts[0] as GrammarExpr) : g.alt(...alts);
}

const ANY: GrammarExpr = g.rep(g.cls([], true), 0, null);

/**
 * The strings in which `pattern` finds a match (ECMAScript `RegExp.prototype.test` semantics, as
 * JSON Schema's `pattern` uses): an alternative not anchored with `^` / `$` may be preceded /
 * followed by anything.
 */
export function parseRegexSearch(pattern: string): GrammarExpr {
  const alts = parseRegexAlternatives(pattern).map((a) => {
    const items = [a.anchoredStart ? null : ANY, a.expr, a.anchoredEnd ? null : ANY];
    const kept = items.filter((x): x is GrammarExpr => x !== null && x.kind !== "empty");
    if (kept.length === 0) return g.empty();
    return kept.length === 1 ? (kept[0] as GrammarExpr) : g.seq(...kept);
  });
  return alts.length === 1 ? (alts[0] as GrammarExpr) : g.alt(...alts);
}
