/**
 * The object branch of the JSON Schema front end: the members an object may write (declared,
 * required and presence names, with their value grammars) and the undeclared member, then their
 * arrangement: any order (json-schema-any-order.ts) or, with `propertyOrder: "schema"` or past
 * the any-order budget, schema order (json-schema-ordered-members.ts). An undeclared key falls in
 * one region per combination of `patternProperties` patterns it matches (a DFA product over key
 * characters, declared names excluded); each region's value schema is the conjunction the
 * keywords give it. `minProperties` / `maxProperties` are enforced by counting members in the
 * rules.
 */

import { UnsupportedSchemaError } from "../errors.js";
import { type CharDfa, DfaTooLarge, type ProductPart, productDfa, wordsDfa } from "./char-dfa.js";
import { type GrammarExpr, g } from "./grammar-ast.js";
import { type AnyOrderInput, anyOrderMembers } from "./json-schema-any-order.js";
import type { ContainerContext } from "./json-schema-containers.js";
import { type FlatSchema, memberValue, type Sub } from "./json-schema-flat.js";
import { colonExpr, seqOf, token, wsExpr } from "./json-schema-json-text.js";
import { keyExpr, keyNotInExpr } from "./json-schema-keys.js";
import type { ObjectShape } from "./json-schema-object-shapes.js";
import { OrderedMembers } from "./json-schema-ordered-members.js";
import { applyStep, type PresenceStep, presenceNames, presenceStep } from "./json-schema-presence.js";
import { emitBodyRules, MAX_PRODUCT_STATES, patternDfa } from "./json-schema-string-dfa.js";

/** Most distinct `patternProperties` patterns in one object (regions: 2^n). */
const MAX_PATTERNS = 6;
/** Most (position, count) rules one object may need for min/maxProperties. */
const MAX_COUNT_RULES = 4_000;

/** One declared (or required, or presence) member of an object. */
export interface Member {
  readonly name: string;
  readonly required: boolean;
  readonly expr: GrammarExpr;
  /** How writing / skipping this member narrows the presence groups. */
  readonly step: PresenceStep;
  /** The conjunction its value satisfies. */
  readonly value: Sub;
}

/** `: value` after a key, with the whitespace policy (value followed by optional whitespace). */
function valueTail(cc: ContainerContext, value: GrammarExpr): GrammarExpr {
  const ws = wsExpr(cc.json);
  return seqOf(colonExpr(cc.json), value, ws);
}

/** Every name the object grammar writes as a member: declared, required, then presence names. */
function memberNames(flat: FlatSchema): string[] {
  return [...new Set([...flat.properties.keys(), ...flat.required, ...presenceNames(flat.presence)])];
}

/**
 * The members, and the presence masks left after the names that cannot be present at all;
 * null when a required member cannot be written or no presence branch can hold.
 */
function collectMembers(
  cc: ContainerContext,
  flat: FlatSchema,
): { members: Member[]; masks: number[] } | null {
  const members: Member[] = [];
  let masks: number[] | null = flat.presence.map((gr) => (gr.length >= 31 ? -1 : (1 << gr.length) - 1));
  for (const name of memberNames(flat)) {
    const required = flat.required.has(name);
    const sub = memberValue(flat, name);
    const value = cc.compileSub(sub, `${flat.ptr}/properties/${name}`);
    const step = presenceStep(flat.presence, name);
    if (value === null) {
      if (required) return null;
      masks = masks && applyStep(masks, step.ifAbsent);
      continue;
    }
    members.push({ name, required, expr: seqOf(keyExpr(name), valueTail(cc, value)), step, value: sub });
  }
  return masks === null ? null : { members, masks };
}

/** The distinct patterns of the flat's extra groups. */
function allPatterns(flat: FlatSchema): string[] {
  return [...new Set(flat.extraGroups.flatMap((gr) => gr.patterns.map(([p]) => p)))];
}

/** The value conjunction of the region of keys matching exactly the patterns in `mask`. */
function regionValue(flat: FlatSchema, patterns: readonly string[], mask: number): Sub {
  const out: Sub[number][] = [];
  for (const gr of flat.extraGroups) {
    const hits = gr.patterns.filter(([p]) => (mask >> patterns.indexOf(p)) & 1);
    if (hits.length > 0) for (const [, s] of hits) out.push(...s);
    else if (gr.additional) out.push(...gr.additional);
  }
  return out;
}

/** One undeclared member (`"key": value`), or null when no undeclared key is allowed. */
function extraMember(
  cc: ContainerContext,
  flat: FlatSchema,
  declared: ReadonlySet<string>,
): GrammarExpr | null {
  const patterns = allPatterns(flat);
  if (patterns.length === 0) {
    const value = cc.compileSub(regionValue(flat, [], 0), `${flat.ptr}/additionalProperties`);
    return value === null ? null : seqOf(keyNotInExpr(cc.json, declared), valueTail(cc, value));
  }
  if (patterns.length > MAX_PATTERNS)
    cc.doc.refuse("patternProperties", flat.ptr, `more than ${MAX_PATTERNS} patterns in one object`);
  const parts: ProductPart[] = patterns
    .slice(0, MAX_PATTERNS)
    .map((p) => ({ dfa: regionDfa(flat, p), required: false }));
  const declaredBit = 1 << parts.length;
  parts.push({ dfa: wordsDfa(declared), required: false });
  const values = new Map<number, GrammarExpr | null>();
  const valueFor = (mask: number) => {
    if (!values.has(mask))
      values.set(mask, cc.compileSub(regionValue(flat, patterns, mask), `${flat.ptr}/patternProperties`));
    return values.get(mask) ?? null;
  };
  let dfa: CharDfa;
  try {
    dfa = productDfa(
      parts,
      (mask) => (mask & declaredBit || valueFor(mask) === null ? -1 : mask),
      MAX_PRODUCT_STATES,
    );
  } catch (e) {
    if (!(e instanceof DfaTooLarge)) throw e;
    cc.doc.refuse("patternProperties", flat.ptr, "key regions need too large an automaton");
    return null;
  }
  if ((dfa.label[0] as number) < 0 && (dfa.edges[0]?.length ?? 0) === 0) return null;
  const body = emitBodyRules(
    dfa,
    cc.freshName("key"),
    cc.json.rules,
    (mask) => seqOf(g.lit('"'), valueTail(cc, valueFor(mask) as GrammarExpr)),
    false, // beside the declared keys
  );
  return seqOf(g.lit('"'), body);
}

function regionDfa(flat: FlatSchema, p: string): CharDfa {
  let dfa: CharDfa | null = null;
  try {
    dfa = patternDfa(p, false);
  } catch (e) {
    throw new UnsupportedSchemaError("patternProperties", flat.ptr, (e as Error).message);
  }
  if (dfa === null)
    throw new UnsupportedSchemaError("patternProperties", flat.ptr, `pattern "${p}" too large`);
  return dfa;
}

/** Member-count limits: counts are tracked up to `cap`; `max` null = unbounded. */
export interface Counts {
  readonly min: number;
  readonly max: number | null;
  readonly cap: number;
}

function memberCounts(cc: ContainerContext, flat: FlatSchema, numMembers: number): Counts | null {
  const min = Math.max(0, Math.ceil(flat.minProperties ?? 0));
  const max = flat.maxProperties === undefined ? null : Math.floor(flat.maxProperties);
  if (max !== null && max < min) return null;
  const cap = max ?? min;
  if ((numMembers + 1) * (cap + 1) > MAX_COUNT_RULES) {
    cc.doc.refuse(max === null ? "minProperties" : "maxProperties", flat.ptr, "too many members to count");
    return { min: 0, max: null, cap: 0 };
  }
  return { min, max, cap };
}

function shapeOf(
  anyOrder: boolean,
  members: readonly Member[],
  declared: Set<string>,
  extra: GrammarExpr | null,
): ObjectShape {
  const byName = new Map(members.map((m) => [m.name, { expr: JSON.stringify(m.expr), value: m.value }]));
  return { anyOrder, members: byName, declared, extra: extra === null ? null : JSON.stringify(extra) };
}

/** The members between the braces (null: none can be written) and whether in any order. */
function arrange(
  cc: ContainerContext,
  flat: FlatSchema,
  input: Omit<AnyOrderInput, "presenceNames" | "requiredOrder">,
): { body: GrammarExpr | null; anyOrder: boolean } {
  const { members, extra, counts, masks } = input;
  const base = cc.freshName("object");
  if (cc.propertyOrder === "any") {
    const presence = new Set(presenceNames(flat.presence));
    // Too many required names for a set: they keep schema order (as with `propertyOrder: "schema"`).
    const requiredOrder = members.filter((m) => m.required).map((m) => m.name);
    const body = anyOrderMembers(
      cc,
      base,
      { ...input, presenceNames: presence, requiredOrder },
      cc.anyOrderBudget,
    );
    if (body !== undefined) return { body, anyOrder: true };
  }
  return { body: new OrderedMembers(cc, base, members, extra, counts).first(0, masks), anyOrder: false };
}

/** The grammar of an object satisfying `flat`'s object keywords, or `null` if none can. */
export function objectSchemaExpr(cc: ContainerContext, flat: FlatSchema): GrammarExpr | null {
  const collected = collectMembers(cc, flat);
  if (collected === null) return null;
  const { members, masks } = collected;
  const counts = memberCounts(cc, flat, members.length);
  if (counts === null) return null;
  const required = members.filter((m) => m.required).length;
  if (counts.max !== null && required > counts.max) return null;
  const declared = new Set(memberNames(flat));
  const extra = extraMember(cc, flat, declared);
  const { body, anyOrder } = arrange(cc, flat, { members, extra, counts, masks });
  if (body === null) return null;
  const expr = seqOf(token(cc.json, "{"), body, g.lit("}"));
  if (cc.propertyOrder === "any") cc.objectShapes.set(expr, shapeOf(anyOrder, members, declared, extra));
  return expr;
}
