/**
 * The exploration under a body check (body-check.ts): the configurations reachable from a root
 * over bytes other than `"`, compared step by step with a string-body automaton, and how many
 * characters each may still take.
 *
 * A configuration either takes any number of characters (a string body: the exploration closes
 * on itself) or exactly `n` more (a length bound: after `n` characters it refuses every byte
 * but `"`). Counting is by character, not byte: the levels of the exploration are the
 * characters read, and a UTF-8 sequence or an escape stays on one level.
 *
 * Explorations run inside masks, so their tables are typed arrays keyed by configuration id and
 * reused from one exploration to the next: no allocation per configuration or per check.
 */

import { IntVec } from "./int-vec.js";
import { type BodyAutomaton, probeByte } from "./string-body-slice.js";
import { Trans, type WalkConfigs } from "./walk-configs.js";

/** Characters left to a configuration that simulates a body without bound (more than any count). */
export const UNBOUNDED = 1 << 30;

/** `levels` plus `n` characters ({@link UNBOUNDED} stays unbounded). */
export const plusChars = (levels: number, n: number): number =>
  levels >= UNBOUNDED ? UNBOUNDED : levels + n;
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

/**
 * Values keyed by configuration id (small and dense within a walk phase), cleared in O(1); the
 * keys set since the last clear are listed in order.
 */
export class ConfigTable {
  private vals = new Int32Array(256);
  private stamps = new Int32Array(256);
  private epoch = 1;
  readonly keys = new IntVec(64);

  clear(): void {
    this.keys.length = 0;
    if (++this.epoch === 0x7fffffff) {
      this.stamps.fill(0);
      this.epoch = 1;
    }
  }

  has(c: number): boolean {
    return c < this.stamps.length && this.stamps[c] === this.epoch;
  }

  /** The value of `c` (which must be set). */
  get(c: number): number {
    return this.vals[c] as number;
  }

  set(c: number, v: number): void {
    if (c >= this.stamps.length) this.grow(c);
    if (this.stamps[c] !== this.epoch) {
      this.stamps[c] = this.epoch;
      this.keys.push(c);
    }
    this.vals[c] = v;
  }

  private grow(c: number): void {
    let n = this.stamps.length * 2;
    while (n <= c) n *= 2;
    const vals = new Int32Array(n);
    vals.set(this.vals);
    const stamps = new Int32Array(n);
    stamps.set(this.stamps);
    this.vals = vals;
    this.stamps = stamps;
  }
}

/**
 * What an exploration found: configurations by their characters left, and what each step read.
 * One per body checker, reused by each exploration.
 */
export class Exploration {
  /** Body state of each configuration reached. */
  readonly state = new ConfigTable();
  /** Per explored or already proved configuration: the lowest stack index its own steps read. */
  readonly own = new ConfigTable();
  /**
   * Successors of each expanded configuration: `succPool[succStart.get(c) .. + succLen.get(c))`;
   * `succStart.keys` lists the expanded configurations in the order they were expanded.
   */
  readonly succStart = new ConfigTable();
  readonly succLen = new ConfigTable();
  readonly succPool = new IntVec(256);
  /** Characters left: known ones (proved earlier), bounds (0), then all of them once computed. */
  readonly levels = new ConfigTable();
  /**
   * Set (≥ 0) when the exploration stopped at {@link LOWER_BOUND_LEVELS} with configurations
   * left: the characters every path from the root takes at least (`levels` is then incomplete).
   */
  atLeast = -1;
  /** The fewest characters from the root to a bound or a known configuration's end (so far). */
  reach = UNBOUNDED;
  /** Configurations of the level being expanded, and of the next one. */
  level = new IntVec(64);
  next = new IntVec(64);
  /** Configurations a probe met (see boundOutOfReach). */
  readonly seen = new ConfigTable();

  reset(root: number, q0: number): void {
    this.state.clear();
    this.own.clear();
    this.succStart.clear();
    this.succLen.clear();
    this.succPool.length = 0;
    this.levels.clear();
    this.atLeast = -1;
    this.reach = UNBOUNDED;
    this.state.set(root, q0);
    this.level.length = 0;
    this.level.push(root);
    this.next.length = 0;
  }
}

/** An earlier proof for (configuration, body state): its characters left, or -1. */
export type KnownLevels = (c: number, q: number) => number;

/**
 * Explores from `root` (body state `q0`) level by level into `x`; false when some step differs
 * from `body` (a fork, a read below the phase's base, a refusal the body does not make or the
 * reverse) or the budgets run out. When a probe finds no bound within {@link MAX_LEVELS}
 * characters, the exploration stops after {@link LOWER_BOUND_LEVELS} and reports a lower bound
 * (`x.atLeast`).
 */
export function explore(
  x: Exploration,
  cfgs: WalkConfigs,
  root: number,
  body: BodyAutomaton,
  q0: number,
  reps: Int16Array,
  known: KnownLevels,
): boolean {
  const far = boundOutOfReach(x.seen, cfgs, root, body, q0);
  x.reset(root, q0);
  for (let depth = 0; x.level.length > 0; depth++) {
    if (depth > MAX_LEVELS) return false;
    if (far && depth === LOWER_BOUND_LEVELS) {
      // Every path so far steps like the body; the ones still open take `depth` characters.
      x.atLeast = Math.min(x.reach, depth);
      return true;
    }
    // Mid-character successors join this level (and this list); whole characters the next.
    const level = x.level;
    for (let i = 0; i < level.length; i++) {
      if (i >= (depth === 0 ? ROOT_LEVEL_CONFIGS : LEVEL_CONFIGS)) return false;
      if (!expand(cfgs, level.data[i] as number, body, reps, x, known, depth)) return false;
    }
    x.level = x.next;
    x.next = level;
    x.next.length = 0;
  }
  return true;
}

/**
 * Whether one character after another (the rest of the current one, then `a`s) runs past
 * {@link MAX_LEVELS} characters without a refusal or a repeated configuration: a bound too far
 * ahead to count, or none in a language that never repeats (found in a few cheap steps before
 * a level-by-level exploration would find it expensively).
 */
function boundOutOfReach(
  seen: ConfigTable,
  cfgs: WalkConfigs,
  root: number,
  body: BodyAutomaton,
  q0: number,
): boolean {
  let c = root;
  let q = q0;
  seen.clear();
  for (let chars = 0; chars <= MAX_LEVELS; ) {
    const b = probeByte(body, q);
    c = cfgs.nextTracked(c, b);
    if (c < 0) return false;
    q = body.next[q * 256 + b] as number;
    if (q !== 0) continue;
    if (seen.has(c)) return false;
    seen.set(c, 1);
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
  /** Characters from the root to `c`. */
  depth: number,
): boolean {
  const q = x.state.get(c);
  let low = cfgs.depthOf(c) - 1;
  const pool = x.succPool;
  const start = pool.length;
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < reps.length; i++) {
    const b = reps[i] as number;
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
    if (!x.state.has(t)) {
      x.state.set(t, r);
      pool.push(t);
      const low0 = cfgs.lowWater;
      cfgs.lowWater = cfgs.depthOf(t);
      const k = known(t, r);
      if (k >= 0) {
        x.own.set(t, cfgs.lowWater);
        x.levels.set(t, k);
        x.reach = Math.min(x.reach, plusChars(k, depth + (r === 0 ? 1 : 0)));
        cfgs.lowWater = Math.min(low0, cfgs.lowWater);
      } else {
        cfgs.lowWater = low0;
        (r === 0 ? x.next : x.level).push(t);
      }
    } else if (x.state.get(t) !== r) return false;
    else if (pool.length === start || pool.data[pool.length - 1] !== t) pool.push(t);
  }
  // A bound refuses every character, and only between characters.
  if (refused > 0) {
    if (accepted > 0 || q !== 0) return false;
    x.levels.set(c, 0);
    x.reach = Math.min(x.reach, depth);
  }
  x.own.set(c, low);
  x.succStart.set(c, start);
  x.succLen.set(c, pool.length - start);
  return true;
}

/**
 * Fills in the characters left of every expanded configuration; false when they are not
 * consistent (one path meets a bound, another none, or two bounds at different distances).
 */
export function countLevels(x: Exploration): boolean {
  const { succStart, succLen, state, levels } = x;
  const pool = x.succPool.data;
  const step = (t: number) => plusChars(levels.get(t), state.get(t) === 0 ? 1 : 0);
  const order = succStart.keys;
  // Deepest first: successors are counted before their predecessors, except along loops.
  for (let i = order.length - 1; i >= 0; i--) {
    const c = order.data[i] as number;
    if (levels.has(c)) continue;
    const from = succStart.get(c);
    const to = from + succLen.get(c);
    // A configuration that takes nothing yet has no bound is not a body.
    if (from === to) return false;
    let all = true;
    for (let k = from; k < to && all; k++) all = levels.has(pool[k] as number);
    if (all) levels.set(c, step(pool[from] as number));
  }
  // What is left waits on a loop: no bound ahead. Then every step must agree exactly.
  for (let i = order.length - 1; i >= 0; i--) {
    const c = order.data[i] as number;
    if (!levels.has(c)) levels.set(c, UNBOUNDED);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const c = order.data[i] as number;
    const n = levels.get(c);
    for (let k = succStart.get(c), to = k + succLen.get(c); k < to; k++)
      if (step(pool[k] as number) !== n) return false;
  }
  return true;
}
