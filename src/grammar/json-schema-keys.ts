/**
 * Grammars for object keys: one known name, or any name except a given set (for
 * `additionalProperties`, whose keys must differ from the declared properties). Keys are written
 * as `JSON.stringify` writes them, one spelling per name, so excluding names is exact.
 */

import { type GrammarExpr, g } from "./grammar-ast.js";
import {
  altOf,
  ensureRule,
  JSON_RAW_CHAR_RANGES,
  type JsonGrammarContext,
  seqOf,
} from "./json-schema-json-text.js";
import { subtractRanges } from "./regex-charset.js";

/** The canonical spelling (inside quotes) of each code point of `name`. */
function units(name: string): string[] {
  return Array.from(name, (ch) => JSON.stringify(ch).slice(1, -1));
}

/** Escapes `JSON.stringify` writes: controls, `"` and `\`. */
const ESCAPED_UNITS: readonly string[] = Array.from({ length: 0x20 }, (_, cp) => String.fromCodePoint(cp))
  .concat(['"', "\\"])
  .map((ch) => JSON.stringify(ch).slice(1, -1));

/** One canonically written character other than those spelled by `excluded`. */
function unitNotIn(excluded: ReadonlySet<string>): GrammarExpr | null {
  const rawExcluded = [...excluded].filter((u) => !u.startsWith("\\")).map((u) => u.codePointAt(0) as number);
  const raw = subtractRanges(
    JSON_RAW_CHAR_RANGES,
    rawExcluded.map((cp) => [cp, cp] as const),
  );
  const alts: GrammarExpr[] = raw.length > 0 ? [g.cls(raw)] : [];
  for (const u of ESCAPED_UNITS) if (!excluded.has(u)) alts.push(g.lit(u));
  return alts.length === 0 ? null : altOf(alts);
}

/** Any canonically written key character, as a rule. */
function anyUnitRef(ctx: JsonGrammarContext): GrammarExpr {
  return ensureRule(ctx, "json-key-char", () => unitNotIn(new Set()) as GrammarExpr);
}

interface TrieNode {
  terminal: boolean;
  readonly children: Map<string, TrieNode>;
}

function buildTrie(names: Iterable<string>): TrieNode {
  const root: TrieNode = { terminal: false, children: new Map() };
  for (const name of names) {
    let node = root;
    for (const u of units(name)) {
      let next = node.children.get(u);
      if (next === undefined) {
        next = { terminal: false, children: new Map() };
        node.children.set(u, next);
      }
      node = next;
    }
    node.terminal = true;
  }
  return root;
}

/** Key bodies that continue from `node` and do not end on an excluded name. */
function bodyNotIn(ctx: JsonGrammarContext, node: TrieNode): GrammarExpr {
  const alts: GrammarExpr[] = [];
  if (!node.terminal) alts.push(g.empty());
  const other = unitNotIn(new Set(node.children.keys()));
  if (other !== null) alts.push(seqOf(other, g.rep(anyUnitRef(ctx), 0, null)));
  for (const [u, child] of node.children) alts.push(seqOf(g.lit(u), bodyNotIn(ctx, child)));
  return altOf(alts);
}

/** A quoted key that is none of `names` (any key when `names` is empty). */
export function keyNotInExpr(ctx: JsonGrammarContext, names: Iterable<string>): GrammarExpr {
  return seqOf(g.lit('"'), bodyNotIn(ctx, buildTrie(names)), g.lit('"'));
}

/** The quoted key `name`. */
export function keyExpr(name: string): GrammarExpr {
  return g.lit(JSON.stringify(name));
}
