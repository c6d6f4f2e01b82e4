/**
 * String-body slices under a length bound (`maxLength`). A configuration that may
 * take only `n` more characters before its closing `"` accepts the slice's tokens that need at
 * most `n` characters; body-check.ts finds `n`, this file keeps the per-token counts and writes
 * the limited slices.
 */

import { type BodyAutomaton, bodySlice, subtreeTokenWords } from "./string-body-slice.js";
import type { VocabTrie } from "./vocab-trie.js";

const QUOTE = 0x22;
/** Fewest tokens under a shallow trie node for slicing it word by word (cached word lists). */
export const WORDWISE_MIN_TOKENS = 512;

const needsByTrie = new WeakMap<VocabTrie, Map<string, Uint8Array>>();

/**
 * Per token id: the characters `body` reads to take the token whole from state 0, a started
 * character (a UTF-8 sequence, an escape) counting as one; 255 past that or for tokens outside
 * the slice. Computed once per vocabulary (at compiler construction, see prepareTrieWalks).
 */
export function bodyNeeds(trie: VocabTrie, body: BodyAutomaton): Uint8Array {
  let byName = needsByTrie.get(trie);
  if (!byName) {
    byName = new Map();
    needsByTrie.set(trie, byName);
  }
  const hit = byName.get(body.name);
  if (hit) return hit;
  const needs = new Uint8Array(trie.vocabSize).fill(255);
  const level = new Int16Array(trie.maxTokenBytes + 2);
  const chars = new Int32Array(trie.maxTokenBytes + 2);
  const { nodeByte, nodeDepth, subtreeEnd, tokenStart, tokenIds } = trie;
  let i = 1;
  while (i < trie.numNodes) {
    const d = nodeDepth[i] as number;
    const b = nodeByte[i] as number;
    const q = b === QUOTE ? -1 : (body.next[(level[d - 1] as number) * 256 + b] as number);
    if (q < 0) {
      i = subtreeEnd[i] as number;
      continue;
    }
    level[d] = q;
    chars[d] = (chars[d - 1] as number) + (q === 0 ? 1 : 0);
    const n = Math.min(255, (chars[d] as number) + (q === 0 ? 0 : 1));
    for (let k = tokenStart[i] as number, stop = tokenStart[i + 1] as number; k < stop; k++)
      needs[tokenIds[k] as number] = n;
    i++;
  }
  byName.set(body.name, needs);
  return needs;
}

const overByTrie = new WeakMap<VocabTrie, Map<string, { ids: Int32Array; start: Int32Array }>>();

/**
 * The slice's tokens by the characters they need, most first: `ids[0 .. start[n])` are those
 * needing more than `n` (cached per vocabulary).
 */
export function sliceByNeeds(trie: VocabTrie, body: BodyAutomaton): { ids: Int32Array; start: Int32Array } {
  let byName = overByTrie.get(trie);
  if (!byName) {
    byName = new Map();
    overByTrie.set(trie, byName);
  }
  let hit = byName.get(body.name);
  if (!hit) {
    const slice = bodySlice(trie, body);
    const needs = bodyNeeds(trie, body);
    const inSlice = (id: number) => (((slice[id >> 5] as number) >>> (id & 31)) & 1) === 1;
    // A counting sort, most needed first: start[n] = how many need more than n.
    const count = new Int32Array(257);
    for (let id = 0; id < needs.length; id++) {
      const n = needs[id] as number;
      if (inSlice(id)) count[n] = (count[n] as number) + 1;
    }
    const start = new Int32Array(257);
    for (let n = 255; n >= 0; n--) start[n] = (start[n + 1] as number) + (count[n + 1] as number);
    const ids = new Int32Array((start[0] as number) + (count[0] as number));
    const at = start.slice();
    for (let id = 0; id < needs.length; id++) {
      const n = needs[id] as number;
      if (!inSlice(id)) continue;
      ids[at[n] as number] = id;
      at[n] = (at[n] as number) + 1;
    }
    hit = { ids, start };
    byName.set(body.name, hit);
  }
  return hit;
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
  for (let k = 0, stop = start[Math.min(256, Math.max(0, levels))] as number; k < stop; k++) {
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
    if ((((slice[id >> 5] as number) >>> (id & 31)) & 1) === 0) continue;
    if (needs !== null && (needs[id] as number) > limit) continue;
    const w = offset + (id >> 5);
    mask[w] = (mask[w] as number) | (1 << (id & 31));
  }
}
