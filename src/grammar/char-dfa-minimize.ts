/**
 * DFA minimisation (Hopcroft, O(k·n·log n)) for {@link CharDfa}: the code points are first cut
 * into the k elementary intervals all edges agree on, missing transitions go to an explicit
 * dead state, and blocks are split by the predecessors of the smaller half each time. States
 * with equal labels and equal futures merge; the start state's block becomes state 0.
 */

import type { CharDfa, DfaEdge } from "./char-dfa.js";

/** The elementary intervals (start points, sorted) that every edge of `dfa` is a union of. */
function cutPoints(dfa: CharDfa): number[] {
  const points = new Set<number>();
  for (const list of dfa.edges) for (const e of list) points.add(e.lo).add(e.hi + 1);
  return [...points].sort((a, b) => a - b);
}

/** `delta[s * k + c]` over the intervals; state `n` is the dead state. */
function transitionTable(dfa: CharDfa, cuts: readonly number[]): Int32Array {
  const n = dfa.edges.length;
  const k = Math.max(1, cuts.length - 1);
  const delta = new Int32Array((n + 1) * k).fill(n);
  const index = new Map<number, number>();
  cuts.forEach((p, i) => {
    index.set(p, i);
  });
  dfa.edges.forEach((list, s) => {
    for (const e of list) {
      const from = index.get(e.lo) as number;
      const to = index.get(e.hi + 1) as number;
      for (let c = from; c < to; c++) delta[s * k + c] = e.to;
    }
  });
  return delta;
}

/** Hopcroft's refinement; returns the block of every state (dead state included). */
function refine(delta: Int32Array, labels: Int32Array, n: number, k: number): Int32Array {
  const total = n + 1;
  // Predecessors per (class, target): CSR.
  const count = new Int32Array(k * total + 1);
  for (let s = 0; s < total; s++)
    for (let c = 0; c < k; c++) {
      const at = c * total + (delta[s * k + c] as number) + 1;
      count[at] = (count[at] as number) + 1;
    }
  for (let i = 0; i < k * total; i++) count[i + 1] = (count[i + 1] as number) + (count[i] as number);
  const preds = new Int32Array(total * k);
  const fill = count.slice(0, k * total);
  for (let s = 0; s < total; s++)
    for (let c = 0; c < k; c++) {
      const at = c * total + (delta[s * k + c] as number);
      preds[fill[at] as number] = s;
      fill[at] = (fill[at] as number) + 1;
    }
  // Initial partition by label (the dead state is unlabelled, -1).
  const block = new Int32Array(total);
  const members: number[][] = [];
  const byLabel = new Map<number, number>();
  for (let s = 0; s < total; s++) {
    const l = s < n ? (labels[s] as number) : -1;
    let b = byLabel.get(l);
    if (b === undefined) {
      b = members.length;
      byLabel.set(l, b);
      members.push([]);
    }
    block[s] = b;
    (members[b] as number[]).push(s);
  }
  const work: number[] = members.map((_, b) => b);
  const inWork = new Uint8Array(total + 1).fill(1);
  const marked = new Int32Array(total);
  let mark = 0;
  const touchedCount = new Map<number, number>();
  while (work.length > 0) {
    const a = work.pop() as number;
    inWork[a] = 0;
    const splitter = [...(members[a] as number[])];
    for (let c = 0; c < k; c++) {
      mark++;
      touchedCount.clear();
      for (const t of splitter) {
        for (let i = count[c * total + t] as number, end = count[c * total + t + 1] as number; i < end; i++) {
          const s = preds[i] as number;
          if (marked[s] === mark) continue;
          marked[s] = mark;
          touchedCount.set(block[s] as number, (touchedCount.get(block[s] as number) ?? 0) + 1);
        }
      }
      for (const [b, hit] of touchedCount) {
        const all = members[b] as number[];
        if (hit === all.length) continue;
        const inside = all.filter((s) => marked[s] === mark);
        const outside = all.filter((s) => marked[s] !== mark);
        const nb = members.length;
        const [keep, move] = inside.length <= outside.length ? [outside, inside] : [inside, outside];
        members[b] = keep;
        members.push(move);
        for (const s of move) block[s] = nb;
        // Hopcroft: the new (smaller) half always joins the work list; `b` stays there if it was.
        work.push(nb);
        inWork[nb] = 1;
      }
    }
  }
  return block;
}

/** The minimal DFA equivalent to `dfa` (labels preserved; start state 0). */
export function minimizeDfa(dfa: CharDfa): CharDfa {
  const n = dfa.edges.length;
  const cuts = cutPoints(dfa);
  const k = Math.max(1, cuts.length - 1);
  const block = refine(transitionTable(dfa, cuts), dfa.label, n, k);
  const dead = block[n] as number;
  const order = new Map<number, number>();
  order.set(block[0] as number, 0);
  for (let s = 0; s < n; s++)
    if (!order.has(block[s] as number) && block[s] !== dead) order.set(block[s] as number, order.size);
  const m = order.size;
  const edges: DfaEdge[][] = Array.from({ length: m }, () => []);
  const label = new Int32Array(m).fill(-1);
  const done = new Uint8Array(m);
  for (let s = 0; s < n; s++) {
    const b = order.get(block[s] as number);
    if (b === undefined || done[b]) continue;
    done[b] = 1;
    label[b] = dfa.label[s] as number;
    const out: DfaEdge[] = [];
    for (const e of dfa.edges[s] ?? []) {
      const to = order.get(block[e.to] as number);
      if (to === undefined) continue;
      const last = out[out.length - 1];
      if (last && last.to === to && last.hi + 1 === e.lo) out[out.length - 1] = { lo: last.lo, hi: e.hi, to };
      else out.push({ lo: e.lo, hi: e.hi, to });
    }
    edges[b] = out;
  }
  return { edges, label };
}
