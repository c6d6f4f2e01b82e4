/**
 * Proving that `oneOf` branches are pairwise disjoint, so that `oneOf` can be compiled as `anyOf`
 * (an instance valid against two branches would be invalid for `oneOf` but accepted by `anyOf`).
 * Sound, not complete: two branches are disjoint when every JSON type both allow is told apart by
 * disjoint `enum`/`const` values or, for objects, by a property both require with disjoint
 * schemas, or that one requires and the other forbids.
 */

import {
  type FlatSchema,
  type FlattenContext,
  flattenSub,
  memberValue,
  type Sub,
} from "./json-schema-flat.js";
import { canonicalJson, type JsonType, jsonTypeOf } from "./json-schema-keywords.js";

type Category = "null" | "boolean" | "object" | "array" | "string" | "int" | "frac";

const ALL: readonly Category[] = ["null", "boolean", "object", "array", "string", "int", "frac"];
const MAX_DEPTH = 4;

function categoryOfType(t: JsonType): Category[] {
  if (t === "number") return ["int", "frac"];
  if (t === "integer") return ["int"];
  return [t];
}

function categoryOfValue(v: unknown): Category {
  const t = jsonTypeOf(v);
  return t === "number" ? "frac" : t === "integer" ? "int" : t;
}

function categories(f: FlatSchema): Set<Category> {
  let out = new Set<Category>(f.types ? [...f.types].flatMap(categoryOfType) : ALL);
  if (f.enumValues !== undefined) {
    const ofValues = new Set(f.enumValues.map(categoryOfValue));
    out = new Set([...out].filter((c) => ofValues.has(c)));
  }
  return out;
}

function valuesIn(f: FlatSchema, c: Category): Set<string> | null {
  if (f.enumValues === undefined) return null;
  return new Set(f.enumValues.filter((v) => categoryOfValue(v) === c).map(canonicalJson));
}

/** Whether `f` accepts no object with property `name` (declared `false`, or closed to extras). */
function forbids(ctx: FlattenContext, f: FlatSchema, name: string): boolean {
  return flattenSub(ctx, memberValue(f, name), f.ptr) === false;
}

function objectsDisjoint(ctx: FlattenContext, a: FlatSchema, b: FlatSchema, depth: number): boolean {
  for (const name of a.required) if (forbids(ctx, b, name)) return true;
  for (const name of b.required) if (forbids(ctx, a, name)) return true;
  if (depth >= MAX_DEPTH) return false;
  for (const name of a.required) {
    if (!b.required.has(name)) continue;
    const pa = flattenSub(ctx, memberValue(a, name), a.ptr);
    const pb = flattenSub(ctx, memberValue(b, name), b.ptr);
    if (flatDisjoint(ctx, pa, pb, depth + 1)) return true;
  }
  return false;
}

function flatDisjoint(
  ctx: FlattenContext,
  a: FlatSchema | false,
  b: FlatSchema | false,
  depth: number,
): boolean {
  if (a === false || b === false) return true;
  const cb = categories(b);
  for (const c of categories(a)) {
    if (!cb.has(c)) continue;
    const va = valuesIn(a, c);
    const vb = valuesIn(b, c);
    if (va !== null && vb !== null && [...va].every((v) => !vb.has(v))) continue;
    if (c === "object" && objectsDisjoint(ctx, a, b, depth)) continue;
    return false;
  }
  return true;
}

/** A prover for {@link FlattenContext.proveDisjoint}, guarding against recursive schemas. */
export function makeDisjointnessProver(
  getCtx: () => FlattenContext,
): (branches: Sub[], ptr: string) => boolean {
  let active = 0;
  return (branches, ptr) => {
    if (active > MAX_DEPTH) return false;
    active++;
    try {
      const ctx = getCtx();
      const flats = branches.map((b) => flattenSub(ctx, b, ptr));
      for (let i = 0; i < flats.length; i++) {
        for (let j = i + 1; j < flats.length; j++) {
          if (!flatDisjoint(ctx, flats[i] as FlatSchema | false, flats[j] as FlatSchema | false, 0))
            return false;
        }
      }
      return true;
    } finally {
      active--;
    }
  };
}
