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
import { BODY_AUTOMATA, type BodyAutomaton, bodySlice, subtreeHasQuote } from "./string-body-slice.js";
import type { VocabTrie } from "./vocab-trie.js";
import { Trans, WalkConfigs } from "./walk-configs.js";

const QUOTE = 0x22;
/** Most walk configurations a string body may use (body, escapes, UTF-8 continuations). */
const MAX_BODY_CONFIGS = 40;
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
  private readonly prefix: Int32Array;
  /** Body checks by top stack entry: how many entries the check read, those entries, the result. */
  private readonly bodyByStack = new Map<
    string,
    { entries: number; key: string; body: BodyAutomaton | null }[]
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
    // A cheap first filter: `a` must lead to a configuration where `a` loops.
    const afterA = cfgs.next(root, 0x61);
    if (afterA < 0 || cfgs.next(afterA, 0x61) !== afterA) return false;
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
    const top = cfgs.topEntries(c, 1);
    const known = this.bodyByStack.get(top) ?? [];
    const sp = cfgs.depthOf(c);
    for (const k of known) {
      // Only entries this phase may read (a partial walk must not depend on deeper ones).
      if (sp - k.entries < cfgs.baseIndex || cfgs.topEntries(c, k.entries) !== k.key) continue;
      cfgs.lowWater = Math.min(cfgs.lowWater, sp - k.entries);
      return k.body;
    }
    const lowBefore = cfgs.lowWater;
    cfgs.lowWater = sp - 1;
    const body = BODY_AUTOMATA.find((b) => this.simulates(c, b)) ?? null;
    const entries = sp - cfgs.lowWater;
    cfgs.lowWater = Math.min(lowBefore, cfgs.lowWater);
    if (known.length < 16 && this.bodyByStack.size < 4096) {
      known.push({ entries, key: cfgs.topEntries(c, entries), body });
      this.bodyByStack.set(top, known);
    }
    return body;
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
    const body = this.bodyAt(c);
    if (body === null) return false;
    let n = 0;
    for (let a = i; a > 0; a = t.nodeParent[a] as number) this.prefix[n++] = t.nodeByte[a] as number;
    let q = 0;
    for (let k = n - 1; k >= 0 && q >= 0; k--) {
      const b = this.prefix[k] as number;
      q = b === QUOTE ? -1 : (body.next[q * 256 + b] as number);
    }
    if (q !== 0) return false;
    this.numSliced++;
    const slice = bodySlice(t, body);
    for (let k = t.tokenStart[i] as number, stop = t.tokenStart[end] as number; k < stop; k++) {
      const id = t.tokenIds[k] as number;
      if ((((slice[id >> 5] as number) >>> (id & 31)) & 1) === 1) setBit(mask, offset, id);
    }
    this.walkQuoted(i + 1, end, d, c, mask, offset);
    return true;
  }

  /** Whether the configurations from `root` step like `body` on every byte but `"`. */
  private simulates(root: number, body: BodyAutomaton): boolean {
    const state = new Map<number, number>([[root, 0]]);
    const queue = [root];
    while (queue.length > 0) {
      const c = queue.pop() as number;
      const q = state.get(c) as number;
      for (let b = 0; b < 256; b++) {
        if (b === QUOTE) continue;
        // Tracked: the caller keys a cross-phase memo by the entries this check read.
        const t = this.cfgs.nextTracked(c, b);
        const r = body.next[q * 256 + b] as number;
        if (t < 0 || r < 0) {
          if (t === Trans.UNCERTAIN || t < 0 !== r < 0) return false;
          continue;
        }
        const known = state.get(t);
        if (known === undefined) {
          if (state.size >= MAX_BODY_CONFIGS) return false;
          state.set(t, r);
          queue.push(t);
        } else if (known !== r) return false;
      }
    }
    return true;
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
    const rows = cfgs.rowCap;
    const rowBase = cfgs.rowBase;
    levelCfg[depth0] = cfg0;
    let i = from;
    while (i < to) {
      const d = nodeDepth[i] as number;
      const p = levelCfg[d - 1] as number;
      // The memoised transition, read inline (the hot path); computed on a miss.
      const r = p - rowBase;
      let c = r >= 0 && r < rows ? (trans[(r << 8) | (nodeByte[i] as number)] as number) : Trans.UNKNOWN;
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

function setBit(mask: Int32Array, offset: number, id: number): void {
  const w = offset + (id >> 5);
  mask[w] = (mask[w] as number) | (1 << (id & 31));
}
