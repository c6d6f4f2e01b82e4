/**
 * Token masks for the DPDA engine: a walk of the vocabulary trie from the request's
 * configuration, one DPDA transition per trie edge, skipping the whole subtree of a rejected
 * byte. Two caches make repeated work cheap:
 *
 * - the exact mask cache (MaskCache), keyed by the stack entries a walk read: a context met
 *   before costs one row copy;
 * - shallow partial masks, keyed by the top 2..8 stack entries: a walk that treats the
 *   stack below them as unknown decides most tokens (accepted or rejected, XGrammar's
 *   context-independent tokens) and lists the trie nodes whose outcome depends on deeper
 *   entries. A new deep context (say a string nested somewhere new) then walks only those
 *   subtrees instead of the whole vocabulary.
 *
 * Walks run over WalkConfigs: the configurations a walk reaches are interned and their
 * transitions memoised, so a trie node costs one table read, not a DPDA step and its undo.
 *
 * No allocation per token or per node.
 */

import type { Dpda } from "./dpda.js";
import type { DpdaStack } from "./dpda-stack.js";
import { IntVec } from "./int-vec.js";
import type { MaskCache } from "./mask-cache.js";
import {
  BODY_AUTOMATA,
  type BodyAutomaton,
  bodySlice,
  subtreeHasQuote,
  subtreeTokenWords,
} from "./string-body-slice.js";
import type { VocabTrie } from "./vocab-trie.js";
import { Trans, WalkConfigs } from "./walk-configs.js";

const QUOTE = 0x22;
/** Bytes every string body accepts between characters (the cheap filter of a body check). */
const PROBE_BYTES = Uint8Array.from("a0Z{:, }q", (ch) => ch.charCodeAt(0));
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
/** Most walk configurations a string body may use (body, escapes, UTF-8 continuations). */
const MAX_BODY_CONFIGS = 40;
/** Fewest tokens under a shallow trie node for slicing it word by word (cached word lists). */
const WORDWISE_MIN_TOKENS = 512;
/** Smallest trie subtree (in nodes) worth a string-body check during a walk. */
const SLICE_MIN_NODES = 256;

/** Tokens decided from the top entries alone, and the trie nodes left to walk with the full stack. */
interface PartialMask {
  readonly bits: Int32Array;
  readonly uncertain: Int32Array;
  /** Trie nodes under `uncertain`. */
  readonly uncertainNodes: number;
  /** End of input: 1 accept, 0 reject, -1 depends on deeper entries. */
  readonly eos: number;
  /** Deepest position (below the top) the partial walk read. */
  readonly depthRead: number;
  /** How far the partial walk grew the stack. */
  readonly growth: number;
}

/** Scratch space and partial-mask cache for walks of one compiled grammar (single-threaded). */
export class DpdaMaskWalker {
  /** Configuration at each trie depth of the current walk. */
  private readonly levelCfg: Int32Array;
  private readonly path: Int32Array;
  private readonly partials = new Map<string, PartialMask>();
  private readonly uncertain = new IntVec(1024);
  private readonly cfgs: WalkConfigs;
  private partialWords = 0;
  /** Masks (or subtrees of walks) filled from a string-body slice (for tests and statistics). */
  numSliced = 0;
  /** Per configuration of the current walk phase: the body automaton it simulates, or null. */
  private readonly bodyOf = new Map<number, BodyAutomaton | null>();
  /** Per (configuration, body state, body) of the current walk phase: {@link bodyFrom}. */
  private readonly bodyFromPhase = new Map<string, boolean>();
  private readonly repsByBody = new Map<BodyAutomaton, Int16Array>();
  /** The body automaton of the last slice (tried first). */
  private lastBody: BodyAutomaton | null = null;
  private readonly prefix: Int32Array;
  /** Body checks by top stack entry: how many entries the check read, those entries, the result. */
  private readonly bodyByStack = new Map<
    string,
    { entries: number; key: string; body: BodyAutomaton | null; q: number }[]
  >();

  constructor(
    private readonly trie: VocabTrie,
    dpda: Dpda,
    /** Most stack entries a partial mask is keyed by (0 disables partial masks). */
    private readonly shallowDepth = 8,
    private readonly partialBudgetWords = 8 << 20,
    /** Fewest stack entries a partial mask is keyed by. */
    private readonly minShallowDepth = 2,
    /** Walk configurations with a memoised transition row (tests lower it). */
    rowCap?: number,
  ) {
    this.levelCfg = new Int32Array(trie.maxTokenBytes + 2);
    this.path = new Int32Array(trie.maxTokenBytes + 2);
    this.prefix = new Int32Array(trie.maxTokenBytes + 2);
    this.cfgs = new WalkConfigs(dpda, rowCap);
  }

  /**
   * Writes the mask of `st`'s configuration into `mask[offset .. offset + wordsPerRow)`, using
   * and filling `cache` (null: no cache). `st` is left exactly as it was.
   */
  fill(st: DpdaStack, mask: Int32Array, offset: number, cache: MaskCache | null): void {
    if (cache?.fill(st.stack, st.sp, st.maxDepth, mask, offset)) return;
    if (this.fillStringBody(st, mask, offset, cache)) return;
    const sp0 = st.sp;
    let partial = this.shallowDepth > 0 ? this.partial(st) : null;
    if (partial && sp0 + partial.growth > st.maxDepth) partial = null;
    const cfgs = this.cfgs;
    const root = cfgs.begin(st.stack, sp0, 0, st.maxDepth);
    this.bodyOf.clear();
    this.bodyFromPhase.clear();
    st.resetWatermarks();
    let accepting: boolean;
    if (partial) {
      mask.set(partial.bits, offset);
      cfgs.lowWater = sp0 - 1 - partial.depthRead;
      cfgs.highWater = sp0 + partial.growth;
      for (const u of partial.uncertain) this.walkFrom(root, u, mask, offset);
      accepting = partial.eos === -1 ? st.isAccepting() : partial.eos === 1;
    } else {
      mask.fill(0, offset, offset + this.trie.wordsPerRow);
      this.walkRange(1, this.trie.numNodes, 0, root, mask, offset);
      accepting = st.isAccepting();
    }
    if (accepting) for (const id of this.trie.eogIds) setBit(mask, offset, id);
    const low = Math.min(cfgs.lowWater, st.lowWater);
    if (cache && !cfgs.overflowed) cache.store(st.stack, sp0, low, cfgs.highWater - sp0, mask, offset);
  }

  /**
   * Inside a plain JSON string body: the vocabulary slice of tokens without `"` (shared by
   * every grammar of the vocabulary) plus a walk of the tokens that contain a `"`. False (and
   * nothing written) when the configuration does not simulate a body automaton.
   */
  private fillStringBody(st: DpdaStack, mask: Int32Array, offset: number, cache: MaskCache | null): boolean {
    const cfgs = this.cfgs;
    const sp0 = st.sp;
    const root = cfgs.begin(st.stack, sp0, 0, st.maxDepth);
    this.bodyOf.clear();
    this.bodyFromPhase.clear();
    // A cheap first filter: a string body accepts each of these bytes; outside strings at least
    // one of them is refused (a number refuses `a`, an object start refuses `0`, and so on).
    for (let k = 0; k < PROBE_BYTES.length; k++)
      if (cfgs.next(root, PROBE_BYTES[k] as number) < 0) return false;
    const body = this.bodyAt(root);
    if (body === null || cfgs.overflowed) return false;
    this.numSliced++;
    mask.set(bodySlice(this.trie, body), offset);
    this.walkQuoted(1, this.trie.numNodes, 0, root, mask, offset);
    st.resetWatermarks();
    if (st.isAccepting()) for (const id of this.trie.eogIds) setBit(mask, offset, id);
    const low = Math.min(cfgs.lowWater, st.lowWater);
    if (cache && !cfgs.overflowed) cache.store(st.stack, sp0, low, cfgs.highWater - sp0, mask, offset);
    return true;
  }

  /** The body automaton configuration `c` simulates from its state 0 (memoised per walk phase), or null. */
  private bodyAt(c: number): BodyAutomaton | null {
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
    const list = this.bodyByStack.get(cfgs.topEntries(c, 1));
    if (list === undefined) return undefined;
    const sp = cfgs.depthOf(c);
    for (const k of list) {
      // Only entries this phase may read (a partial walk must not depend on deeper ones).
      if (k.q !== q || (want !== null && k.body !== want) || sp - k.entries < cfgs.baseIndex) continue;
      if (cfgs.topEntries(c, k.entries) !== k.key) continue;
      cfgs.lowWater = Math.min(cfgs.lowWater, sp - k.entries);
      return k.body;
    }
    return undefined;
  }

  /** Records that configurations with `c`'s top `entries` entries simulate `body` from state `q`. */
  private remember(c: number, entries: number, body: BodyAutomaton | null, q: number): void {
    const top = this.cfgs.topEntries(c, 1);
    const list = this.bodyByStack.get(top) ?? [];
    if (list.length >= 64 || (list.length === 0 && this.bodyByStack.size >= 1 << 14)) return;
    list.push({ entries, key: this.cfgs.topEntries(c, entries), body, q });
    this.bodyByStack.set(top, list);
  }

  /**
   * Inside a walk, at node `i` (depth `d`, configuration `c`, subtree ending at `end`): when `c`
   * simulates a string body and the token prefix so far is a whole body fragment, the subtree's
   * tokens without `"` come from the slice and only the rest is walked. False: not applicable.
   */
  private sliceSubtree(
    i: number,
    d: number,
    c: number,
    end: number,
    mask: Int32Array,
    offset: number,
  ): boolean {
    const t = this.trie;
    let n = 0;
    for (let a = i; a > 0; a = t.nodeParent[a] as number) this.prefix[n++] = t.nodeByte[a] as number;
    // The body the walk last sliced with first: bodies differ only in escapes.
    for (const body of this.lastBody === BODY_AUTOMATA[0] ? BODY_AUTOMATA : [...BODY_AUTOMATA].reverse()) {
      let q = 0;
      for (let k = n - 1; k >= 0 && q >= 0; k--) {
        const b = this.prefix[k] as number;
        q = b === QUOTE ? -1 : (body.next[q * 256 + b] as number);
      }
      // Inside a character (a UTF-8 sequence, an escape) the check starts from that body state.
      if (q < 0 || (q === 0 ? this.bodyAt(c) !== body : !this.bodyFrom(c, body, q))) continue;
      this.lastBody = body;
      this.numSliced++;
      // Tokens here all start with the prefix, which leads the body from 0 to `q`: the slice
      // (whole tokens from state 0) decides their remaining bytes from `q`.
      const slice = bodySlice(t, body);
      const start = t.tokenStart[i] as number;
      const stop = t.tokenStart[end] as number;
      if (d <= 2 && stop - start >= WORDWISE_MIN_TOKENS) {
        const pairs = subtreeTokenWords(t, i);
        for (let k = 0; k < pairs.length; k += 2) {
          const w = pairs[k] as number;
          mask[offset + w] = (mask[offset + w] as number) | ((slice[w] as number) & (pairs[k + 1] as number));
        }
      } else
        for (let k = start; k < stop; k++) {
          const id = t.tokenIds[k] as number;
          if ((((slice[id >> 5] as number) >>> (id & 31)) & 1) === 1) setBit(mask, offset, id);
        }
      this.walkQuoted(i + 1, end, d, c, mask, offset);
      return true;
    }
    return false;
  }

  /** Whether configuration `c` simulates `body` from its state `q` (memoised per walk phase). */
  private bodyFrom(c: number, body: BodyAutomaton, q: number): boolean {
    const key = `${c}:${q}:${body.name}`;
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
          if (t === Trans.UNCERTAIN || t < 0 !== r < 0) return false;
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

  /**
   * Walks trie nodes `from .. to` (whole subtrees below depth `depth0`, reached in `cfg0` with
   * no `"` so far), visiting only paths to tokens holding a `"` and setting the accepted ones.
   */
  private walkQuoted(
    from: number,
    to: number,
    depth0: number,
    cfg0: number,
    mask: Int32Array,
    offset: number,
  ): void {
    const t = this.trie;
    const { nodeByte, nodeDepth, subtreeEnd, tokenStart, tokenIds } = t;
    const levelCfg = this.levelCfg;
    const quoted = this.path; // reused: 1 when the path to that depth holds a `"`
    levelCfg[depth0] = cfg0;
    quoted[depth0] = 0;
    let i = from;
    while (i < to) {
      const d = nodeDepth[i] as number;
      const q = quoted[d - 1] === 1 || nodeByte[i] === QUOTE;
      if (!q && !subtreeHasQuote(t, i)) {
        i = subtreeEnd[i] as number; // decided by the slice
        continue;
      }
      const c = this.cfgs.next(levelCfg[d - 1] as number, nodeByte[i] as number);
      if (c < 0) {
        // Below a `"` every token holds one, so none of them came from the slice.
        if (c === Trans.UNCERTAIN) this.uncertain.push(i);
        i = subtreeEnd[i] as number;
        continue;
      }
      levelCfg[d] = c;
      quoted[d] = q ? 1 : 0;
      if (q)
        for (let k = tokenStart[i] as number, stop = tokenStart[i + 1] as number; k < stop; k++)
          setBit(mask, offset, tokenIds[k] as number);
      i++;
    }
  }

  /**
   * The partial mask of the fewest top entries (`minShallowDepth` up to `shallowDepth`)
   * that leaves at most 1/8 of the trie uncertain, computed on first use. Shallow keys are
   * shared by many contexts (a string body nested anywhere), so most new contexts then walk
   * only the few subtrees that read deeper (the closing quote).
   */
  private partial(st: DpdaStack): PartialMask | null {
    const limit = this.trie.numNodes >> 3;
    for (let k = Math.min(this.minShallowDepth, this.shallowDepth); k <= this.shallowDepth; k++) {
      if (st.sp <= k) return null;
      const p = this.partialAt(st, k);
      if (p && (p.uncertainNodes <= limit || k === this.shallowDepth)) return p;
    }
    return null;
  }

  /** The partial mask of the top `depth` entries (cached); null when over budget or too deep. */
  private partialAt(st: DpdaStack, depth: number): PartialMask | null {
    const sp0 = st.sp;
    const key = `${depth}:${st.stack.subarray(sp0 - depth, sp0).join(",")}`;
    const hit = this.partials.get(key);
    if (hit) return hit;
    if (this.partialWords + this.trie.wordsPerRow > this.partialBudgetWords) return null;
    const bits = new Int32Array(this.trie.wordsPerRow);
    const base = sp0 - depth;
    const cfgs = this.cfgs;
    const root = cfgs.begin(st.stack, sp0, base, st.maxDepth);
    this.bodyOf.clear();
    this.bodyFromPhase.clear();
    this.uncertain.length = 0;
    this.walkRange(1, this.trie.numNodes, 0, root, bits, 0);
    st.resetWatermarks();
    const eos = st.acceptingAbove(base);
    if (cfgs.overflowed) return null;
    const uncertain = this.uncertain.toArray();
    let uncertainNodes = 0;
    for (const u of uncertain) uncertainNodes += (this.trie.subtreeEnd[u] as number) - u;
    const p: PartialMask = {
      bits,
      uncertain,
      uncertainNodes,
      eos,
      depthRead: sp0 - 1 - Math.min(cfgs.lowWater, st.lowWater),
      growth: cfgs.highWater - sp0,
    };
    this.partialWords += bits.length + p.uncertain.length;
    this.partials.set(key, p);
    return p;
  }

  /** Walks node `u`'s subtree from configuration `root`: follows its prefix, then walks. */
  private walkFrom(root: number, u: number, mask: Int32Array, offset: number): void {
    const t = this.trie;
    let n = 0;
    for (let a = t.nodeParent[u] as number; a > 0; a = t.nodeParent[a] as number) this.path[n++] = a;
    let c = root;
    for (let k = n - 1; k >= 0; k--) {
      c = this.cfgs.next(c, t.nodeByte[this.path[k] as number] as number);
      if (c < 0) return;
    }
    this.walkRange(u, t.subtreeEnd[u] as number, (t.nodeDepth[u] as number) - 1, c, mask, offset);
  }

  /**
   * Walks trie nodes `from .. to` (whole subtrees at depth > `depth0`, from configuration `cfg0`
   * at depth `depth0`), setting bits of accepted tokens. Nodes whose step reads below the
   * phase's base are appended to `this.uncertain` and their subtrees skipped.
   */
  private walkRange(
    from: number,
    to: number,
    depth0: number,
    cfg0: number,
    mask: Int32Array,
    offset: number,
  ): void {
    const { nodeByte, nodeDepth, subtreeEnd, tokenStart, tokenIds, subtreeBytes } = this.trie;
    const levelCfg = this.levelCfg;
    const cfgs = this.cfgs;
    const trans = cfgs.trans;
    const atomOf = cfgs.atomOf;
    const rows = cfgs.rowCap;
    const rowBase = cfgs.rowBase;
    levelCfg[depth0] = cfg0;
    let i = from;
    while (i < to) {
      const d = nodeDepth[i] as number;
      const p = levelCfg[d - 1] as number;
      // The memoised transition, read inline (the hot path); computed on a miss.
      const r = p - rowBase;
      const a = atomOf[nodeByte[i] as number] as number;
      let c = a >= 0 && r >= 0 && r < rows ? (trans[(r << 8) | a] as number) : Trans.UNKNOWN;
      if (c === Trans.UNKNOWN) c = cfgs.next(p, nodeByte[i] as number);
      if (c < 0) {
        if (c === Trans.UNCERTAIN) this.uncertain.push(i);
        i = subtreeEnd[i] as number;
        continue;
      }
      const end = subtreeEnd[i] as number;
      if (end - i >= SLICE_MIN_NODES && this.sliceSubtree(i, d, c, end, mask, offset)) {
        i = end;
        continue;
      }
      // Bytes that loop back to one configuration (a string body): if every byte of the subtree
      // (this node's included) loops at `c`, every token below is accepted; take them at once.
      // Checked where a loop is likely (the node's own byte loops, or a walk's first level).
      if (end - i > 2 && (c === p || d === depth0 + 1) && cfgs.loopsOver(c, subtreeBytes, i << 3)) {
        for (let k = tokenStart[i] as number, stop = tokenStart[end] as number; k < stop; k++)
          setBit(mask, offset, tokenIds[k] as number);
        i = end;
        continue;
      }
      levelCfg[d] = c;
      for (let k = tokenStart[i] as number, stop = tokenStart[i + 1] as number; k < stop; k++)
        setBit(mask, offset, tokenIds[k] as number);
      i++;
    }
  }
}

/** Whether `body` accepts `\/` from state 0. */
function acceptsEscapedSlash(body: BodyAutomaton): boolean {
  const esc = body.next[BACKSLASH] as number;
  return esc >= 0 && (body.next[esc * 256 + SLASH] as number) >= 0;
}

function setBit(mask: Int32Array, offset: number, id: number): void {
  const w = offset + (id >> 5);
  mask[w] = (mask[w] as number) | (1 << (id & 31));
}
