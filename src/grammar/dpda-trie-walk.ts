/**
 * The trie walk under DPDA token masks: one memoised transition per trie node (WalkConfigs),
 * a rejected byte skipping its whole subtree, and string bodies taken from vocabulary slices
 * (body-check.ts decides where that is exact) so only tokens holding a `"` are walked there.
 * DpdaMaskWalker (dpda-mask.ts) builds whole masks and their caches on top.
 *
 * No allocation per token or per node.
 */

import { BodyChecker } from "./body-check.js";
import { plusChars } from "./body-explore.js";
import { addSubtreeSlice, sliceByNeeds, WORDWISE_MIN_TOKENS } from "./body-slice-counted.js";
import type { Dpda } from "./dpda.js";
import { IntVec } from "./int-vec.js";
import {
  BODY_AUTOMATA,
  type BodyAutomaton,
  bodyPrefixStates,
  bodySlice,
  nextQuoteNodes,
  probeByte,
  subtreeTokenWords,
} from "./string-body-slice.js";
import type { VocabTrie } from "./vocab-trie.js";
import { Trans, WalkConfigs } from "./walk-configs.js";

const QUOTE = 0x22;
/** Per body automaton: every body automaton, that one first. */
const BODY_ORDERS = new Map(BODY_AUTOMATA.map((b) => [b, [b, ...BODY_AUTOMATA.filter((x) => x !== b)]]));
/** Smallest trie subtree (in nodes) worth a string-body check during a walk. */
const SLICE_MIN_NODES = 128;

/** Walk state of one compiled grammar's masks (single-threaded). */
export class TrieWalk {
  /** Configuration at each trie depth of the current walk. */
  protected readonly levelCfg: Int32Array;
  protected readonly path: Int32Array;
  /** Ancestors of the node a {@link walkFrom} starts at (deepest first). */
  private readonly fromPath: Int32Array;
  /** Trie nodes whose step read below the phase's base (partial walks). */
  protected readonly uncertain = new IntVec(1024);
  protected readonly cfgs: WalkConfigs;
  protected readonly bodies: BodyChecker;
  /** The body automaton of the last slice (tried first). */
  private lastBody: BodyAutomaton | null = null;
  /** Masks (or subtrees of walks) filled from a string-body slice (for tests and statistics). */
  numSliced = 0;
  /** Of those, slices limited by a length bound's remaining characters. */
  numCounted = 0;
  /** Of those, slices under a lower bound (the bound too far ahead to count), longer tokens walked. */
  numAtLeast = 0;
  /** Walk phases begun (a phase fills one mask row, only setting bits). */
  private phase = 0;
  /** The last subtree slice added: phase, node, body and limit (forks of one node repeat it). */
  private lastSlice: { phase: number; node: number; body: BodyAutomaton | null; limit: number } = {
    phase: -1,
    node: -1,
    body: null,
    limit: -1,
  };

  constructor(
    protected readonly trie: VocabTrie,
    dpda: Dpda,
    /** Walk configurations with a memoised transition row (tests lower it). */
    rowCap?: number,
  ) {
    this.levelCfg = new Int32Array(trie.maxTokenBytes + 2);
    this.path = new Int32Array(trie.maxTokenBytes + 2);
    this.fromPath = new Int32Array(trie.maxTokenBytes + 2);
    this.cfgs = new WalkConfigs(dpda, rowCap);
    this.bodies = new BodyChecker(this.cfgs);
  }

  /** Begins a walk phase: forgets the body checks of the last one (configuration ids are reused). */
  protected beginPhase(): void {
    this.bodies.beginPhase();
    this.phase++;
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
    // The body the walk last sliced with first: bodies differ only in escapes.
    const order = (this.lastBody && BODY_ORDERS.get(this.lastBody)) || BODY_AUTOMATA;
    for (let k = 0; k < order.length; k++) {
      const body = order[k] as BodyAutomaton;
      const at = bodyPrefixStates(t, body)[i] as number;
      if (at < 0) continue;
      const q = at & 63;
      /** Characters the prefix completed. */
      const chars = at >> 6;
      // A cheap filter first: a byte the body accepts from `q` (outside strings usually refused).
      if (this.cfgs.next(c, probeByte(body, q)) < 0) continue;
      // Inside a character (a UTF-8 sequence, an escape) the check starts from that body state.
      if (q === 0 ? this.bodies.bodyAt(c) !== body : !this.bodies.bodyFrom(c, body, q)) continue;
      this.lastBody = body;
      this.numSliced++;
      // Tokens here all start with the prefix, which leads the body from 0 to `q`: the slice
      // (whole tokens from state 0) decides their remaining bytes from `q`, within the
      // characters a length bound leaves (counted from the token's start).
      const limit = plusChars(this.bodies.levels, chars);
      const exact = this.bodies.levelsExact;
      if (limit < t.maxTokenBytes) this.numCounted++;
      // Each configuration of a fork slices the same subtree: the slice's tokens are added once.
      const last = this.lastSlice;
      if (last.phase !== this.phase || last.node !== i || last.body !== body || last.limit !== limit) {
        addSubtreeSlice(t, body, limit, i, d <= 2, mask, offset);
        last.phase = this.phase;
        last.node = i;
        last.body = body;
        last.limit = limit;
      }
      this.walkQuoted(i + 1, end, d, c, mask, offset);
      // A lower bound: tokens longer than it (in bytes, so in characters too) are walked.
      if (!exact) {
        this.numAtLeast++;
        this.walkRange(i + 1, end, d, c, mask, offset, limit);
      }
      return true;
    }
    return false;
  }

  /**
   * Walks trie nodes `from .. to` (whole subtrees below depth `depth0`, reached in `cfg0` with
   * no `"` so far), visiting only paths to tokens holding a `"` and setting the accepted ones.
   */
  protected walkQuoted(
    from: number,
    to: number,
    depth0: number,
    cfg0: number,
    mask: Int32Array,
    offset: number,
    /** 1 when the path to `depth0` already holds a `"`. */
    quoted0 = 0,
  ): void {
    const t = this.trie;
    const { nodeByte, nodeDepth, subtreeEnd } = t;
    const levelCfg = this.levelCfg;
    const quoted = this.path; // reused: 1 when the path to that depth holds a `"`
    levelCfg[depth0] = cfg0;
    quoted[depth0] = quoted0;
    const nextQuote = nextQuoteNodes(t);
    let i = from;
    while (i < to) {
      const d = nodeDepth[i] as number;
      const q = quoted[d - 1] === 1 || nodeByte[i] === QUOTE;
      if (!q && nextQuote[i] !== i) {
        // Decided by the slice, up to the next subtree holding a `"`. No node in between lies
        // below a `"` either: that `"` would be a node in between (it is not), or an ancestor
        // of node i (whose path holds none).
        i = nextQuote[i] as number;
        continue;
      }
      const c = this.cfgs.next(levelCfg[d - 1] as number, nodeByte[i] as number);
      if (c < 0) {
        // Below a `"` every token holds one, so none of them came from the slice.
        if (c === Trans.UNCERTAIN) this.uncertain.push(i);
        else if (c <= Trans.FORK) {
          const end = subtreeEnd[i] as number;
          if (q) setTokensAt(t, i, mask, offset);
          for (let k = 0, n = this.cfgs.forkSize(c); k < n; k++)
            this.walkQuoted(i + 1, end, d, this.cfgs.forkAt(c, k), mask, offset, q ? 1 : 0);
        }
        i = subtreeEnd[i] as number;
        continue;
      }
      levelCfg[d] = c;
      quoted[d] = q ? 1 : 0;
      if (q) setTokensAt(t, i, mask, offset);
      i++;
    }
  }

  /** Walks node `u`'s subtree from configuration `root`: follows its prefix, then walks. */
  protected walkFrom(root: number, u: number, mask: Int32Array, offset: number): void {
    const t = this.trie;
    let n = 0;
    for (let a = t.nodeParent[u] as number; a > 0; a = t.nodeParent[a] as number) this.fromPath[n++] = a;
    this.walkFromAt(root, n - 1, u, mask, offset);
  }

  /** {@link walkFrom} from configuration `c` at prefix node `fromPath[k]` (each branch of a fork). */
  private walkFromAt(c0: number, k0: number, u: number, mask: Int32Array, offset: number): void {
    const t = this.trie;
    let c = c0;
    for (let k = k0; k >= 0; k--) {
      c = this.cfgs.next(c, t.nodeByte[this.fromPath[k] as number] as number);
      if (c <= Trans.FORK) {
        for (let j = 0, n = this.cfgs.forkSize(c); j < n; j++)
          this.walkFromAt(this.cfgs.forkAt(c, j), k - 1, u, mask, offset);
        return;
      }
      if (c < 0) return;
    }
    this.walkRange(u, t.subtreeEnd[u] as number, (t.nodeDepth[u] as number) - 1, c, mask, offset);
  }

  /**
   * Walks trie nodes `from .. to` (whole subtrees at depth > `depth0`, from configuration `cfg0`
   * at depth `depth0`), setting bits of accepted tokens. Nodes whose step reads below the
   * phase's base are appended to `this.uncertain` and their subtrees skipped; so are subtrees
   * whose tokens are all at most `skipUpTo` bytes long (decided elsewhere).
   */
  protected walkRange(
    from: number,
    to: number,
    depth0: number,
    cfg0: number,
    mask: Int32Array,
    offset: number,
    skipUpTo = 0,
  ): void {
    const { nodeByte, nodeDepth, subtreeEnd, tokenStart, tokenIds, subtreeBytes, subtreeMaxTokenBytes } =
      this.trie;
    const levelCfg = this.levelCfg;
    const cfgs = this.cfgs;
    const trans = cfgs.trans;
    const atomOf = cfgs.atomOf;
    const rows = cfgs.rowCap;
    const rowBase = cfgs.rowBase;
    levelCfg[depth0] = cfg0;
    let i = from;
    while (i < to) {
      if ((subtreeMaxTokenBytes[i] as number) <= skipUpTo) {
        i = subtreeEnd[i] as number;
        continue;
      }
      const d = nodeDepth[i] as number;
      const p = levelCfg[d - 1] as number;
      // The memoised transition, read inline (the hot path); computed on a miss.
      const r = p - rowBase;
      const a = atomOf[nodeByte[i] as number] as number;
      let c = a >= 0 && r >= 0 && r < rows ? (trans[(r << 8) | a] as number) : Trans.UNKNOWN;
      if (c === Trans.UNKNOWN) c = cfgs.next(p, nodeByte[i] as number);
      if (c < 0) {
        if (c === Trans.UNCERTAIN) this.uncertain.push(i);
        else if (c <= Trans.FORK) this.walkFork(i, d, c, mask, offset);
        i = subtreeEnd[i] as number;
        continue;
      }
      const end = subtreeEnd[i] as number;
      // (Not under a lower bound's walk: its subtrees hold only the few long tokens.)
      if (skipUpTo === 0 && end - i >= SLICE_MIN_NODES && this.sliceSubtree(i, d, c, end, mask, offset)) {
        i = end;
        continue;
      }
      // Bytes that loop back to one configuration (a string body): if every byte of the subtree
      // (this node's included) loops at `c`, every token below is accepted; take them at once.
      // Checked where a loop is likely (the node's own byte loops, or a walk's first level).
      if (end - i > 2 && (c === p || d === depth0 + 1) && cfgs.loopsOver(c, subtreeBytes, i << 3)) {
        const first = tokenStart[i] as number;
        const stop = tokenStart[end] as number;
        if (d <= 2 && stop - first >= WORDWISE_MIN_TOKENS) {
          // Large shallow subtrees have their tokens as words (prepared up front): one OR per word.
          const pairs = subtreeTokenWords(this.trie, i);
          for (let k = 0; k < pairs.length; k += 2) {
            const w = offset + (pairs[k] as number);
            mask[w] = (mask[w] as number) | (pairs[k + 1] as number);
          }
        } else for (let k = first; k < stop; k++) setBit(mask, offset, tokenIds[k] as number);
        i = end;
        continue;
      }
      levelCfg[d] = c;
      for (let k = tokenStart[i] as number, stop = tokenStart[i + 1] as number; k < stop; k++)
        setBit(mask, offset, tokenIds[k] as number);
      i++;
    }
  }

  /**
   * Node `i` (depth `d`) reached in fork `code` (GLR): its tokens are accepted, and its subtree
   * is walked once per configuration of the fork (masks are unions, so overlaps are harmless).
   */
  private walkFork(i: number, d: number, code: number, mask: Int32Array, offset: number): void {
    const end = this.trie.subtreeEnd[i] as number;
    setTokensAt(this.trie, i, mask, offset);
    for (let k = 0, n = this.cfgs.forkSize(code); k < n; k++) {
      const c = this.cfgs.forkAt(code, k);
      if (end - i >= SLICE_MIN_NODES && this.sliceSubtree(i, d, c, end, mask, offset)) continue;
      this.walkRange(i + 1, end, d, c, mask, offset);
    }
  }
}

/**
 * Vocabulary data the walks use, computed up front (at compiler construction) rather than in
 * some request's first mask: the characters each token needs of a body, the word lists of the
 * shallow subtrees sliced word by word, and where the subtrees holding a `"` are.
 */
export function prepareTrieWalks(trie: VocabTrie): void {
  nextQuoteNodes(trie);
  for (const body of BODY_AUTOMATA) {
    bodySlice(trie, body);
    bodyPrefixStates(trie, body);
    sliceByNeeds(trie, body);
  }
  for (let i = 1; i < trie.numNodes; i++)
    if (
      (trie.nodeDepth[i] as number) <= 2 &&
      (trie.tokenStart[trie.subtreeEnd[i] as number] as number) - (trie.tokenStart[i] as number) >=
        WORDWISE_MIN_TOKENS
    )
      subtreeTokenWords(trie, i);
}

/** Sets the tokens that end at trie node `i`. */
function setTokensAt(t: VocabTrie, i: number, mask: Int32Array, offset: number): void {
  for (let k = t.tokenStart[i] as number, stop = t.tokenStart[i + 1] as number; k < stop; k++)
    setBit(mask, offset, t.tokenIds[k] as number);
}

export function setBit(mask: Int32Array, offset: number, id: number): void {
  const w = offset + (id >> 5);
  mask[w] = (mask[w] as number) | (1 << (id & 31));
}
