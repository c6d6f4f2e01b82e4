/**
 * Object members in any order (`propertyOrder: "any"`). The rules track which *tracked* names
 * were written: required names, names of presence groups, and every declared name when
 * `minProperties` asks for more members than the required ones. A tracked name is written at most
 * once; the object may close only when every required name was written, every presence group
 * still has a branch (names not written are absent), and the member count is within bounds.
 *
 * Untracked declared names and undeclared keys may be written more than once: each occurrence is
 * checked against the key's value schema, so the parsed object satisfies the schema whichever
 * occurrence a parser keeps. `maxProperties` counts occurrences (stricter than distinct names);
 * `minProperties` past the required names tracks every declared name, so only repeated
 * undeclared keys could count twice there, as in schema order.
 *
 * Tracking a set of n names costs 2^n states. Past {@link MAX_TRACKED} names, the required names
 * form a chain instead (written in one order, {@link AnyOrderInput.requiredOrder}, other members
 * anywhere around them: n + 1 states), and only the other tracked names are tracked as a set. When even that is
 * over budget, {@link anyOrderMembers} returns undefined and the caller uses schema order (a
 * smaller, exact language).
 */

import { type GrammarExpr, g } from "./grammar-ast.js";
import type { ContainerContext } from "./json-schema-containers.js";
import { token } from "./json-schema-json-text.js";
import type { Counts, Member } from "./json-schema-objects.js";
import { applyStep } from "./json-schema-presence.js";

/** Most names tracked as a set (states: 2^n). */
const MAX_TRACKED = 7;
/** Most (chain position, written set, count) rules one object may use. */
const MAX_STATES = 512;
/** Tracking cost (states × members) one schema may spend on all its objects. */
export const ANY_ORDER_BUDGET = 12_000;

/** The members, the undeclared member, counts and presence masks of one object. */
export interface AnyOrderInput {
  readonly members: readonly Member[];
  /** One undeclared member (`"key": value`), or null when none is allowed. */
  readonly extra: GrammarExpr | null;
  readonly counts: Counts;
  /** Presence masks before any member is written (one per group; empty without groups). */
  readonly masks: readonly number[];
  /** Names of presence groups (tracked). */
  readonly presenceNames: ReadonlySet<string>;
  /** The order of the required names when they form a chain (schema order). */
  readonly requiredOrder: readonly string[];
}

/** The state budget ran out: the caller uses schema order instead. */
class TooManyStates extends Error {}

/** A state: chain position, bit set of tracked names written, member count. */
interface State {
  readonly j: number;
  readonly s: number;
  readonly c: number;
}

const keyOf = (st: State) => `${st.j}-${st.s}-${st.c}`;

class AnyOrderRules {
  private readonly finishable = new Map<string, boolean>();
  private readonly masksOf = new Map<number, readonly number[] | null>();
  private readonly memo = new Map<string, GrammarExpr>();
  private readonly created: string[] = [];
  private readonly comma: GrammarExpr;
  /** Every chain name is present in any finished object: their presence steps apply up front. */
  private readonly initialMasks: readonly number[] | null;

  constructor(
    private readonly cc: ContainerContext,
    private readonly base: string,
    private readonly input: AnyOrderInput,
    /** Member indices: the chain (in order), names tracked as a set, the others. */
    private readonly chain: readonly number[],
    private readonly tracked: readonly number[],
    private readonly untracked: readonly number[],
  ) {
    this.comma = token(cc.json, ",");
    let p: readonly number[] | null = input.masks;
    for (const i of chain) p = p && applyStep(p, this.member(i).step.ifPresent);
    this.initialMasks = p;
  }

  private get hasUntracked(): boolean {
    return this.untracked.length > 0 || this.input.extra !== null;
  }

  private next(c: number): number | null {
    const { max, cap } = this.input.counts;
    if (max !== null) return c + 1 > max ? null : c + 1;
    return Math.min(c + 1, cap);
  }

  private member(i: number): Member {
    return this.input.members[i] as Member;
  }

  /** Presence masks once the tracked names of bit set `s` are written (null: no branch left). */
  private masks(s: number): readonly number[] | null {
    const known = this.masksOf.get(s);
    if (known !== undefined) return known;
    let p = this.initialMasks;
    this.tracked.forEach((i, bit) => {
      if (p !== null && (s >> bit) & 1) p = applyStep(p, this.member(i).step.ifPresent);
    });
    this.masksOf.set(s, p);
    return p;
  }

  /** Whether the object may close in state `st`. */
  private isFinal({ j, s, c }: State): boolean {
    if (j < this.chain.length || c < this.input.counts.min) return false;
    let p = this.masks(s);
    for (const [bit, i] of this.tracked.entries()) {
      if ((s >> bit) & 1) continue;
      const m = this.member(i);
      if (m.required || p === null) return false;
      p = applyStep(p, m.step.ifAbsent);
    }
    return p !== null;
  }

  /** The states after one more member, with the member index (-1: undeclared) that leads there. */
  private moves({ j, s, c }: State): [number, State][] {
    const n = this.next(c);
    if (n === null) return [];
    const out: [number, State][] = [];
    const chained = this.chain[j];
    if (chained !== undefined) out.push([chained, { j: j + 1, s, c: n }]);
    this.tracked.forEach((i, bit) => {
      const t = s | (1 << bit);
      if (t !== s && this.masks(t) !== null) out.push([i, { j, s: t, c: n }]);
    });
    if (this.hasUntracked) {
      const same: State = { j, s, c: n };
      for (const i of this.untracked) out.push([i, same]);
      if (this.input.extra !== null) out.push([-1, same]);
    }
    return out;
  }

  /** Whether some continuation from `st` can close the object (every move makes progress). */
  private canFinish(st: State): boolean {
    const key = keyOf(st);
    const known = this.finishable.get(key);
    if (known !== undefined) return known;
    const ok = this.isFinal(st) || this.moves(st).some(([, t]) => keyOf(t) !== key && this.canFinish(t));
    this.finishable.set(key, ok);
    return ok;
  }

  /** The member rule of member `i` (-1: the undeclared member). */
  private memberRef(i: number): GrammarExpr {
    const expr = i < 0 ? (this.input.extra as GrammarExpr) : this.member(i).expr;
    return sharedRule(this.cc, expr, this.created);
  }

  /** The ways on from `st`: `lead` (a comma, or nothing first), a member, the rest; or the end. */
  private alternatives(st: State, lead: GrammarExpr | null): GrammarExpr[] {
    const out: GrammarExpr[] = [];
    for (const [i, t] of this.moves(st)) {
      if (!this.canFinish(t)) continue;
      const tail = [this.memberRef(i), this.rest(t)];
      out.push(lead === null ? g.seq(...tail) : g.seq(lead, ...tail));
    }
    if (this.isFinal(st)) out.push(g.empty());
    return out;
  }

  /** Members after at least one was written, in state `st`. */
  private rest(st: State): GrammarExpr {
    const key = keyOf(st);
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    if (this.memo.size >= MAX_STATES) throw new TooManyStates();
    const name = `${this.base}-s${key}`;
    this.cc.json.rules.set(name, g.alt());
    this.created.push(name);
    const ref = g.ref(name);
    this.memo.set(key, ref);
    this.cc.json.rules.set(name, alt(this.alternatives(st, this.comma)) as GrammarExpr);
    return ref;
  }

  /** The members of an object (between the braces), or null when no object can be written. */
  build(): GrammarExpr | null {
    const start: State = { j: 0, s: 0, c: 0 };
    if (this.initialMasks === null || !this.canFinish(start)) return null;
    return alt(this.alternatives(start, null));
  }

  /** Rules made for states so far. */
  get numStates(): number {
    return this.memo.size;
  }

  /** Forgets the rules made so far. */
  discard(): void {
    for (const name of this.created) this.cc.json.rules.delete(name);
  }
}

/**
 * A rule for `expr`, shared by every object that writes the same member: the objects of
 * `oneOf` branches then reduce one nonterminal for a member they both allow (distinct but equal
 * rules would be a reduce/reduce conflict before the branches can be told apart).
 */
function sharedRule(cc: ContainerContext, expr: GrammarExpr, created: string[]): GrammarExpr {
  const text = JSON.stringify(expr);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  for (let k = 0; ; k++) {
    const name = `member-${(hash >>> 0).toString(36)}${k === 0 ? "" : `-${k}`}`;
    const known = cc.json.rules.get(name);
    if (known === undefined) {
      cc.json.rules.set(name, expr);
      created.push(name);
      return g.ref(name);
    }
    if (JSON.stringify(known) === text) return g.ref(name);
  }
}

function alt(items: GrammarExpr[]): GrammarExpr | null {
  if (items.length === 0) return null;
  return items.length === 1 ? (items[0] as GrammarExpr) : g.alt(...items);
}

/** Estimated LR cost of tracking: states × (members + 1) (each state lists the members). */
function costOf(chain: readonly number[], tracked: readonly number[], numMembers: number): number {
  return (chain.length + 1) * 2 ** tracked.length * (numMembers + 2);
}

/**
 * Splits the member indices into chain, tracked set and untracked: every tracked name in the set
 * when that fits `budget`, else the required names as a chain; null when neither fits.
 */
function partition(input: AnyOrderInput, budget: number): [number[], number[], number[]] | null {
  const { members, presenceNames, counts } = input;
  const numRequired = members.filter((m) => m.required).length;
  // Repeated untracked names would count twice: minProperties past the required names needs
  // every declared name tracked.
  const trackAll = counts.min > numRequired;
  const isTracked = (m: Member) => trackAll || m.required || presenceNames.has(m.name);
  const all = members.map((_, i) => i);
  const untracked = all.filter((i) => !isTracked(members[i] as Member));
  const tracked = all.filter((i) => isTracked(members[i] as Member));
  const fits = (c: number[], t: number[]) =>
    t.length <= MAX_TRACKED && costOf(c, t, members.length) <= budget;
  if (fits([], tracked)) return [[], tracked, untracked];
  const index = new Map(members.map((m, i) => [m.name, i]));
  const chain = input.requiredOrder
    .map((name) => index.get(name))
    .filter((i): i is number => i !== undefined);
  const rest = tracked.filter((i) => !chain.includes(i));
  return fits(chain, rest) ? [chain, rest, untracked] : null;
}

/**
 * The members of one object in any order (see the module comment), named after `base`; null
 * when no object can be written, undefined when the state space is over budget. `budget` is the
 * schema's remaining tracking cost (shared by its objects), reduced by what this object uses.
 */
export function anyOrderMembers(
  cc: ContainerContext,
  base: string,
  input: AnyOrderInput,
  budget: { left: number },
): GrammarExpr | null | undefined {
  const parts = partition(input, budget.left);
  if (parts === null) return undefined;
  const rules = new AnyOrderRules(cc, base, input, ...parts);
  try {
    const body = rules.build();
    budget.left -= rules.numStates * (input.members.length + 2);
    return body;
  } catch (e) {
    if (!(e instanceof TooManyStates)) throw e;
    rules.discard();
    return undefined;
  }
}
