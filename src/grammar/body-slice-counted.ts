/**
 * String-body slices under a length bound (`maxLength`). A configuration that may
 * take only `n` more characters before its closing `"` accepts the slice's tokens that need at
 * most `n` characters; body-check.ts finds `n`, this file keeps the per-token counts and writes
 * the limited slices.
 */

import {
  type BodyAutomaton,
  bodyNeeds,
  bodySlice,
  NOT_A_BODY,
  perBody,
  subtreeTokenWords,
} from "./string-body-slice.js";
import type { VocabTrie } from "./vocab-trie.js";

/** Fewest tokens under a shallow trie node for slicing it word by word (cached word lists). */
export const WORDWISE_MIN_TOKENS = 512;

/** The slice's tokens by need, most first (see {@link sliceByNeeds}). */
interface ByNeeds {
  readonly ids: Int32Array;
  readonly start: Int32Array;
}

const overByTrie = new WeakMap<VocabTrie, Map<string, ByNeeds>>();

/**
 * The slice's tokens by the characters they need, most first: `ids[0 .. start[n])` are those
 * needing more than `n` (cached per vocabulary).
 */
export function sliceByNeeds(trie: VocabTrie, body: BodyAutomaton): ByNeeds {
  return perBody(overByTrie, trie, body, computeSliceByNeeds);
}

function computeSliceByNeeds(trie: VocabTrie, body: BodyAutomaton): ByNeeds {
  const needs = bodyNeeds(trie, body);
  // A counting sort, most needed first: start[n] = how many need more than n.
  const count = new Int32Array(NOT_A_BODY + 1);
  for (const n of needs) if (n !== NOT_A_BODY) count[n] = (count[n] as number) + 1;
  const start = new Int32Array(NOT_A_BODY + 1);
  for (let n = NOT_A_BODY - 1; n >= 0; n--) start[n] = (start[n + 1] as number) + (count[n + 1] as number);
  const ids = new Int32Array((start[0] as number) + (count[0] as number));
  const at = start.slice();
  needs.forEach((n, id) => {
    if (n === NOT_A_BODY) return;
    ids[at[n] as number] = id;
    at[n] = (at[n] as number) + 1;
  });
  return { ids, start };
}

/**
 * Writes {@link bodySlice} into `mask[offset ..]`, less the tokens that need more than
 * `levels` characters (the remainder of a length bound; infinite for a body without one).
 */
export function writeBodySlice(
  trie: VocabTrie,
  body: BodyAutomaton,
  levels: number,
  mask: Int32Array,
  offset: number,
): void {
  mask.set(bodySlice(trie, body), offset);
  if (levels >= trie.maxTokenBytes) return;
  const { ids, start } = sliceByNeeds(trie, body);
  for (let k = 0, stop = start[Math.min(NOT_A_BODY - 1, Math.max(0, levels))] as number; k < stop; k++) {
    const id = ids[k] as number;
    const w = offset + (id >> 5);
    mask[w] = (mask[w] as number) & ~(1 << (id & 31));
  }
}

/**
 * Adds the slice's tokens under trie node `node` that need at most `limit` characters (counted
 * from the token's start) to `mask[offset ..]`; `shallow` nodes with many tokens go word by
 * word.
 */
export function addSubtreeSlice(
  trie: VocabTrie,
  body: BodyAutomaton,
  limit: number,
  node: number,
  shallow: boolean,
  mask: Int32Array,
  offset: number,
): void {
  const slice = bodySlice(trie, body);
  const start = trie.tokenStart[node] as number;
  const stop = trie.tokenStart[trie.subtreeEnd[node] as number] as number;
  const needs = limit >= trie.maxTokenBytes ? null : bodyNeeds(trie, body);
  if (needs === null && shallow && stop - start >= WORDWISE_MIN_TOKENS) {
    const pairs = subtreeTokenWords(trie, node);
    for (let k = 0; k < pairs.length; k += 2) {
      const w = pairs[k] as number;
      mask[offset + w] = (mask[offset + w] as number) | ((slice[w] as number) & (pairs[k + 1] as number));
    }
    return;
  }
  for (let k = start; k < stop; k++) {
    const id = trie.tokenIds[k] as number;
    // Under a bound (below NOT_A_BODY) the count alone decides; else the slice.
    const ok =
      needs !== null
        ? (needs[id] as number) <= limit
        : (((slice[id >> 5] as number) >>> (id & 31)) & 1) === 1;
    if (ok) mask[offset + (id >> 5)] = (mask[offset + (id >> 5)] as number) | (1 << (id & 31));
  }
}
