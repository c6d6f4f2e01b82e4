/**
 * Object and array branches of the JSON Schema front end.
 *
 * Objects: declared properties in schema order (required ones present, optional ones optional),
 * then any additional properties (keys other than the declared names). Arrays: `prefixItems`
 * positions, then `items`, with `minItems` / `maxItems` as exact counts.
 */

import { type GrammarExpr, g } from "./grammar-ast.js";
import type { SchemaDocument } from "./json-schema-document.js";
import type { FlatSchema, Sub } from "./json-schema-flat.js";
import { type JsonGrammarContext, seqOf, token, wsExpr } from "./json-schema-json-text.js";
import { keyExpr, keyNotInExpr } from "./json-schema-keys.js";

/** What the container builders need from the compiler. */
export interface ContainerContext {
  readonly json: JsonGrammarContext;
  readonly doc: SchemaDocument;
  /** Compiles a conjunction of subschemas; `null` = accepts nothing. */
  compileSub(conj: Sub, ptr: string): GrammarExpr | null;
  /** A rule name not used yet, starting with `prefix`. */
  freshName(prefix: string): string;
}

interface Member {
  readonly name: string;
  readonly required: boolean;
  readonly expr: GrammarExpr;
}

/** `"name" : value` with the whitespace policy (value followed by optional whitespace). */
function memberExpr(cc: ContainerContext, key: GrammarExpr, value: GrammarExpr): GrammarExpr {
  const ws = wsExpr(cc.json);
  return seqOf(key, ws, token(cc.json, ":"), value, ws);
}

function collectMembers(cc: ContainerContext, flat: FlatSchema): Member[] | null {
  const members: Member[] = [];
  const names = [...flat.properties.keys()];
  for (const name of flat.required) if (!flat.properties.has(name)) names.push(name);
  for (const name of names) {
    const conj = flat.properties.get(name) ?? flat.additionalProperties ?? [];
    const required = flat.required.has(name);
    const expr = cc.compileSub(conj, `${flat.ptr}/properties/${name}`);
    if (expr === null && required) return null;
    if (expr !== null) members.push({ name, required, expr });
  }
  return members;
}

/** Checks min/maxProperties; `false` = no object can satisfy them. */
function checkPropertyCounts(
  cc: ContainerContext,
  flat: FlatSchema,
  members: Member[],
  open: boolean,
): boolean {
  const numRequired = members.filter((m) => m.required).length;
  const maxPossible = open ? Number.POSITIVE_INFINITY : members.length;
  if (flat.minProperties !== undefined) {
    if (flat.minProperties > maxPossible) return false;
    if (flat.minProperties > numRequired)
      cc.doc.refuse("minProperties", flat.ptr, "more than the required properties");
  }
  if (flat.maxProperties !== undefined) {
    if (numRequired > flat.maxProperties) return false;
    if (maxPossible > flat.maxProperties)
      cc.doc.refuse("maxProperties", flat.ptr, "fewer than the possible properties");
  }
  return true;
}

/** The grammar of an object satisfying `flat`'s object keywords, or `null` if none can. */
export function objectSchemaExpr(cc: ContainerContext, flat: FlatSchema): GrammarExpr | null {
  const members = collectMembers(cc, flat);
  if (members === null) return null;
  const extraValue = cc.compileSub(flat.additionalProperties ?? [], `${flat.ptr}/additionalProperties`);
  if (!checkPropertyCounts(cc, flat, members, extraValue !== null)) return null;
  const declared = new Set([...flat.properties.keys(), ...flat.required]);
  const extra = extraValue === null ? null : memberExpr(cc, keyNotInExpr(cc.json, declared), extraValue);
  const comma = token(cc.json, ",");
  const base = cc.freshName("object");
  // after[i]: members i.. when some member was already written (each needs a leading comma).
  // The tail of extra members is right-recursive, so the parser decides at `}`, not at `,`.
  let after: GrammarExpr = g.empty();
  if (extra !== null) {
    const tail = `${base}-extra`;
    cc.json.rules.set(tail, g.alt(g.seq(comma, extra, g.ref(tail)), g.empty()));
    after = g.ref(tail);
  }
  // first: members i.. when none was written yet.
  let first: GrammarExpr = extra === null ? g.empty() : g.alt(g.seq(extra, after), g.empty());
  for (let i = members.length - 1; i >= 0; i--) {
    const m = members[i] as Member;
    const kv = memberExpr(cc, keyExpr(m.name), m.expr);
    const name = `${base}-after-${i + 1}`;
    cc.json.rules.set(name, after);
    const rest = g.ref(name);
    const withComma = g.seq(comma, kv, rest);
    after = m.required ? withComma : g.alt(withComma, rest);
    first = m.required ? g.seq(kv, rest) : g.alt(g.seq(kv, rest), first);
  }
  return seqOf(token(cc.json, "{"), first, g.lit("}"));
}

function arrayBounds(
  flat: FlatSchema,
  prefix: (GrammarExpr | null)[],
  item: GrammarExpr | null,
): [number, number | null] {
  let max = flat.maxItems ?? null;
  const firstImpossible = prefix.indexOf(null);
  if (firstImpossible >= 0) max = Math.min(max ?? firstImpossible, firstImpossible);
  if (item === null) max = Math.min(max ?? prefix.length, prefix.length);
  return [flat.minItems ?? 0, max];
}

/** `count` elements in `[min, max]` of `elem`, the first without a comma. */
function elementList(cc: ContainerContext, elem: GrammarExpr, min: number, max: number | null): GrammarExpr {
  if (max === 0) return g.empty();
  const comma = token(cc.json, ",");
  const list = g.seq(elem, g.rep(g.seq(comma, elem), Math.max(0, min - 1), max === null ? null : max - 1));
  return min > 0 ? list : g.rep(list, 0, 1);
}

/** The grammar of an array satisfying `flat`'s array keywords, or `null` if none can. */
export function arraySchemaExpr(cc: ContainerContext, flat: FlatSchema): GrammarExpr | null {
  const prefix = (flat.prefixItems ?? []).map((conj, i) =>
    cc.compileSub(conj, `${flat.ptr}/prefixItems/${i}`),
  );
  const item = cc.compileSub(flat.items ?? [], `${flat.ptr}/items`);
  const [min, max] = arrayBounds(flat, prefix, item);
  if (max !== null && min > max) return null;
  if (flat.uniqueItems && (max === null || max > 1))
    cc.doc.refuse("uniqueItems", flat.ptr, "arrays of 2 or more items");
  const ws = wsExpr(cc.json);
  const comma = token(cc.json, ",");
  const positional = prefix.slice(0, max ?? prefix.length).map((e) => seqOf(e as GrammarExpr, ws));
  const k = positional.length;
  let body: GrammarExpr;
  const tailMax = max === null ? null : max - k;
  if (k === 0) body = item === null ? g.empty() : elementList(cc, seqOf(item, ws), min, max);
  else {
    // after[i]: elements i+1.. once element i (1-based) is written.
    let after: GrammarExpr =
      item === null || tailMax === 0
        ? g.empty()
        : g.rep(g.seq(comma, seqOf(item, ws)), Math.max(0, min - k), tailMax);
    for (let i = k - 1; i >= 1; i--) {
      const next = g.seq(comma, positional[i] as GrammarExpr, after);
      after = i + 1 <= min ? next : g.rep(next, 0, 1);
    }
    const list = g.seq(positional[0] as GrammarExpr, after);
    body = min >= 1 ? list : g.rep(list, 0, 1);
  }
  return seqOf(token(cc.json, "["), body, g.lit("]"));
}
