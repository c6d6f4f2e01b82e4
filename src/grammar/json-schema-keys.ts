/**
 * Grammars for object keys: one known name, or any name except a given set (for
 * `additionalProperties`, whose keys must differ from the declared properties). Keys are written
 * as `JSON.stringify` writes them, one spelling per name, so excluding names is exact.
 */

import { type GrammarExpr, g } from "./grammar-ast.js";
import {
  altOf,
  ESCAPE_SPELLINGS,
  ensureRule,
  escapeSpellingsRef,
  JSON_RAW_CHAR_RANGES,
  type JsonGrammarContext,
  seqOf,
} from "./json-schema-json-text.js";
import { subtractRanges } from "./regex-charset.js";

/** The canonical spelling (inside quotes) of each code point of `name`. */
function units(name: string): string[] {
  return Array.from(name, (ch) => JSON.stringify(ch).slice(1, -1));
}

/** One canonically written character other than those spelled by `excluded`. */
function unitNotIn(ctx: JsonGrammarContext, excluded: ReadonlySet<string>): GrammarExpr | null {
  const rawExcluded = [...excluded].filter((u) => !u.startsWith("\\")).map((u) => u.codePointAt(0) as number);
  const raw = subtractRanges(
    JSON_RAW_CHAR_RANGES,
    rawExcluded.map((cp) => [cp, cp] as const),
  );
  const alts: GrammarExpr[] = raw.length > 0 ? [g.cls(raw)] : [];
  if (ESCAPE_SPELLINGS.some((u) => excluded.has(u))) {
    for (const u of ESCAPE_SPELLINGS) if (!excluded.has(u)) alts.push(g.lit(u));
  } else alts.push(escapeSpellingsRef(ctx.rules));
  return alts.length === 0 ? null : altOf(alts);
}

/** Any canonically written key character, as a rule. */
function anyUnitRef(ctx: JsonGrammarContext): GrammarExpr {
  return ensureRule(ctx, "json-key-char", () => unitNotIn(ctx, new Set()) as GrammarExpr);
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
  const other = unitNotIn(ctx, new Set(node.children.keys()));
  // Once off the trie any rest is fine: one shared rule, so its LR states exist once. The loop
  // starts after an empty anchor, so each lap's reduction reads the anchor's state, shared by
  // every trie position, not the position's own state: token masks off the trie then depend on
  // shared stack entries only (one cached mask serves every key of the grammar).
  const anchor = ensureRule(ctx, "json-key-anchor", () => g.empty());
  const rest = ensureRule(ctx, "json-key-rest", () => g.seq(anchor, g.rep(anyUnitRef(ctx), 0, null)));
  if (other !== null) alts.push(seqOf(other, rest));
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
