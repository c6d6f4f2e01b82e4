/**
 * The exploration under a body check (body-check.ts): the configurations reachable from a root
 * over bytes other than `"`, compared step by step with a string-body automaton, and how many
 * characters each may still take.
 *
 * A configuration either takes any number of characters (a string body: the exploration closes
 * on itself) or exactly `n` more (a length bound: after `n` characters it refuses every byte
 * but `"`). Counting is by character, not byte: the levels of the exploration are the
 * characters read, and a UTF-8 sequence or an escape stays on one level.
 */

import { type BodyAutomaton, probeByte } from "./string-body-slice.js";
import { Trans, type WalkConfigs } from "./walk-configs.js";

/** Characters left to a configuration that simulates a body without bound. */
export const UNBOUNDED = Number.POSITIVE_INFINITY;
/**
 * Most characters a bound may lie ahead for the check to count them. Exploring costs about half
 * a millisecond per character the first time a grammar meets a bound (later checks find every
 * level remembered); farther bounds get a lower bound instead ({@link LOWER_BOUND_LEVELS}).
 */
export const MAX_LEVELS = 24;
/**
 * Characters a check explores when a bound lies beyond {@link MAX_LEVELS} (or there is none but
 * the configurations never repeat): it then proves only that every path takes at least that
 * many, and the walk decides longer tokens itself (1,312 of Llama-3's tokens are longer than 16
 * bytes, on 6 % of its trie's nodes). Lower bounds are not remembered: each check explores anew.
 */
export const LOWER_BOUND_LEVELS = 16;

/**
 * Check results: characters left (≥ 0, or {@link UNBOUNDED}), -1 for no body, and lower bounds
 * ("at least `n`", from an exploration cut at its horizon) as values ≤ -2.
 */
export const atLeast = (n: number): number => -2 - n;
/** Whether a check result is a lower bound ({@link atLeast}). */
export const isAtLeast = (v: number): boolean => v <= -2;
/** The characters of a check result (exact, or the lower bound); -1 for no body. */
export const charsOf = (v: number): number => (v <= -2 ? -2 - v : v);

/** Most configurations explored on one level (a body, its escapes and UTF-8 continuations). */
const LEVEL_CONFIGS = 64;
/** Most configurations on the root's level (a body alone takes about 30). */
const ROOT_LEVEL_CONFIGS = 40;

/** What an exploration found: configurations by their characters left, and what each step read. */
export interface Exploration {
  /** Body state of each configuration reached. */
  readonly state: Map<number, number>;
  /** Per explored or already proved configuration: the lowest stack index its own steps read. */
  readonly own: Map<number, number>;
  /** Successors of each expanded configuration. */
  readonly succ: Map<number, number[]>;
  /** Characters left: known ones (proved earlier), bounds (0), then all of them once computed. */
  readonly levels: Map<number, number>;
  /**
   * Set when the exploration stopped at {@link LOWER_BOUND_LEVELS} with configurations left:
   * the characters every path from the root takes at least (`levels` is then incomplete).
   */
  atLeast: number | null;
  /** The fewest characters from the root to a bound or a known configuration's end (so far). */
  reach: number;
}

/** An earlier proof for (configuration, body state): its characters left, or undefined. */
export type KnownLevels = (c: number, q: number) => number | undefined;

/**
 * Explores from `root` (body state `q0`) level by level; returns the exploration, or null when
 * some step differs from `body` (a fork, a read below the phase's base, a refusal the body does
 * not make or the reverse) or the budgets run out. When a probe finds no bound within
 * {@link MAX_LEVELS} characters, the exploration stops after {@link LOWER_BOUND_LEVELS} and
 * reports a lower bound (`atLeast`).
 */
export function explore(
  cfgs: WalkConfigs,
  root: number,
  body: BodyAutomaton,
  q0: number,
  reps: Int16Array,
  known: KnownLevels,
): Exploration | null {
  const far = boundOutOfReach(cfgs, root, body, q0);
  const x: Exploration = {
    state: new Map([[root, q0]]),
    own: new Map(),
    succ: new Map(),
    levels: new Map(),
    atLeast: null,
    reach: UNBOUNDED,
  };
  let level = [root];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > MAX_LEVELS) return null;
    if (far && depth === LOWER_BOUND_LEVELS) {
      // Every path so far steps like the body; the ones still open take `depth` characters.
      x.atLeast = Math.min(x.reach, depth);
      return x;
    }
    const next: number[] = [];
    // Mid-character successors join this level (and this list); whole characters the next.
    for (let i = 0; i < level.length; i++) {
      if (i >= (depth === 0 ? ROOT_LEVEL_CONFIGS : LEVEL_CONFIGS)) return null;
      if (!expand(cfgs, level[i] as number, body, reps, x, known, level, next, depth)) return null;
    }
    level = next;
  }
  return x;
}

/**
 * Whether one character after another (the rest of the current one, then `a`s) runs past
 * {@link MAX_LEVELS} characters without a refusal or a repeated configuration: a bound too far
 * ahead to count, or none in a language that never repeats (found in a few cheap steps before
 * a level-by-level exploration would find it expensively).
 */
function boundOutOfReach(cfgs: WalkConfigs, root: number, body: BodyAutomaton, q0: number): boolean {
  let c = root;
  let q = q0;
  const seen = new Set<number>();
  for (let chars = 0; chars <= MAX_LEVELS; ) {
    const b = probeByte(body, q);
    c = cfgs.nextTracked(c, b);
    if (c < 0) return false;
    q = body.next[q * 256 + b] as number;
    if (q !== 0) continue;
    if (seen.has(c)) return false;
    seen.add(c);
    chars++;
  }
  return true;
}

/** Steps `c` on every representative byte; false on a mismatch with `body`. */
function expand(
  cfgs: WalkConfigs,
  c: number,
  body: BodyAutomaton,
  reps: Int16Array,
  x: Exploration,
  known: KnownLevels,
  level: number[],
  next: number[],
  /** Characters from the root to `c`. */
  depth: number,
): boolean {
  const q = x.state.get(c) as number;
  let low = cfgs.depthOf(c) - 1;
  const list: number[] = [];
  let accepted = 0;
  let refused = 0;
  for (const b of reps) {
    // Tracked: the caller keys a cross-phase memo by the entries this check read.
    const t = cfgs.nextTracked(c, b);
    if (cfgs.lastRead < low) low = cfgs.lastRead;
    if (t === Trans.UNCERTAIN || t <= Trans.FORK) return false;
    const r = body.next[q * 256 + b] as number;
    if (r < 0) {
      if (t >= 0) return false;
      continue;
    }
    if (t < 0) {
      refused++;
      continue;
    }
    accepted++;
    const seen = x.state.get(t);
    if (seen === undefined) {
      x.state.set(t, r);
      list.push(t);
      const low0 = cfgs.lowWater;
      cfgs.lowWater = cfgs.depthOf(t);
      const k = known(t, r);
      if (k !== undefined) {
        x.own.set(t, cfgs.lowWater);
        x.levels.set(t, k);
        x.reach = Math.min(x.reach, depth + (r === 0 ? 1 : 0) + k);
        cfgs.lowWater = Math.min(low0, cfgs.lowWater);
      } else {
        cfgs.lowWater = low0;
        (r === 0 ? next : level).push(t);
      }
    } else if (seen !== r) return false;
    else if (list[list.length - 1] !== t) list.push(t);
  }
  // A bound refuses every character, and only between characters.
  if (refused > 0) {
    if (accepted > 0 || q !== 0) return false;
    x.levels.set(c, 0);
    x.reach = Math.min(x.reach, depth);
  }
  x.own.set(c, low);
  x.succ.set(c, list);
  return true;
}

/**
 * Fills in the characters left of every expanded configuration; false when they are not
 * consistent (one path meets a bound, another none, or two bounds at different distances).
 */
export function countLevels(x: Exploration): boolean {
  const { succ, state, levels } = x;
  const step = (t: number) => (levels.get(t) as number) + (state.get(t) === 0 ? 1 : 0);
  // Deepest first: successors are counted before their predecessors, except along loops.
  const order = [...succ.keys()].reverse();
  for (const c of order) {
    if (levels.has(c)) continue;
    const list = succ.get(c) as number[];
    if (list.every((t) => levels.has(t))) levels.set(c, step(list[0] as number));
  }
  // What is left waits on a loop: no bound ahead. Then every step must agree exactly.
  for (const c of order) if (!levels.has(c)) levels.set(c, UNBOUNDED);
  for (const c of order) {
    const n = levels.get(c) as number;
    for (const t of succ.get(c) as number[]) if (step(t) !== n) return false;
  }
  return true;
}
