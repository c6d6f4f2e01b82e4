/**
 * GBNF (llama.cpp's grammar dialect) → {@link GrammarAst}.
 *
 * Follows llama.cpp's `llama_grammar_parser`: rules `name ::= alternatives`, rule names of
 * `[A-Za-z0-9_-]`, literals `"..."`, classes `[...]` / `[^...]` with ranges, `.` (any code
 * point), groups, `|`, postfix `* + ? {m} {m,} {m,n}` applied to the item before them,
 * `#` comments to end of line. A rule ends at a newline outside parentheses; newlines are
 * allowed after `::=`, after `|` and anywhere inside parentheses. Escapes: `\n \r \t \\ \" \[ \]`,
 * `\xNN`, `\uNNNN`, `\UNNNNNNNN`. Differences from llama.cpp: a rule defined twice is an error
 * (llama.cpp silently keeps the last), and token references (`<...>`) are refused.
 */

import { GrammarError } from "../errors.js";
import { type CodePointRange, type GrammarAst, type GrammarExpr, g } from "./grammar-ast.js";
import { normalizeRanges } from "./regex-charset.js";

const NEWLINE = 0x0a;
const CR = 0x0d;

/** A read position over the code points of a grammar text, with line:column for errors. */
class GbnfCursor {
  readonly cps: number[];
  pos = 0;

  constructor(text: string) {
    this.cps = Array.from(text, (c) => c.codePointAt(0) as number);
  }

  peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  peekChar(offset = 0): string {
    const cp = this.peek(offset);
    return cp === undefined ? "" : String.fromCodePoint(cp);
  }

  atEnd(): boolean {
    return this.pos >= this.cps.length;
  }

  /** `line:column` (1-based, columns in code points) of `at`. */
  where(at = this.pos): string {
    let line = 1;
    let col = 1;
    for (let i = 0; i < at && i < this.cps.length; i++) {
      if (this.cps[i] === NEWLINE) {
        line++;
        col = 1;
      } else col++;
    }
    return `${line}:${col}`;
  }

  fail(message: string, at = this.pos): never {
    const found = at < this.cps.length ? ` near ${JSON.stringify(this.context(at))}` : " at end of input";
    throw new GrammarError(`GBNF ${this.where(at)}: ${message}${found}`);
  }

  private context(at: number): string {
    return String.fromCodePoint(...this.cps.slice(at, at + 12));
  }

  /** Skips spaces, tabs and `#` comments, and newlines when `newlineOk`. */
  skipSpace(newlineOk: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === 0x20 || c === 0x09 || (newlineOk && (c === NEWLINE || c === CR))) this.pos++;
      else if (c === 0x23) {
        while (!this.atEnd() && this.peek() !== NEWLINE && this.peek() !== CR) this.pos++;
      } else return;
    }
  }
}

function isWordChar(cp: number | undefined): boolean {
  if (cp === undefined) return false;
  return (
    (cp >= 0x30 && cp <= 0x39) ||
    (cp >= 0x41 && cp <= 0x5a) ||
    (cp >= 0x61 && cp <= 0x7a) ||
    cp === 0x2d ||
    cp === 0x5f
  );
}

function isDigit(cp: number | undefined): boolean {
  return cp !== undefined && cp >= 0x30 && cp <= 0x39;
}

function parseName(cur: GbnfCursor): string {
  const start = cur.pos;
  while (isWordChar(cur.peek())) cur.pos++;
  if (cur.pos === start) cur.fail("expecting a rule name");
  return String.fromCodePoint(...cur.cps.slice(start, cur.pos));
}

function parseHex(cur: GbnfCursor, digits: number): number {
  const start = cur.pos;
  let value = 0;
  for (let i = 0; i < digits; i++) {
    const d = Number.parseInt(cur.peekChar(), 16);
    if (Number.isNaN(d)) cur.fail(`expecting ${digits} hex digits`, start);
    value = value * 16 + d;
    cur.pos++;
  }
  if (value > 0x10ffff) cur.fail("code point out of range", start);
  return value;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  "\\": 0x5c,
  '"': 0x22,
  "[": 0x5b,
  "]": 0x5d,
};

/** One (possibly escaped) character of a literal or class. */
function parseChar(cur: GbnfCursor): number {
  const c = cur.peek();
  if (c === undefined) cur.fail("unexpected end of input");
  if (c !== 0x5c) {
    cur.pos++;
    return c;
  }
  const esc = cur.peekChar(1);
  const at = cur.pos;
  cur.pos += 2;
  if (esc === "x") return parseHex(cur, 2);
  if (esc === "u") return parseHex(cur, 4);
  if (esc === "U") return parseHex(cur, 8);
  const simple = SIMPLE_ESCAPES[esc];
  if (simple === undefined) cur.fail(`unknown escape \\${esc}`, at);
  return simple;
}

function parseLiteral(cur: GbnfCursor): GrammarExpr {
  const start = cur.pos;
  cur.pos++; // opening quote
  const cps: number[] = [];
  while (cur.peek() !== 0x22) {
    if (cur.atEnd()) cur.fail("unterminated string literal", start);
    cps.push(parseChar(cur));
  }
  cur.pos++;
  return cps.length === 0 ? g.empty() : g.lit(String.fromCodePoint(...cps));
}

function parseClass(cur: GbnfCursor): GrammarExpr {
  const start = cur.pos;
  cur.pos++; // [
  const negated = cur.peek() === 0x5e;
  if (negated) cur.pos++;
  const ranges: CodePointRange[] = [];
  while (cur.peek() !== 0x5d) {
    if (cur.atEnd()) cur.fail("unterminated character class", start);
    const lo = parseChar(cur);
    let hi = lo;
    if (cur.peek() === 0x2d && cur.peek(1) !== 0x5d && cur.peek(1) !== undefined) {
      cur.pos++;
      hi = parseChar(cur);
      if (hi < lo) cur.fail("character range is out of order", start);
    }
    ranges.push([lo, hi]);
  }
  cur.pos++;
  return g.cls(normalizeRanges(ranges), negated);
}

function parseInt10(cur: GbnfCursor): number {
  if (!isDigit(cur.peek())) cur.fail("expecting an integer");
  let value = 0;
  while (isDigit(cur.peek())) {
    value = value * 10 + ((cur.peek() as number) - 0x30);
    if (value > 1_000_000) cur.fail("repetition count is too large");
    cur.pos++;
  }
  return value;
}

/** `{m}`, `{m,}` or `{m,n}`; the cursor is on `{`. */
function parseBraces(cur: GbnfCursor, nested: boolean): [number, number | null] {
  const start = cur.pos;
  cur.pos++;
  cur.skipSpace(nested);
  const min = parseInt10(cur);
  cur.skipSpace(nested);
  let max: number | null = min;
  if (cur.peek() === 0x2c) {
    cur.pos++;
    cur.skipSpace(nested);
    max = isDigit(cur.peek()) ? parseInt10(cur) : null;
    cur.skipSpace(nested);
  }
  if (cur.peek() !== 0x7d) cur.fail("expecting '}' to close a repetition");
  cur.pos++;
  if (max !== null && max < min) cur.fail(`repetition {${min},${max}} has max < min`, start);
  return [min, max];
}

/** Parsed rules plus where each rule was referenced (for undefined-rule errors). */
interface GbnfState {
  readonly cur: GbnfCursor;
  readonly rules: Map<string, GrammarExpr>;
  readonly refs: Map<string, number>;
}

/** Applies a postfix operator to the last item of `items`, if the cursor is on one. */
function parsePostfix(state: GbnfState, items: GrammarExpr[], nested: boolean): boolean {
  const cur: GbnfCursor = state.cur;
  const c = cur.peekChar();
  let bounds: [number, number | null];
  const at = cur.pos;
  if (c === "*") bounds = [0, null];
  else if (c === "+") bounds = [1, null];
  else if (c === "?") bounds = [0, 1];
  else if (c === "{") bounds = parseBraces(cur, nested);
  else return false;
  if (c !== "{") cur.pos++;
  const last = items.pop();
  if (last === undefined) cur.fail(`'${c}' has no preceding item to repeat`, at);
  items.push(g.rep(last, bounds[0], bounds[1]));
  cur.skipSpace(nested);
  return true;
}

/** One item (literal, class, `.`, rule reference, group), or `null` at the end of a sequence. */
function parseItem(state: GbnfState, nested: boolean): GrammarExpr | null {
  const cur: GbnfCursor = state.cur;
  const c = cur.peekChar();
  let item: GrammarExpr;
  if (c === '"') item = parseLiteral(cur);
  else if (c === "[") item = parseClass(cur);
  else if (c === ".") {
    cur.pos++;
    item = g.cls([], true);
  } else if (isWordChar(cur.peek())) {
    const at = cur.pos;
    const name = parseName(cur);
    if (!state.refs.has(name)) state.refs.set(name, at);
    item = g.ref(name);
  } else if (c === "(") {
    cur.pos++;
    cur.skipSpace(true);
    item = parseAlternates(state, true);
    if (cur.peek() !== 0x29) cur.fail("expecting ')'");
    cur.pos++;
  } else if (c === "<" || c === "!") {
    cur.fail("token references (<...>) are not supported");
  } else return null;
  cur.skipSpace(nested);
  return item;
}

function parseSequence(state: GbnfState, nested: boolean): GrammarExpr {
  const items: GrammarExpr[] = [];
  for (;;) {
    if (parsePostfix(state, items, nested)) continue;
    const item = parseItem(state, nested);
    if (item === null) break;
    items.push(item);
  }
  if (items.length === 0) return g.empty();
  return items.length === 1 ? (items[0] as GrammarExpr) : g.seq(...items);
}

function parseAlternates(state: GbnfState, nested: boolean): GrammarExpr {
  const alts = [parseSequence(state, nested)];
  while (state.cur.peek() === 0x7c) {
    state.cur.pos++;
    state.cur.skipSpace(true);
    alts.push(parseSequence(state, nested));
  }
  return alts.length === 1 ? (alts[0] as GrammarExpr) : g.alt(...alts);
}

function parseRule(state: GbnfState): void {
  const cur: GbnfCursor = state.cur;
  const at = cur.pos;
  const name = parseName(cur);
  cur.skipSpace(false);
  if (!(cur.peekChar() === ":" && cur.peekChar(1) === ":" && cur.peekChar(2) === "=")) {
    cur.fail(`expecting '::=' after rule name "${name}"`);
  }
  if (state.rules.has(name)) cur.fail(`rule "${name}" is defined twice`, at);
  cur.pos += 3;
  cur.skipSpace(true);
  state.rules.set(name, parseAlternates(state, false));
  if (cur.peek() === CR) cur.pos += cur.peek(1) === NEWLINE ? 2 : 1;
  else if (cur.peek() === NEWLINE) cur.pos++;
  else if (!cur.atEnd()) cur.fail("expecting newline or end of input");
  cur.skipSpace(true);
}

/**
 * Parses a GBNF grammar. Throws {@link GrammarError} with `line:column` on a syntax error, an
 * undefined rule or a missing start rule.
 * @param text the grammar source.
 * @param startRule the rule the grammar starts from (llama.cpp uses `root`).
 */
export function parseGbnf(text: string, startRule = "root"): GrammarAst {
  const state: GbnfState = { cur: new GbnfCursor(text), rules: new Map(), refs: new Map() };
  state.cur.skipSpace(true);
  while (!state.cur.atEnd()) parseRule(state);
  for (const [name, at] of state.refs) {
    if (!state.rules.has(name)) state.cur.fail(`undefined rule "${name}"`, at);
  }
  if (!state.rules.has(startRule)) {
    throw new GrammarError(`GBNF: the grammar has no start rule "${startRule}"`);
  }
  return { rules: state.rules, start: startRule };
}
