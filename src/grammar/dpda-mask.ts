/**
 * Token masks for the DPDA engine: a walk of the vocabulary trie from the request's
 * configuration, one DPDA step per trie edge (undone on the way back), skipping the whole subtree
 * of a rejected byte. Two caches make repeated work cheap:
 *
 * - the exact mask cache (MaskCache), keyed by the stack entries a walk read: a context met
 *   before costs one row copy;
 * - shallow partial masks, keyed by the top `shallowDepth` stack entries: a walk that treats the
 *   stack below them as unknown decides most tokens (accepted or rejected, XGrammar's
 *   context-independent tokens) and lists the trie nodes whose outcome depends on deeper
 *   entries. A new deep context (say a string nested somewhere new) then walks only those
 *   subtrees instead of the whole vocabulary.
 *
 * No allocation per token or per node.
 */

import type { DpdaStack } from "./dpda-stack.js";
import { IntVec } from "./int-vec.js";
import type { MaskCache } from "./mask-cache.js";
import type { VocabTrie } from "./vocab-trie.js";

/** Tokens decided from the top entries alone, and the trie nodes left to walk with the full stack. */
interface PartialMask {
  readonly bits: Int32Array;
  readonly uncertain: Int32Array;
  /** End of input: 1 accept, 0 reject, -1 depends on deeper entries. */
  readonly eos: number;
  /** Deepest position (below the top) the partial walk read. */
  readonly depthRead: number;
  /** How far the partial walk grew the stack. */
  readonly growth: number;
}

/** Scratch space and partial-mask cache for walks of one compiled grammar (single-threaded). */
export class DpdaMaskWalker {
  private readonly levelSp: Int32Array;
  private readonly levelUndo: Int32Array;
  private readonly path: Int32Array;
  private readonly partials = new Map<string, PartialMask>();
  private readonly uncertain = new IntVec(1024);
  private partialWords = 0;

  constructor(
    private readonly trie: VocabTrie,
    /** Stack entries a partial mask is keyed by (0 disables partial masks). */
    private readonly shallowDepth = 4,
    private readonly partialBudgetWords = 8 << 20,
  ) {
    this.levelSp = new Int32Array(trie.maxTokenBytes + 2);
    this.levelUndo = new Int32Array(trie.maxTokenBytes + 2);
    this.path = new Int32Array(trie.maxTokenBytes + 2);
  }

  /**
   * Writes the mask of `st`'s configuration into `mask[offset .. offset + wordsPerRow)`, using
   * and filling `cache` (null: no cache). `st` is left exactly as it was.
   */
  fill(st: DpdaStack, mask: Int32Array, offset: number, cache: MaskCache | null): void {
    if (cache?.fill(st.stack, st.sp, st.maxDepth, mask, offset)) return;
    const sp0 = st.sp;
    let partial = this.shallowDepth > 0 && sp0 > this.shallowDepth ? this.partial(st) : null;
    if (partial && sp0 + partial.growth > st.maxDepth) partial = null;
    st.resetWatermarks();
    let accepting: boolean;
    if (partial) {
      mask.set(partial.bits, offset);
      st.lowWater = sp0 - 1 - partial.depthRead;
      st.highWater = sp0 + partial.growth;
      for (const u of partial.uncertain) this.walkFrom(st, u, mask, offset);
      accepting = partial.eos === -1 ? st.isAccepting() : partial.eos === 1;
    } else {
      mask.fill(0, offset, offset + this.trie.wordsPerRow);
      this.walkRange(st, 1, this.trie.numNodes, 0, mask, offset, 0);
      accepting = st.isAccepting();
    }
    if (accepting) for (const id of this.trie.eogIds) setBit(mask, offset, id);
    if (cache && !st.overflowed) cache.store(st.stack, sp0, st.lowWater, st.highWater - sp0, mask, offset);
  }

  /** The partial mask of the top `shallowDepth` entries, computed on first use. */
  private partial(st: DpdaStack): PartialMask | null {
    const sp0 = st.sp;
    const key = st.stack.subarray(sp0 - this.shallowDepth, sp0).join(",");
    const hit = this.partials.get(key);
    if (hit) return hit;
    if (this.partialWords + this.trie.wordsPerRow > this.partialBudgetWords) return null;
    const bits = new Int32Array(this.trie.wordsPerRow);
    const base = sp0 - this.shallowDepth;
    st.resetWatermarks();
    this.uncertain.length = 0;
    this.walkRange(st, 1, this.trie.numNodes, 0, bits, 0, base);
    const eos = st.acceptingAbove(base);
    if (st.overflowed) return null;
    const p: PartialMask = {
      bits,
      uncertain: this.uncertain.toArray(),
      eos,
      depthRead: sp0 - 1 - st.lowWater,
      growth: st.highWater - sp0,
    };
    this.partialWords += bits.length + p.uncertain.length;
    this.partials.set(key, p);
    return p;
  }

  /** Walks node `u`'s subtree from the full stack: replays its prefix, walks, undoes everything. */
  private walkFrom(st: DpdaStack, u: number, mask: Int32Array, offset: number): void {
    const t = this.trie;
    const d = t.nodeDepth[u] as number;
    let n = 0;
    for (let a = t.nodeParent[u] as number; a > 0; a = t.nodeParent[a] as number) this.path[n++] = a;
    let replayed = 0;
    for (let k = n - 1; k >= 0; k--) {
      this.levelSp[replayed + 1] = st.sp;
      this.levelUndo[replayed + 1] = st.undoLog.length;
      if (!st.step(t.nodeByte[this.path[k] as number] as number)) break;
      replayed++;
    }
    if (replayed === d - 1) this.walkRange(st, u, t.subtreeEnd[u] as number, d - 1, mask, offset, 0);
    for (; replayed > 0; replayed--)
      st.undoStep(this.levelSp[replayed] as number, this.levelUndo[replayed] as number);
  }

  /**
   * Walks trie nodes `from .. to` (whole subtrees at depth > `depth0`, the configuration being
   * that of depth `depth0`), setting bits of accepted tokens. With `base > 0`, nodes whose step
   * reads below stack index `base` are appended to `this.uncertain` and their subtrees skipped.
   */
  private walkRange(
    st: DpdaStack,
    from: number,
    to: number,
    depth0: number,
    mask: Int32Array,
    offset: number,
    base: number,
  ): void {
    const { nodeByte, nodeDepth, subtreeEnd, tokenStart, tokenIds } = this.trie;
    const levelSp = this.levelSp;
    const levelUndo = this.levelUndo;
    let depth = depth0;
    let i = from;
    while (i < to) {
      const d = nodeDepth[i] as number;
      for (; depth >= d; depth--) st.undoStep(levelSp[depth] as number, levelUndo[depth] as number);
      levelSp[d] = st.sp;
      levelUndo[d] = st.undoLog.length;
      const r = st.stepAbove(nodeByte[i] as number, base);
      if (r !== 1) {
        if (r < 0) this.uncertain.push(i);
        i = subtreeEnd[i] as number;
        continue;
      }
      depth = d;
      for (let k = tokenStart[i] as number, end = tokenStart[i + 1] as number; k < end; k++)
        setBit(mask, offset, tokenIds[k] as number);
      i++;
    }
    for (; depth > depth0; depth--) st.undoStep(levelSp[depth] as number, levelUndo[depth] as number);
  }
}

function setBit(mask: Int32Array, offset: number, id: number): void {
  const w = offset + (id >> 5);
  mask[w] = (mask[w] as number) | (1 << (id & 31));
}
