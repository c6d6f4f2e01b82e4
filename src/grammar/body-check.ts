/**
 * Whether a walk configuration is inside a JSON string body: it steps like a body automaton
 * (string-body-slice.ts) on every byte but `"`, so the vocabulary slice of that automaton
 * decides every token without a `"` and only tokens holding one need a walk.
 *
 * The check explores the configurations reachable over non-`"` bytes (one byte per class of
 * bytes that the DPDA and the automaton treat alike) and compares them with automaton states.
 * Results are remembered across walk phases, keyed by the stack entries each configuration's
 * future read: a configuration an earlier check proved is not explored again, so checks of new
 * keys or new nestings stop where they meet known ground.
 */

import { BODY_AUTOMATA, type BodyAutomaton } from "./string-body-slice.js";
import { Trans, type WalkConfigs } from "./walk-configs.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
/** Most configurations one check explores (body, escapes, UTF-8 continuations, key tries). */
const MAX_BODY_CONFIGS = 40;

/** Body checks of one walker's configurations (single-threaded). */
export class BodyChecker {
  /** Per configuration of the current walk phase: the body automaton it simulates, or null. */
  private readonly bodyOf = new Map<number, BodyAutomaton | null>();
  /** Per (configuration, body state, body) of the current walk phase: {@link bodyFrom}. */
  private readonly bodyFromPhase = new Map<number, boolean>();
  private readonly repsByBody = new Map<BodyAutomaton, Int16Array>();
  /** Checks by top stack entry: how many entries the check read, those entries, the result. */
  private readonly bodyByStack = new Map<
    number,
    { entries: number; key: Int32Array; body: BodyAutomaton | null; q: number }[]
  >();

  constructor(private readonly cfgs: WalkConfigs) {}

  /** Forgets the configurations of the last walk phase (their ids are reused). */
  beginPhase(): void {
    this.bodyOf.clear();
    this.bodyFromPhase.clear();
  }

  /** The body automaton configuration `c` simulates from its state 0 (memoised per walk phase), or null. */
  bodyAt(c: number): BodyAutomaton | null {
    let body = this.bodyOf.get(c);
    if (body === undefined) {
      body = this.bodyAcrossPhases(c);
      this.bodyOf.set(c, body);
    }
    return body;
  }

  /**
   * {@link bodyAt} remembered across walk phases, keyed by the stack entries the check read
   * (configurations with equal entries down to there behave the same).
   */
  private bodyAcrossPhases(c: number): BodyAutomaton | null {
    const cfgs = this.cfgs;
    const known = this.knownBody(c, 0, null);
    if (known !== undefined) return known;
    const sp = cfgs.depthOf(c);
    const lowBefore = cfgs.lowWater;
    cfgs.lowWater = sp - 1;
    // The automata differ in their escapes: `\/` tells them apart in two steps (both needed
    // by the check anyway), so at most one full check runs.
    const esc = cfgs.nextTracked(c, BACKSLASH);
    const slash = esc < 0 ? esc : cfgs.nextTracked(esc, SLASH);
    const body =
      BODY_AUTOMATA.find((b) => acceptsEscapedSlash(b) === slash >= 0 && this.simulates(c, b)) ?? null;
    const entries = sp - cfgs.lowWater;
    cfgs.lowWater = Math.min(lowBefore, cfgs.lowWater);
    if (body === null) this.remember(c, entries, null, 0);
    return body;
  }

  /**
   * What an earlier check found for a configuration with `c`'s top entries: the body automaton
   * it simulates from state `q` (`want` null: whichever, or null for none), or undefined when
   * no check applies. A hit lowers `lowWater` to the entries that check read.
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
      return k.body;
    }
    return undefined;
  }

  /** Records that configurations with `c`'s top `entries` entries simulate `body` from state `q`. */
  private remember(c: number, entries: number, body: BodyAutomaton | null, q: number): void {
    const top = this.cfgs.topEntry(c);
    const list = this.bodyByStack.get(top) ?? [];
    if (list.length >= 64 || (list.length === 0 && this.bodyByStack.size >= 1 << 14)) return;
    list.push({ entries, key: this.cfgs.topEntries(c, entries), body, q });
    this.bodyByStack.set(top, list);
  }

  /** Whether configuration `c` simulates `body` from its state `q` (memoised per walk phase). */
  bodyFrom(c: number, body: BodyAutomaton, q: number): boolean {
    const key = (c * 64 + q) * BODY_AUTOMATA.length + BODY_AUTOMATA.indexOf(body);
    let ok = this.bodyFromPhase.get(key);
    if (ok === undefined) {
      const known = this.knownBody(c, q, null);
      if (known !== undefined) ok = known === body;
      else {
        ok = this.simulates(c, body, q);
      }
      this.bodyFromPhase.set(key, ok);
    }
    return ok;
  }

  /**
   * Whether the configurations from `root` step like `body` on every byte but `"`. A
   * configuration an earlier check already proved (same entries read, same body state) is not
   * explored again; on success every explored configuration is remembered, keyed by the entries
   * its own future read, so the next check meeting it (another key, another nesting) stops there.
   */
  private simulates(root: number, body: BodyAutomaton, q0 = 0): boolean {
    const cfgs = this.cfgs;
    if (q0 === 0 && this.tellsLettersApart(root, body)) return false;
    const state = new Map<number, number>([[root, q0]]);
    /** Per explored configuration: the lowest stack index its steps read, and its successors. */
    const own = new Map<number, number>();
    const succ = new Map<number, number[]>();
    const queue = [root];
    let explored = 1;
    while (queue.length > 0) {
      const c = queue.pop() as number;
      const q = state.get(c) as number;
      let low = cfgs.depthOf(c) - 1;
      const next: number[] = [];
      for (const b of this.representatives(body)) {
        // Tracked: the caller keys a cross-phase memo by the entries this check read.
        const t = cfgs.nextTracked(c, b);
        if (cfgs.lastRead < low) low = cfgs.lastRead;
        const r = body.next[q * 256 + b] as number;
        if (t < 0 || r < 0) {
          // A fork is no body state (and no rejection): the check fails.
          if (t === Trans.UNCERTAIN || t <= Trans.FORK || t < 0 !== r < 0) return false;
          continue;
        }
        const seen = state.get(t);
        if (seen === undefined) {
          state.set(t, r);
          next.push(t);
          const low0 = cfgs.lowWater;
          cfgs.lowWater = cfgs.depthOf(t);
          const proved = this.knownBody(t, r, body) === body;
          if (proved) own.set(t, cfgs.lowWater);
          cfgs.lowWater = proved ? Math.min(low0, cfgs.lowWater) : low0;
          if (!proved) {
            if (++explored >= MAX_BODY_CONFIGS) return false;
            queue.push(t);
          }
        } else if (seen !== r) return false;
        else if (next[next.length - 1] !== t) next.push(t);
      }
      own.set(c, low);
      succ.set(c, next);
    }
    // What each explored configuration's future reads: its own steps and its successors' futures.
    const read = new Map(own);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [c, list] of succ) {
        let low = read.get(c) as number;
        for (const t of list) low = Math.min(low, read.get(t) as number);
        if (low < (read.get(c) as number)) {
          read.set(c, low);
          changed = true;
        }
      }
    }
    for (const c of succ.keys())
      this.remember(c, cfgs.depthOf(c) - (read.get(c) as number), body, state.get(c) as number);
    return true;
  }

  /**
   * Whether printable ASCII characters, which `body` treats alike from its state 0, lead `c` to
   * different configurations: `c` tracks which characters it read (a key beside declared
   * names, a pattern), so its configurations multiply with every character and the check could
   * only fail, after exploring its whole budget.
   */
  private tellsLettersApart(c: number, body: BodyAutomaton): boolean {
    let first = -1;
    for (const b of this.representatives(body)) {
      if (b < 0x20 || b > 0x7e || b === BACKSLASH || body.next[b] !== 0) continue;
      const t = this.cfgs.nextTracked(c, b);
      if (t < 0) continue;
      if (first < 0) first = t;
      else if (t !== first) return true;
    }
    return false;
  }

  /**
   * One byte per class of bytes (`"` left out) that both the DPDA (same atom) and `body` (same
   * transitions from every state) treat alike: checking one byte of a class checks them all.
   */
  private representatives(body: BodyAutomaton): Int16Array {
    let reps = this.repsByBody.get(body);
    if (reps === undefined) {
      const seen = new Map<string, number>();
      for (let b = 0; b < 256; b++) {
        if (b === QUOTE) continue;
        let key = `${this.cfgs.atomOf[b]}`;
        for (let q = 0; q < body.numStates; q++) key += `,${body.next[q * 256 + b]}`;
        if (!seen.has(key)) seen.set(key, b);
      }
      reps = Int16Array.from(seen.values());
      this.repsByBody.set(body, reps);
    }
    return reps;
  }
}

/** Whether `body` accepts `\\/` from state 0. */
function acceptsEscapedSlash(body: BodyAutomaton): boolean {
  const esc = body.next[BACKSLASH] as number;
  return esc >= 0 && (body.next[esc * 256 + SLASH] as number) >= 0;
}
