/**
 * Presence constraints: `anyOf` / `oneOf` / `dependencies` / `if` groups whose branches only say
 * which properties an object must have or must not have (`{required: [a]}`, `{properties:
 * {b: false}}`, their negations, `dependencies` both ways). Instead of one object grammar per
 * combination of branches (exponential, and ambiguous where branches overlap), the object
 * grammar tracks, member by member, which branches of each group are still satisfiable: one
 * deterministic automaton, exact by construction.
 */

import type { FlatSchema, FlattenContext, Sub } from "./json-schema-flat.js";
import { flattenSub, mergeFlat } from "./json-schema-flat.js";
import type { JsonType } from "./json-schema-keywords.js";

/** One branch: names it requires and names it forbids. */
export interface PresenceBranch {
  readonly required: readonly string[];
  readonly forbidden: readonly string[];
  /** The branch accepts no non-object (it says `type: object`); else it accepts all of them. */
  readonly objectOnly: boolean;
}

/** A disjunction of presence branches (at most 30, one bit each). */
export type PresenceGroup = readonly PresenceBranch[];

const MAX_BRANCHES = 30;

/** Whether `f` constrains nothing at all (bar what the caller checks). */
function isTrivial(f: FlatSchema): boolean {
  return (
    f.types === undefined &&
    f.enumValues === undefined &&
    f.anyOf.length === 0 &&
    f.pending.size === 0 &&
    f.excludedValues.length === 0 &&
    f.properties.size === 0 &&
    f.required.size === 0 &&
    f.extraGroups.length === 0 &&
    !hasOtherKeywords(f)
  );
}

/** Keywords other than type/required/properties (array, string, number, counts). */
function hasOtherKeywords(f: FlatSchema): boolean {
  const fields = [
    f.minProperties,
    f.maxProperties,
    f.prefixItems,
    f.items,
    f.minItems,
    f.maxItems,
    f.uniqueItems,
  ];
  const more = [f.minLength, f.maxLength, f.lower, f.upper, f.fractional];
  const lists = [f.patterns, f.formats, f.notPatterns, f.multipleOf];
  return [...fields, ...more].some((x) => x !== undefined) || lists.some((l) => l.length > 0);
}

/** A flat branch with no disjunction left as a presence branch ("never": it accepts nothing). */
function plainBranch(ctx: FlattenContext, f: FlatSchema, ptr: string): PresenceBranch | "never" | null {
  let objectOnly = false;
  if (f.types !== undefined) {
    if (f.types.size === 0) return "never";
    // A branch about other types matters to them: not a presence branch.
    if (f.types.size !== 1 || !f.types.has("object")) return null;
    objectOnly = true;
  }
  const plain =
    f.enumValues === undefined &&
    f.pending.size === 0 &&
    f.excludedValues.length === 0 &&
    f.extraGroups.length === 0 &&
    f.presence.length === 0 &&
    f.minProperties === undefined &&
    f.maxProperties === undefined;
  // Scalar and array keywords do not matter to objects, but they do to the other types.
  if (!plain || (!objectOnly && hasOtherKeywords(f))) return null;
  const forbidden: string[] = [];
  for (const [name, sub] of f.properties) {
    const v = flattenSub(ctx, sub, ptr);
    if (v === false) forbidden.push(name);
    else if (!isTrivial(v)) return null;
  }
  return { required: [...f.required], forbidden, objectOnly };
}

/**
 * The presence branches of flat `f`: its disjunctions distributed (a branch `a ∧ (b ∨ c)` is the
 * branches `a ∧ b` and `a ∧ c`: the same union), or null when some part says more than presence.
 */
function flatBranches(
  ctx: FlattenContext,
  f: FlatSchema,
  ptr: string,
  budget: { left: number },
): PresenceBranch[] | null {
  const [group, ...others] = f.anyOf;
  if (group === undefined) {
    const b = plainBranch(ctx, f, ptr);
    return b === null ? null : b === "never" ? [] : [b];
  }
  const out: PresenceBranch[] = [];
  for (const choice of group) {
    if (--budget.left < 0) return null;
    const c = flattenSub(ctx, choice, ptr);
    if (c === false) continue;
    const more = flatBranches(ctx, mergeFlat({ ...f, anyOf: others }, c), ptr, budget);
    if (more === null) return null;
    out.push(...more);
  }
  return out;
}

/**
 * The presence group of an `anyOf`-style group of branches, or null when some branch says more
 * than which properties are present. An empty group means no branch can hold.
 */
export function presenceGroup(ctx: FlattenContext, group: readonly Sub[], ptr: string): PresenceGroup | null {
  if (group.length > MAX_BRANCHES) return null;
  const out: PresenceBranch[] = [];
  const budget = { left: MAX_BRANCHES };
  for (const b of group) {
    const f = flattenSub(ctx, b, ptr);
    const p = f === false ? [] : flatBranches(ctx, f, ptr, budget);
    if (p === null) return null;
    out.push(...p);
  }
  return out.length > MAX_BRANCHES ? null : out;
}

/** The property names a set of groups talks about, in first-seen order. */
export function presenceNames(groups: readonly PresenceGroup[]): string[] {
  const names = new Set<string>();
  for (const gr of groups) for (const b of gr) for (const n of [...b.required, ...b.forbidden]) names.add(n);
  return [...names];
}

/** Per group, the bitmask of branches still possible after `name` is present / absent. */
export interface PresenceStep {
  readonly ifPresent: Int32Array;
  readonly ifAbsent: Int32Array;
}

/** The step masks of property `name` for every group. */
export function presenceStep(groups: readonly PresenceGroup[], name: string): PresenceStep {
  const ifPresent = new Int32Array(groups.length);
  const ifAbsent = new Int32Array(groups.length);
  groups.forEach((gr, g) => {
    gr.forEach((b, k) => {
      if (!b.forbidden.includes(name)) ifPresent[g] = (ifPresent[g] as number) | (1 << k);
      if (!b.required.includes(name)) ifAbsent[g] = (ifAbsent[g] as number) | (1 << k);
    });
  });
  return { ifPresent, ifAbsent };
}

/** `masks & step` per group, or null when some group has no branch left. */
export function applyStep(masks: readonly number[], step: Int32Array): number[] | null {
  const out = masks.map((m, g) => m & (step[g] as number));
  return out.some((m) => m === 0) ? null : out;
}

/** Moves the presence-only `anyOf` groups of `f` into `f.presence` (tracked by the object grammar). */
export function extractPresence(ctx: FlattenContext, f: FlatSchema): FlatSchema {
  const kept: Sub[][] = [];
  const found: PresenceGroup[] = [];
  for (const group of f.anyOf) {
    const p = presenceGroup(ctx, group, f.ptr);
    if (p === null) kept.push(group);
    else found.push(p);
  }
  if (found.length === 0) return f;
  const out: FlatSchema = { ...f, anyOf: kept, presence: [...f.presence, ...found] };
  if (!allowsNonObjects(found))
    out.types = new Set<JsonType>(f.types === undefined || f.types.has("object") ? ["object"] : []);
  return out;
}

/** Whether non-objects satisfy every group (some branch of each does not say `type: object`). */
export function allowsNonObjects(groups: readonly PresenceGroup[]): boolean {
  return groups.every((gr) => gr.some((b) => !b.objectOnly));
}
