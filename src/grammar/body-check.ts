/**
 * Whether a walk configuration is inside a JSON string body: it steps like a body automaton
 * (string-body-slice.ts) on every byte but `"`, so the vocabulary slice of that automaton
 * decides every token without a `"` and only tokens holding one need a walk.
 *
 * The check explores the configurations reachable over non-`"` bytes (one byte per class of
 * bytes that the DPDA and the automaton treat alike; body-explore.ts) and compares them with
 * automaton states. Under a length bound the configuration takes the automaton's steps for a
 * number of characters and then refuses all but `"`: the check counts those characters, and the
 * slice keeps only the tokens that fit (body-slice-counted.ts). A bound too far ahead to count
 * gives a lower bound: the slice decides the tokens that fit in it and the walk the longer ones
 * (`levelsExact` false). Exact results are remembered across walk phases, keyed by the stack
 * entries each configuration's future read: a configuration an earlier check proved is not
 * explored again, so checks of new keys, new nestings or the next character under a bound stop
 * where they meet known ground.
 */

import {
  atLeast,
  ConfigTable,
  charsOf,
  countLevels,
  Exploration,
  explore,
  isAtLeast,
  UNBOUNDED,
} from "./body-explore.js";
import { BODY_AUTOMATA, type BodyAutomaton, probeByte } from "./string-body-slice.js";
import { Trans, type WalkConfigs } from "./walk-configs.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Characters {@link BodyChecker.refutedCheaply} looks ahead. */
const LETTER_LOOKAHEAD = 4;

/** A remembered check: how many entries it read, those entries, and what it found. */
interface KnownCheck {
  readonly entries: number;
  readonly key: Int32Array;
  readonly body: BodyAutomaton | null;
  readonly q: number;
  /** Characters left ({@link UNBOUNDED} for a body without a length bound). */
  readonly levels: number;
}

/** Body checks of one walker's configurations (single-threaded). */
export class BodyChecker {
  /** Per configuration of the current walk phase: the body automaton it simulates, or null. */
  private readonly bodyOf = new Map<number, BodyAutomaton | null>();
  /** Per configuration of the current walk phase: its check result (see {@link atLeast}). */
  private readonly levelsOf = new Map<number, number>();
  /** Per (configuration, body state, body) of the current walk phase: its check result, or -1. */
  private readonly bodyFromPhase = new Map<number, number>();
  private readonly repsByBody = new Map<BodyAutomaton, Int16Array>();
  /** Checks by top stack entry. */
  private readonly bodyByStack = new Map<number, KnownCheck[]>();
  /**
   * Characters the configuration of the last successful {@link bodyAt} or {@link bodyFrom} may
   * still take: {@link UNBOUNDED}, or a length bound's remaining characters (after which it
   * refuses everything but `"`), or when {@link levelsExact} is false a lower bound: the
   * configuration takes every body string that long, and longer tokens need a walk.
   */
  levels = UNBOUNDED;
  /** Whether {@link levels} is exact (else a lower bound). */
  levelsExact = true;
  /** Characters left of the last {@link knownBody} hit. */
  private knownLevels = UNBOUNDED;
  /** The tables of an exploration and of {@link rememberAll}, reused by every check. */
  private readonly exploration = new Exploration();
  private readonly read = new ConfigTable();

  constructor(private readonly cfgs: WalkConfigs) {}

  /** Forgets the configurations of the last walk phase (their ids are reused). */
  beginPhase(): void {
    this.bodyOf.clear();
    this.levelsOf.clear();
    this.bodyFromPhase.clear();
  }

  /** The body automaton configuration `c` simulates from its state 0 (memoised per walk phase), or null. */
  bodyAt(c: number): BodyAutomaton | null {
    let body = this.bodyOf.get(c);
    if (body === undefined) {
      const result = this.bodyAcrossPhases(c);
      body = result.body;
      this.bodyOf.set(c, body);
      this.levelsOf.set(c, result.levels);
      this.setLevels(result.levels);
    } else this.setLevels(this.levelsOf.get(c) as number);
    return body;
  }

  /** Sets {@link levels} and {@link levelsExact} from a check result. */
  private setLevels(result: number): void {
    this.levels = charsOf(result);
    this.levelsExact = !isAtLeast(result);
  }

  /**
   * {@link bodyAt} remembered across walk phases, keyed by the stack entries the check read
   * (configurations with equal entries down to there behave the same).
   */
  private bodyAcrossPhases(c: number): { body: BodyAutomaton | null; levels: number } {
    const cfgs = this.cfgs;
    const known = this.knownBody(c, 0, null);
    if (known !== undefined) return { body: known, levels: this.knownLevels };
    const sp = cfgs.depthOf(c);
    const lowBefore = cfgs.lowWater;
    cfgs.lowWater = sp - 1;
    // The automata differ in their escapes: `\/` and `\uDC` tell them apart in a few steps (all
    // needed by the check anyway), so at most one full check runs.
    let levels = -1;
    const body =
      BODY_AUTOMATA.find((b) => {
        if (!this.tellersAgree(c, b)) return false;
        levels = this.simulates(c, b);
        return levels !== -1;
      }) ?? null;
    const entries = sp - cfgs.lowWater;
    cfgs.lowWater = Math.min(lowBefore, cfgs.lowWater);
    if (body === null) this.remember(c, entries, null, 0, -1);
    return { body, levels };
  }

  /**
   * What an earlier check found for a configuration with `c`'s top entries: the body automaton
   * it simulates from state `q` (`want` null: whichever, or null for none), or undefined when
   * no check applies. A hit lowers `lowWater` to the entries that check read and sets
   * `knownLevels`.
   */
  private knownBody(c: number, q: number, want: BodyAutomaton | null): BodyAutomaton | null | undefined {
    const cfgs = this.cfgs;
    const list = this.bodyByStack.get(cfgs.topEntry(c));
    if (list === undefined) return undefined;
    const sp = cfgs.depthOf(c);
    for (const k of list) {
      // Only entries this phase may read (a partial walk must not depend on deeper ones).
      if (k.q !== q || (want !== null && k.body !== want) || sp - k.entries < cfgs.baseIndex) continue;
      if (!cfgs.topMatches(c, k.key)) continue;
      cfgs.lowWater = Math.min(cfgs.lowWater, sp - k.entries);
      this.knownLevels = k.levels;
      return k.body;
    }
    return undefined;
  }

  /** Records that configurations with `c`'s top `entries` entries simulate `body` from state `q`. */
  private remember(c: number, entries: number, body: BodyAutomaton | null, q: number, levels: number): void {
    const top = this.cfgs.topEntry(c);
    const list = this.bodyByStack.get(top) ?? [];
    if (list.length >= 64 || (list.length === 0 && this.bodyByStack.size >= 1 << 14)) return;
    list.push({ entries, key: this.cfgs.topEntries(c, entries), body, q, levels });
    this.bodyByStack.set(top, list);
  }

  /** Whether configuration `c` simulates `body` from its state `q` (memoised per walk phase). */
  bodyFrom(c: number, body: BodyAutomaton, q: number): boolean {
    const key = (c * 64 + q) * BODY_AUTOMATA.length + BODY_AUTOMATA.indexOf(body);
    let levels = this.bodyFromPhase.get(key);
    if (levels === undefined) {
      const known = this.knownBody(c, q, null);
      if (known !== undefined) levels = known === body ? this.knownLevels : -1;
      else levels = this.simulates(c, body, q);
      this.bodyFromPhase.set(key, levels);
    }
    this.setLevels(levels);
    return levels !== -1;
  }

  /**
   * The characters configuration `root` may still take while stepping like `body` (from its
   * state `q0`) on every byte but `"` (a lower bound, as {@link atLeast}, when the bound is too
   * far ahead to count; such results are not remembered), or -1 when it does not. A
   * configuration an earlier check already proved (same entries read, same body state) is not
   * explored again; on success every explored configuration is remembered, keyed by the entries
   * its own future read, so the next check meeting it (another key, another nesting, the next
   * character under a length bound) stops there.
   */
  private simulates(root: number, body: BodyAutomaton, q0 = 0): number {
    if (this.refutedCheaply(root, body, q0)) return -1;
    const known = (t: number, r: number) => (this.knownBody(t, r, body) === body ? this.knownLevels : -1);
    const x = this.exploration;
    if (!explore(x, this.cfgs, root, body, q0, this.representatives(body), known)) return -1;
    if (x.atLeast >= 0) return atLeast(x.atLeast);
    if (!countLevels(x)) return -1;
    this.rememberAll(x, body);
    return x.levels.get(root);
  }

  /** Remembers every explored configuration, keyed by the entries its future reads. */
  private rememberAll(x: Exploration, body: BodyAutomaton): void {
    const cfgs = this.cfgs;
    const { own, succStart, succLen } = x;
    const pool = x.succPool.data;
    // What each explored configuration's future reads: its own steps and its successors' futures.
    const read = this.read;
    read.clear();
    for (let i = 0; i < own.keys.length; i++) {
      const c = own.keys.data[i] as number;
      read.set(c, own.get(c));
    }
    // Deepest first, so most configurations settle in one pass.
    const order = succStart.keys;
    for (let changed = true; changed; ) {
      changed = false;
      for (let i = order.length - 1; i >= 0; i--) {
        const c = order.data[i] as number;
        let low = read.get(c);
        for (let k = succStart.get(c), to = k + succLen.get(c); k < to; k++)
          low = Math.min(low, read.get(pool[k] as number));
        if (low < read.get(c)) {
          read.set(c, low);
          changed = true;
        }
      }
    }
    for (let i = 0; i < order.length; i++) {
      const c = order.data[i] as number;
      this.remember(c, cfgs.depthOf(c) - read.get(c), body, x.state.get(c), x.levels.get(c));
    }
  }

  /**
   * Whether a few memoised steps show that `c` (at body state `q`, whose character a probe
   * finishes first) does not step like `body`, before an exploration whose every level
   * (escapes, UTF-8 continuations) is new:
   * - for a check begun inside a character, the escapes that tell the body automata apart
   *   ({@link TELLERS}) go differently (between characters, {@link bodyAt} chose the automaton
   *   by them already);
   * - within {@link LETTER_LOOKAHEAD} characters, printable ASCII characters (which `body`
   *   takes alike from its state 0) lead to different configurations (`c` tracks which
   *   characters it read: a key beside declared names, a pattern, so its configurations
   *   multiply with every character and the check could only fail after its whole budget);
   * - or a configuration they reach takes some and refuses others (a pattern's `.` then `\d`).
   */
  private refutedCheaply(c: number, body: BodyAutomaton, q: number): boolean {
    const midCharacter = q !== 0;
    // Mid-character: finish the character first (a refusal there fails the check too).
    while (q !== 0) {
      const b = probeByte(body, q);
      c = this.cfgs.nextTracked(c, b);
      if (c < 0) return true;
      q = body.next[q * 256 + b] as number;
    }
    const reps = this.representatives(body);
    for (let depth = 0; depth < LETTER_LOOKAHEAD; depth++) {
      let first = -1;
      let refused = false;
      for (const b of reps) {
        if (b < 0x20 || b > 0x7e || b === BACKSLASH || body.next[b] !== 0) continue;
        const t = this.cfgs.nextTracked(c, b);
        if (t === Trans.REJECT) refused = true;
        else if (t < 0 || (first >= 0 && t !== first)) return true;
        else first = t;
      }
      // All refused: a length bound, which the exploration counts.
      if (first < 0) return false;
      if (refused) return true;
      if (depth === 0 && midCharacter && !this.tellersAgree(c, body)) return true;
      c = first;
    }
    return false;
  }

  /** Whether configuration `c` (between characters) takes each of {@link TELLERS} exactly when `body` does. */
  private tellersAgree(c: number, body: BodyAutomaton): boolean {
    return TELLERS.every((bytes) => this.dpdaAccepts(c, bytes) === bodyAccepts(body, bytes));
  }

  /** Whether configuration `c` steps over `bytes` (tracked, as the check's own steps). */
  private dpdaAccepts(c: number, bytes: Uint8Array): boolean {
    let t = c;
    for (const b of bytes) {
      t = this.cfgs.nextTracked(t, b);
      if (t < 0) return false;
    }
    return true;
  }

  /**
   * One byte per class of bytes (`"` left out) that both the DPDA (same atom) and `body` (same
   * transitions from every state) treat alike: checking one byte of a class checks them all.
   */
  private representatives(body: BodyAutomaton): Int16Array {
    let reps = this.repsByBody.get(body);
    if (reps === undefined) {
      const classes = byteClasses(body);
      const seen = new Map<number, number>();
      for (let b = 0; b < 256; b++) {
        const key = ((this.cfgs.atomOf[b] as number) + 1) * 256 + (classes[b] as number);
        if (b !== QUOTE && !seen.has(key)) seen.set(key, b);
      }
      reps = Int16Array.from(seen.values());
      this.repsByBody.set(body, reps);
    }
    return reps;
  }
}

const classesByBody = new Map<BodyAutomaton, Uint8Array>();

/** Per byte: its class in `body` (bytes of one class step alike from every state); shared by grammars. */
function byteClasses(body: BodyAutomaton): Uint8Array {
  let classes = classesByBody.get(body);
  if (classes === undefined) {
    const ids = new Map<string, number>();
    classes = new Uint8Array(256);
    for (let b = 0; b < 256; b++) {
      let key = "";
      for (let q = 0; q < body.numStates; q++) key += `${body.next[q * 256 + b]},`;
      if (!ids.has(key)) ids.set(key, ids.size);
      classes[b] = ids.get(key) as number;
    }
    classesByBody.set(body, classes);
  }
  return classes;
}

/** Escapes on which the body automata differ. */
const TELLERS = ["\\/", "\\uDC"].map((text) => Uint8Array.from(text, (ch) => ch.charCodeAt(0)));

/** Whether `body` accepts `bytes` from state 0. */
function bodyAccepts(body: BodyAutomaton, bytes: Uint8Array): boolean {
  let q = 0;
  for (const b of bytes) {
    q = body.next[q * 256 + b] as number;
    if (q < 0) return false;
  }
  return true;
}
