/**
 * Object members in schema order (`propertyOrder: "schema"`, and objects past the any-order
 * budget): declared properties in schema order (required ones present, optional ones optional),
 * then undeclared ones. One rule per position, member count so far and presence masks.
 */

import { UnsupportedSchemaError } from "../errors.js";
import { type GrammarExpr, g } from "./grammar-ast.js";
import type { ContainerContext } from "./json-schema-containers.js";
import { token } from "./json-schema-json-text.js";
import type { Counts, Member } from "./json-schema-objects.js";
import { applyStep } from "./json-schema-presence.js";

/** Most member rules of one object (positions × counts × presence states). */
const MAX_MEMBER_RULES = 20_000;

/**
 * Builds the rules of one object's members, tracking how many were written (for min/max
 * properties) and which presence branches are still possible (see the module comment).
 */
export class OrderedMembers {
  private readonly memo = new Map<string, GrammarExpr | null>();
  private readonly comma: GrammarExpr;

  constructor(
    private readonly cc: ContainerContext,
    private readonly base: string,
    private readonly members: readonly Member[],
    private readonly extra: GrammarExpr | null,
    private readonly counts: Counts,
  ) {
    this.comma = token(cc.json, ",");
  }

  private next(c: number): number | null {
    if (this.counts.max !== null) return c + 1 > this.counts.max ? null : c + 1;
    return Math.min(c + 1, this.counts.cap);
  }

  private rule(key: string, build: () => GrammarExpr | null): GrammarExpr | null {
    if (this.memo.has(key)) return this.memo.get(key) ?? null;
    if (this.memo.size >= MAX_MEMBER_RULES)
      throw new UnsupportedSchemaError("anyOf", "", "object presence/count constraints need too many rules");
    const name = `${this.base}-${key}`;
    this.memo.set(key, g.ref(name));
    this.cc.json.rules.set(name, g.alt());
    const body = build();
    this.memo.set(key, body === null ? null : g.ref(name));
    if (body === null) this.cc.json.rules.delete(name);
    else this.cc.json.rules.set(name, body);
    return body === null ? null : g.ref(name);
  }

  /** Member i written (first: without a comma) then the rest, or null. */
  private take(i: number, c: number, p: readonly number[], first: boolean): GrammarExpr | null {
    const m = this.members[i] as Member;
    const n = this.next(c);
    const q = applyStep(p, m.step.ifPresent);
    const rest = n === null || q === null ? null : this.after(i + 1, n, q);
    if (rest === null) return null;
    return first ? g.seq(m.expr, rest) : g.seq(this.comma, m.expr, rest);
  }

  /** Member i skipped, or null. */
  private skip(i: number, p: readonly number[], go: (q: number[]) => GrammarExpr | null): GrammarExpr | null {
    const m = this.members[i] as Member;
    if (m.required) return null;
    const q = applyStep(p, m.step.ifAbsent);
    return q === null ? null : go(q);
  }

  /** Members i.. once `c` members were written, with presence masks `p`. */
  after(i: number, c: number, p: readonly number[]): GrammarExpr | null {
    return this.rule(`a${i}-${c}${suffix(p)}`, () => {
      if (i === this.members.length) return this.extras(c);
      return alt([this.take(i, c, p, false), this.skip(i, p, (q) => this.after(i + 1, c, q))]);
    });
  }

  /** Undeclared members once `c` members were written. */
  private extras(c: number): GrammarExpr | null {
    return this.rule(`x${c}`, () => {
      const n = this.extra === null ? null : this.next(c);
      const more = n === null ? null : this.extras(n);
      const add = more === null ? null : g.seq(this.comma, this.extra as GrammarExpr, more);
      return alt([add, c >= this.counts.min ? g.empty() : null]);
    });
  }

  /** Members i.. when none was written yet. */
  first(i: number, p: readonly number[]): GrammarExpr | null {
    return this.rule(`f${i}${suffix(p)}`, () => {
      if (i === this.members.length) {
        const one = this.next(0);
        const more = one === null || this.extra === null ? null : this.extras(one);
        return alt([
          more === null ? null : g.seq(this.extra as GrammarExpr, more),
          this.counts.min <= 0 ? g.empty() : null,
        ]);
      }
      return alt([this.take(i, 0, p, true), this.skip(i, p, (q) => this.first(i + 1, q))]);
    });
  }
}

/** Rule-name suffix of presence masks (empty when there are no presence groups). */
function suffix(p: readonly number[]): string {
  return p.length === 0 ? "" : `-p${p.join(".")}`;
}

function alt(items: (GrammarExpr | null)[]): GrammarExpr | null {
  const kept = items.filter((x): x is GrammarExpr => x !== null);
  if (kept.length === 0) return null;
  return kept.length === 1 ? (kept[0] as GrammarExpr) : g.alt(...kept);
}
