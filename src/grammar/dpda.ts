/**
 * Pre³'s deterministic pushdown automaton over an LR(1) automaton without conflicts.
 *
 * The stack holds LR state ids; its top is the current state. For each (state, atom) the DPDA
 * has prefix-conditioned "direct jump" edges: every reduce/goto chain the atom triggers plus the
 * final shift (and the default reductions of the states it enters), folded into one edge "pop k
 * entries, push Q". Which edge fires depends on stack entries below the top; the guards of one
 * (state, atom) are organised as a decision tree whose branch nodes read one stack position
 * (depth below the top) and switch on its value, so selecting an edge costs O(positions
 * checked), never a scan over guards.
 *
 * Edges are built lazily, the first time a (state, atom, stack context) is met, by running the
 * LR reduce loop once on that context, and memoised. A leaf is an edge, a rejection, or (on the
 * end-of-input column) acceptance; each leaf records the deepest stack position its guard read.
 *
 * Automata with conflicts (grammars that are not LR(1)) run as a GLR parser over the same
 * tables: the reduce loop follows every action of a conflicting entry, and a leaf whose branches
 * shift in different ways is a fork, a list of edges; the runtime keeps one stack per branch.
 */

import { GrammarError } from "../errors.js";
import { IntPairMap, IntVec } from "./int-vec.js";
import { ChunkedRows, ShardedIntPairMap } from "./lazy-tables.js";
import type { LrAutomaton } from "./lr-automaton.js";

/** Node kinds of the guard decision trees. */
export const NodeKind = { BRANCH: 0, EDGE: 1, REJECT: 2, ACCEPT: 3, FORK: 4 } as const;

/**
 * Deepest stack entry (below the top) an eager default reduction may read. A reduction needing a
 * deeper one waits for the next byte, which reads it anyway: the step that fills a length
 * bound's nested repetitions would otherwise unwind them all, reading (and guarding on) every
 * level, and a partial walk that knows only the top entries could not take it.
 */
const EAGER_DEPTH = 2;

/** Most reduce steps one GLR exploration may take (a runaway guard; grammars never come close). */
const MAX_FORK_STEPS = 1 << 16;

/**
 * The DPDA of one LR automaton: lazily built, memoised edges in typed arrays. Shared by all
 * matchers of a compiled grammar (single-threaded; building is invisible to callers).
 */
export class Dpda {
  readonly numCols: number;
  readonly eof: number;
  /** Atom of each byte, -1 for bytes never accepted. */
  readonly byteToAtom: Int16Array;
  private readonly action: Int32Array;
  private readonly gotos: IntPairMap;
  private readonly numNonterminals: number;
  private readonly prodLen: Int32Array;
  private readonly prodLhs: Int32Array;
  /**
   * Decision tree roots: state s's trees (one per column, -1 until built) are row `rootRow[s]`
   * of `roots`, added when its first tree is built (walks meet a fraction of the states).
   */
  private readonly rootRow: Int32Array;
  private readonly roots: ChunkedRows;
  /** Per node: kind and argument (branch: depth read; leaf: deepest depth its guard read). */
  readonly nodeKind: IntVec;
  readonly nodeDepth: IntVec;
  /** Per node: edge id (EDGE leaves), fork id (FORK leaves), else -1. */
  readonly nodeEdge: IntVec;
  /** Forks: edge ids `forkPool[forkStart[f] .. forkStart[f] + forkLen[f])`. */
  readonly forkStart = new IntVec(16);
  readonly forkLen = new IntVec(16);
  readonly forkPool = new IntVec(64);
  /** Every action of each conflicting table entry (`state * numCols + col`); null without conflicts. */
  private readonly alternatives: Map<number, Int32Array> | null;
  private readonly children: ShardedIntPairMap;
  /** Edges: pop count, and push sequence `pushPool[pushStart[e] .. pushStart[e] + pushLen[e])` bottom-first. */
  readonly edgePop: IntVec;
  readonly edgePushStart: IntVec;
  readonly edgePushLen: IntVec;
  readonly pushPool: IntVec;
  /** Scratch of the last simulation: guard reads, its edges (one, or a fork's), and a push sequence. */
  private readonly simReads = new IntVec(64);
  private readonly simEdges = new IntVec(8);
  private readonly simPush = new IntVec(64);
  /** Edges by (hash of pop and push, push length): the newest, then `edgeNextSame` links. */
  private readonly edgeByHash: IntPairMap;
  private readonly edgeNextSame: IntVec;

  /**
   * Per state: the production it reduces by default (its only action on every column), else -1.
   * Entering such a state after a shift reduces at once (see {@link simulate}); -1 everywhere
   * when eager reductions are off.
   */
  private readonly defaultReduce: Int32Array;

  /**
   * @param eager Take default reductions as soon as their state is entered (up to
   *   {@link EAGER_DEPTH}), so every way of completing a symbol (each UTF-8 form of a character,
   *   say) meets in one configuration before the next byte, instead of each needing its own edges
   *   for every next byte. The language is unchanged: an LR parser never shifts a byte its
   *   default reductions would have refused.
   */
  constructor(lr: LrAutomaton, eager = true) {
    const g = lr.grammar;
    this.numCols = g.numCols;
    this.eof = g.eof;
    this.byteToAtom = g.atoms.byteToAtom;
    this.action = lr.action;
    this.gotos = lr.gotos;
    this.numNonterminals = g.numNonterminals;
    this.prodLen = Int32Array.from(g.prodRhs, (r) => r.length);
    this.prodLhs = g.prodLhs;
    // The tables grow while masks are computed (see lazy-tables.ts): sized up front for a
    // typical lazily built tree (a few guard nodes per state), they seldom do.
    const hint = Math.min(Math.max(1024, lr.numStates * 2), 1 << 15);
    this.rootRow = new Int32Array(lr.numStates).fill(-1);
    this.roots = new ChunkedRows(this.numCols, -1);
    this.nodeKind = new IntVec(hint);
    this.nodeDepth = new IntVec(hint);
    this.nodeEdge = new IntVec(hint);
    this.children = new ShardedIntPairMap(hint);
    this.edgePop = new IntVec(hint >> 1);
    this.edgePushStart = new IntVec(hint >> 1);
    this.edgePushLen = new IntVec(hint >> 1);
    this.edgeNextSame = new IntVec(hint >> 1);
    this.edgeByHash = new IntPairMap(hint >> 1);
    this.pushPool = new IntVec(hint);
    this.alternatives = conflictAlternatives(lr);
    this.defaultReduce = eager ? defaultReductions(lr) : new Int32Array(lr.numStates).fill(-1);
  }

  /**
   * Whether the LR table refuses atom column `col` in `state` outright (no shift, no reduce): a
   * step from a stack topped by `state` then rejects without reading further, and needs no leaf.
   */
  refuses(state: number, col: number): boolean {
    return this.action[state * this.numCols + col] === 0;
  }

  /** Number of edges built so far. */
  get numEdges(): number {
    return this.edgePop.length;
  }

  /** Number of decision-tree nodes built so far. */
  get numNodes(): number {
    return this.nodeKind.length;
  }

  /**
   * The leaf node selected by atom column `col` on `stack[0 .. sp)` (top = `stack[sp - 1]`),
   * building it if needed. Returns -1 only when the guard reads below `base` (the stack below
   * `base` is unknown: used for context-independent precomputation).
   */
  select(stack: Int32Array, sp: number, col: number, base = 0): number {
    const row = this.rootRow[stack[sp - 1] as number] as number;
    let node = row < 0 ? -1 : this.roots.get(row, col);
    const kinds = this.nodeKind.data;
    while (node >= 0 && kinds[node] === NodeKind.BRANCH) {
      const idx = sp - 1 - (this.nodeDepth.data[node] as number);
      if (idx < base) return -1;
      node = this.children.get(node, stack[idx] as number);
    }
    if (node >= 0) return node;
    const kind = this.simulate(stack, sp, col, base);
    return kind < 0 ? -1 : this.insert(stack[sp - 1] as number, col, kind);
  }

  /**
   * Runs the LR reduce loop for `col` on the stack into the scratch fields (`simReads`: (depth,
   * value) pairs read below the top, depths increasing; `simEdges`: the edge); returns the leaf
   * kind, or -1 if it reads below `base`.
   */
  private simulate(stack: Int32Array, sp: number, col: number, base: number): number {
    if (this.alternatives) return this.simulateForks(stack, sp, col, base, this.alternatives);
    const reads = this.simReads;
    const virt = this.simPush;
    reads.length = 0;
    virt.length = 0;
    this.simEdges.length = 0;
    let realTop = sp;
    let lastRead = sp - 1;
    let state = stack[sp - 1] as number;
    let shifted = false;
    for (;;) {
      let p: number;
      if (shifted) {
        // After the shift: default reductions of the states entered, as long as they read
        // nothing below the guard's reads and EAGER_DEPTH, then the edge.
        p = this.defaultReduce[state] as number;
        if (p >= 0 && this.readsDeeper(p, virt.length, realTop, lastRead, sp)) p = -1;
        if (p < 0) {
          this.simEdges.push(this.edge(sp - realTop, virt));
          return NodeKind.EDGE;
        }
      } else {
        const act = this.action[state * this.numCols + col] as number;
        if (act === 0) {
          virt.length = 0;
          return NodeKind.REJECT;
        }
        if (act > 0) {
          state = act - 1;
          virt.push(state);
          shifted = true;
          continue;
        }
        p = -act - 1;
        if (p === 0) {
          virt.length = 0;
          return NodeKind.ACCEPT;
        }
      }
      const n = this.prodLen[p] as number;
      const fromVirt = Math.min(n, virt.length);
      virt.length -= fromVirt;
      realTop -= n - fromVirt;
      let q: number;
      if (virt.length > 0) q = virt.data[virt.length - 1] as number;
      else {
        const idx = realTop - 1;
        if (idx < base) return -1;
        q = stack[idx] as number;
        if (idx < lastRead) {
          reads.push(sp - 1 - idx);
          reads.push(q);
          lastRead = idx;
        }
      }
      state = this.gotos.get(q, this.prodLhs[p] as number);
      virt.push(state);
    }
  }

  /**
   * Whether reducing by `p`, with `virtLen` entries pushed above the real stack `[0 .. realTop)`
   * of size `sp`, reads an entry below both `lastRead` and {@link EAGER_DEPTH}.
   */
  private readsDeeper(p: number, virtLen: number, realTop: number, lastRead: number, sp: number): boolean {
    const n = this.prodLen[p] as number;
    const idx = realTop - 1 - (n - virtLen);
    return n >= virtLen && idx < lastRead && idx < sp - 1 - EAGER_DEPTH;
  }

  private newNode(kind: number, depth: number, edge: number): number {
    this.nodeKind.push(kind);
    this.nodeDepth.push(depth);
    return this.nodeEdge.push(edge);
  }

  /**
   * {@link simulate} for automata with conflicts: a depth-first search over every action of
   * conflicting entries. Reads are recorded in search order, each depth once; that order depends
   * only on the values read before, as the guard tree needs. Branches reaching a configuration
   * already explored stop (identical futures), so cycles of reductions end.
   */
  private simulateForks(
    stack: Int32Array,
    sp: number,
    col: number,
    base: number,
    alternatives: Map<number, Int32Array>,
  ): number {
    const reads = this.simReads;
    const edges = this.simEdges;
    const virt = this.simPush;
    reads.length = 0;
    edges.length = 0;
    let accept = false;
    let steps = 0;
    const read = new Set<number>();
    const seen = new Set<string>();
    // Pending branches: virtual stack above `realTop`, and the action to take next.
    const pending: { realTop: number; virt: number[]; act: number }[] = [];
    /** Real stack entry `idx`, recorded as a guard read the first time; -1 below `base`. */
    const readAt = (idx: number): number => {
      if (idx < base) return -1;
      const q = stack[idx] as number;
      if (!read.has(idx)) {
        read.add(idx);
        if (idx < sp - 1) {
          reads.push(sp - 1 - idx);
          reads.push(q);
        }
      }
      return q;
    };
    const branch = (realTop: number, v: number[]): void => {
      const key = `${realTop}:${v.join(",")}`;
      if (seen.has(key)) return;
      seen.add(key);
      const state = v.length > 0 ? (v[v.length - 1] as number) : (stack[realTop - 1] as number);
      const at = state * this.numCols + col;
      const alts = alternatives.get(at);
      if (alts)
        for (let k = alts.length - 1; k >= 0; k--) pending.push({ realTop, virt: v, act: alts[k] as number });
      else pending.push({ realTop, virt: v, act: this.action[at] as number });
    };
    branch(sp, []);
    while (pending.length > 0) {
      const { realTop: top, virt: v0, act } = pending.pop() as (typeof pending)[number];
      if (++steps > MAX_FORK_STEPS) throw new GrammarError("GLR reduce exploration did not end");
      if (act === 0) continue;
      if (act > 0) {
        virt.length = 0;
        for (const x of v0) virt.push(x);
        virt.push(act - 1);
        // Default reductions of the states entered, as in simulate.
        let realTop = top;
        for (;;) {
          const dp = this.defaultReduce[virt.data[virt.length - 1] as number] as number;
          if (dp < 0) break;
          const n = this.prodLen[dp] as number;
          let q: number;
          if (n < virt.length) {
            virt.length -= n;
            q = virt.data[virt.length - 1] as number;
          } else {
            const idx = realTop - 1 - (n - virt.length);
            if (idx < sp - 1 - EAGER_DEPTH && !read.has(idx)) break;
            q = readAt(idx);
            if (q < 0) return -1;
            virt.length = 0;
            realTop = idx + 1;
          }
          virt.push(this.gotos.get(q, this.prodLhs[dp] as number));
        }
        const e = this.edge(sp - realTop, virt);
        let dup = false;
        for (let k = 0; k < edges.length; k++) dup ||= edges.data[k] === e;
        if (!dup) edges.push(e);
        continue;
      }
      const p = -act - 1;
      if (p === 0) {
        accept = true;
        continue;
      }
      const n = this.prodLen[p] as number;
      const fromVirt = Math.min(n, v0.length);
      const v = v0.slice(0, v0.length - fromVirt);
      const realTop = top - (n - fromVirt);
      let q: number;
      if (v.length > 0) q = v[v.length - 1] as number;
      else {
        q = readAt(realTop - 1);
        if (q < 0) return -1;
      }
      v.push(this.gotos.get(q, this.prodLhs[p] as number));
      branch(realTop, v);
    }
    if (accept) return NodeKind.ACCEPT;
    if (edges.length === 0) return NodeKind.REJECT;
    return edges.length === 1 ? NodeKind.EDGE : NodeKind.FORK;
  }

  /** A leaf for the last simulation (of `kind`), at the deepest position its guard read. */
  private leaf(kind: number): number {
    const r = this.simReads;
    let depth = 0;
    for (let i = 0; i < r.length; i += 2) depth = Math.max(depth, r.data[i] as number);
    let arg = -1;
    if (kind === NodeKind.EDGE) arg = this.simEdges.data[0] as number;
    else if (kind === NodeKind.FORK) {
      arg = this.forkStart.push(this.forkPool.length);
      this.forkLen.push(this.simEdges.length);
      for (let k = 0; k < this.simEdges.length; k++) this.forkPool.push(this.simEdges.data[k] as number);
    }
    return this.newNode(kind, depth, arg);
  }

  /** The edge "pop `pop`, push `push`" (interned: every leaf that needs it shares it). */
  private edge(pop: number, push: IntVec): number {
    const n = push.length;
    const data = push.data;
    let h = Math.imul(pop + 1, 0x9e3779b1);
    for (let i = 0; i < n; i++) h = Math.imul(h ^ (data[i] as number), 0x01000193);
    h >>>= 1; // non-negative for IntPairMap
    for (let e = this.edgeByHash.get(h, n); e >= 0; e = this.edgeNextSame.data[e] as number)
      if (this.sameEdge(e, pop, push)) return e;
    const e = this.edgePop.push(pop);
    this.edgePushStart.push(this.pushPool.length);
    this.edgePushLen.push(n);
    for (let i = 0; i < n; i++) this.pushPool.push(data[i] as number);
    this.edgeNextSame.push(this.edgeByHash.get(h, n));
    this.edgeByHash.set(h, n, e);
    return e;
  }

  private sameEdge(e: number, pop: number, push: IntVec): boolean {
    if (this.edgePop.data[e] !== pop || this.edgePushLen.data[e] !== push.length) return false;
    const start = this.edgePushStart.data[e] as number;
    for (let i = 0; i < push.length; i++) if (this.pushPool.data[start + i] !== push.data[i]) return false;
    return true;
  }

  /** Inserts the last simulated path into the decision tree of (state, col); returns its leaf. */
  private insert(state: number, col: number, kind: number): number {
    const r = this.simReads;
    let row = this.rootRow[state] as number;
    if (row < 0) {
      row = this.roots.add();
      this.rootRow[state] = row;
    }
    let node = this.roots.get(row, col);
    if (node < 0) {
      node = r.length === 0 ? this.leaf(kind) : this.newNode(NodeKind.BRANCH, r.data[0] as number, -1);
      this.roots.set(row, col, node);
    }
    for (let i = 0; i < r.length; i += 2) {
      const value = r.data[i + 1] as number;
      let child = this.children.get(node, value);
      if (child < 0) {
        child =
          i + 2 < r.length ? this.newNode(NodeKind.BRANCH, r.data[i + 2] as number, -1) : this.leaf(kind);
        this.children.set(node, value, child);
      }
      node = child;
    }
    return node;
  }
}

/**
 * Per state of `lr`: the production it reduces by on every column it acts on, else -1 (also for
 * states with a conflict: the table keeps one of their actions only).
 */
function defaultReductions(lr: LrAutomaton): Int32Array {
  const numCols = lr.grammar.numCols;
  const out = new Int32Array(lr.numStates).fill(-1);
  const conflicted = new Set(lr.conflicts.map((c) => c.state));
  for (let s = 0; s < lr.numStates; s++) {
    if (conflicted.has(s)) continue;
    let only = 0;
    for (let c = 0; c < numCols; c++) {
      const act = lr.action[s * numCols + c] as number;
      if (act === 0) continue;
      if (act > 0 || act === -1 || (only !== 0 && act !== only)) {
        only = 0;
        break;
      }
      only = act;
    }
    if (only !== 0) out[s] = -only - 1;
  }
  return out;
}

/** Every action of each conflicting entry of `lr`'s table, the one the table kept first. */
function conflictAlternatives(lr: LrAutomaton): Map<number, Int32Array> | null {
  if (lr.conflicts.length === 0) return null;
  const numCols = lr.grammar.numCols;
  const lists = new Map<number, number[]>();
  for (const c of lr.conflicts) {
    const at = c.state * numCols + c.col;
    let list = lists.get(at);
    if (!list) {
      list = [lr.action[at] as number];
      lists.set(at, list);
    }
    if (!list.includes(c.action)) list.push(c.action);
  }
  return new Map([...lists].map(([at, list]) => [at, Int32Array.from(list)]));
}
