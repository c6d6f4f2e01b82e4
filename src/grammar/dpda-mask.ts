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

import { writeBodySlice } from "./body-slice-counted.js";
import type { Dpda } from "./dpda.js";
import type { DpdaStack } from "./dpda-stack.js";
import { setBit, TrieWalk } from "./dpda-trie-walk.js";
import { IntVec } from "./int-vec.js";
import type { MaskCache } from "./mask-cache.js";
import { MaskRows } from "./mask-rows.js";
import type { VocabTrie } from "./vocab-trie.js";

/** Bytes every string body accepts between characters (the cheap filter of a body check). */
const PROBE_BYTES = Uint8Array.from("a0Z{:, }q", (ch) => ch.charCodeAt(0));

/** Tokens decided from the top entries alone, and the trie nodes left to walk with the full stack. */
interface PartialMask {
  /** Its row in the walker's `partialRows`. */
  readonly row: number;
  /** The uncertain trie nodes: `partialNodes[uncertainStart .. uncertainEnd)`. */
  readonly uncertainStart: number;
  readonly uncertainEnd: number;
  /** Trie nodes in the subtrees of the uncertain nodes. */
  readonly uncertainNodes: number;
  /** End of input: 1 accept, 0 reject, -1 depends on deeper entries. */
  readonly eos: number;
  /** Deepest position (below the top) the partial walk read. */
  readonly depthRead: number;
  /** How far the partial walk grew the stack. */
  readonly growth: number;
}

/** Masks of one compiled grammar: the trie walk plus the partial-mask cache (single-threaded). */
export class DpdaMaskWalker extends TrieWalk {
  private readonly partials = new Map<string, PartialMask>();
  private readonly partialRows: MaskRows;
  private readonly partialNodes = new IntVec(256);
  /** The row a partial walk writes, before it is packed. */
  private readonly partialScratch: Int32Array;

  constructor(
    trie: VocabTrie,
    dpda: Dpda,
    /** Most stack entries a partial mask is keyed by (0 disables partial masks). */
    private readonly shallowDepth = 8,
    private readonly partialBudgetWords = 8 << 20,
    /** Fewest stack entries a partial mask is keyed by. */
    private readonly minShallowDepth = 2,
    /** Walk configurations with a memoised transition row (tests lower it). */
    rowCap?: number,
  ) {
    super(trie, dpda, rowCap);
    this.partialScratch = new Int32Array(trie.wordsPerRow);
    this.partialRows = new MaskRows(trie.wordsPerRow);
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
    this.beginPhase();
    st.resetWatermarks();
    let accepting: boolean;
    if (partial) {
      this.partialRows.write(partial.row, mask, offset);
      cfgs.lowWater = sp0 - 1 - partial.depthRead;
      cfgs.highWater = sp0 + partial.growth;
      for (let k = partial.uncertainStart; k < partial.uncertainEnd; k++)
        this.walkFrom(root, this.partialNodes.data[k] as number, mask, offset);
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
    this.beginPhase();
    // A cheap first filter: a string body accepts each of these bytes; outside strings at least
    // one of them is refused (a number refuses `a`, an object start refuses `0`, and so on).
    for (let k = 0; k < PROBE_BYTES.length; k++)
      if (cfgs.next(root, PROBE_BYTES[k] as number) < 0) return false;
    const body = this.bodies.bodyAt(root);
    if (body === null || cfgs.overflowed) return false;
    this.numSliced++;
    if (this.bodies.levels < this.trie.maxTokenBytes) this.numCounted++;
    const levels = this.bodies.levels;
    const exact = this.bodies.levelsExact;
    writeBodySlice(this.trie, body, levels, mask, offset);
    this.walkQuoted(1, this.trie.numNodes, 0, root, mask, offset);
    // A lower bound: tokens longer than it (in bytes, so in characters too) are walked.
    if (!exact) {
      this.numAtLeast++;
      this.walkRange(1, this.trie.numNodes, 0, root, mask, offset, levels);
    }
    st.resetWatermarks();
    if (st.isAccepting()) for (const id of this.trie.eogIds) setBit(mask, offset, id);
    const low = Math.min(cfgs.lowWater, st.lowWater);
    if (cache && !cfgs.overflowed) cache.store(st.stack, sp0, low, cfgs.highWater - sp0, mask, offset);
    return true;
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
    if (this.partialRows.words + this.partialNodes.length + this.trie.wordsPerRow > this.partialBudgetWords)
      return null;
    const bits = this.partialScratch;
    bits.fill(0);
    const base = sp0 - depth;
    const cfgs = this.cfgs;
    const root = cfgs.begin(st.stack, sp0, base, st.maxDepth);
    this.beginPhase();
    this.uncertain.length = 0;
    this.walkRange(1, this.trie.numNodes, 0, root, bits, 0);
    st.resetWatermarks();
    const eos = st.acceptingAbove(base);
    if (cfgs.overflowed) return null;
    const uncertainStart = this.partialNodes.length;
    let uncertainNodes = 0;
    for (let k = 0; k < this.uncertain.length; k++) {
      const u = this.uncertain.data[k] as number;
      this.partialNodes.push(u);
      uncertainNodes += (this.trie.subtreeEnd[u] as number) - u;
    }
    const p: PartialMask = {
      row: this.partialRows.add(bits, 0),
      uncertainStart,
      uncertainEnd: this.partialNodes.length,
      uncertainNodes,
      eos,
      depthRead: sp0 - 1 - Math.min(cfgs.lowWater, st.lowWater),
      growth: cfgs.highWater - sp0,
    };
    this.partials.set(key, p);
    return p;
  }
}
