/**
 * A byte trie over a vocabulary, flattened in DFS pre-order with subtree ends, so a mask walk
 * visits nodes left to right and skips a whole subtree on a rejected byte. Built once per
 * TokenizerInfo (by GrammarCompiler) and shared by every grammar compiled against it.
 */

import { TokenFlag, type TokenizerInfo } from "../model/tokenizer-info.js";

/** The flattened trie. Node 0 is the root (empty prefix). Arrays are owned by the trie. */
export interface VocabTrie {
  readonly vocabSize: number;
  /** Int32 words per mask row: ⌈vocabSize / 32⌉. */
  readonly wordsPerRow: number;
  readonly numNodes: number;
  /** Byte on the edge into each node (root: 0). */
  readonly nodeByte: Uint8Array;
  /** Depth of each node (root 0) = length of its byte prefix. */
  readonly nodeDepth: Uint16Array;
  /** Parent of each node (root: -1). */
  readonly nodeParent: Int32Array;
  /** Index of the first node after each node's subtree. */
  readonly subtreeEnd: Int32Array;
  /** Tokens whose bytes end at node n: `tokenIds[tokenStart[n] .. tokenStart[n + 1])`. */
  readonly tokenStart: Int32Array;
  readonly tokenIds: Int32Array;
  /** End-of-generation token ids (allowed only when the output is complete). */
  readonly eogIds: Int32Array;
  /** Longest token in bytes. */
  readonly maxTokenBytes: number;
  /**
   * The bytes on the edges of each node's subtree, its own edge included: a 256-bit set per
   * node, words `subtreeBytes[n * 8 .. n * 8 + 8)`. Lets a walk accept a whole subtree at once
   * when every byte in it loops back to the same configuration (string bodies).
   */
  readonly subtreeBytes: Int32Array;
  /** Length in bytes of the longest token in each node's subtree (0: none). */
  readonly subtreeMaxTokenBytes: Uint16Array;
}

/** Whether token `id` can appear as text (not special, unused or end-of-generation; non-empty). */
function isTextToken(info: TokenizerInfo, id: number): boolean {
  const flags = info.tokenFlags[id] ?? 0;
  if (flags & (TokenFlag.SPECIAL | TokenFlag.UNUSED | TokenFlag.EOG)) return false;
  return (info.offsets[id + 1] as number) > (info.offsets[id] as number);
}

/** Byte-wise order of two tokens' bytes (a prefix first), read in place. */
function compareTokenBytes(info: TokenizerInfo, a: number, b: number): number {
  const { bytes, offsets } = info;
  const ia = offsets[a] as number;
  const ib = offsets[b] as number;
  const na = (offsets[a + 1] as number) - ia;
  const nb = (offsets[b + 1] as number) - ib;
  for (let k = 0, n = Math.min(na, nb); k < n; k++) {
    const d = (bytes[ia + k] as number) - (bytes[ib + k] as number);
    if (d !== 0) return d;
  }
  return na - nb;
}

/** Builds the trie of `info`'s text tokens (special and unused tokens never appear). */
export function buildVocabTrie(info: TokenizerInfo): VocabTrie {
  const buf = Buffer.from(info.bytes.buffer, info.bytes.byteOffset, info.bytes.byteLength);
  const view = (id: number) => buf.subarray(info.offsets[id], info.offsets[id + 1]);
  const ids: number[] = [];
  for (let id = 0; id < info.vocabSize; id++) if (isTextToken(info, id)) ids.push(id);
  ids.sort((a, b) => compareTokenBytes(info, a, b) || a - b);
  const nodeByte: number[] = [0];
  const nodeDepth: number[] = [0];
  const nodeParent: number[] = [-1];
  const subtreeEnd: number[] = [0];
  const endNode: number[] = [];
  const path: number[] = [0];
  let prev: Buffer = Buffer.alloc(0);
  let maxTokenBytes = 0;
  ids.forEach((id) => {
    const cur = view(id);
    maxTokenBytes = Math.max(maxTokenBytes, cur.length);
    let lcp = 0;
    while (lcp < prev.length && lcp < cur.length && prev[lcp] === cur[lcp]) lcp++;
    while (path.length - 1 > lcp) subtreeEnd[path.pop() as number] = nodeByte.length;
    for (let d = lcp; d < cur.length; d++) {
      nodeParent.push(path[path.length - 1] as number);
      path.push(nodeByte.length);
      nodeByte.push(cur[d] as number);
      nodeDepth.push(d + 1);
      subtreeEnd.push(0);
    }
    endNode.push(path[path.length - 1] as number);
    prev = cur;
  });
  while (path.length > 0) subtreeEnd[path.pop() as number] = nodeByte.length;
  const numNodes = nodeByte.length;
  // Tokens ending at a node are consecutive in sorted order: count them per node.
  const counts = new Int32Array(numNodes);
  for (const n of endNode) counts[n] = (counts[n] as number) + 1;
  const tokenStart = new Int32Array(numNodes + 1);
  for (let n = 0; n < numNodes; n++) tokenStart[n + 1] = (tokenStart[n] as number) + (counts[n] as number);
  const parents = Int32Array.from(nodeParent);
  const bytes = Uint8Array.from(nodeByte);
  return {
    vocabSize: info.vocabSize,
    wordsPerRow: (info.vocabSize + 31) >> 5,
    numNodes,
    nodeByte: bytes,
    nodeDepth: Uint16Array.from(nodeDepth),
    nodeParent: parents,
    subtreeEnd: Int32Array.from(subtreeEnd),
    tokenStart,
    tokenIds: Int32Array.from(ids),
    eogIds: Int32Array.from(info.eogIds.filter((id) => id >= 0 && id < info.vocabSize)),
    maxTokenBytes,
    subtreeBytes: subtreeByteSets(bytes, parents),
    subtreeMaxTokenBytes: longestTokens(tokenStart, Uint16Array.from(nodeDepth), parents),
  };
}

/** Per node: the longest token ending in its subtree (children before parents). */
function longestTokens(tokenStart: Int32Array, nodeDepth: Uint16Array, nodeParent: Int32Array): Uint16Array {
  const longest = new Uint16Array(nodeDepth.length);
  for (let n = nodeDepth.length - 1; n > 0; n--) {
    if ((tokenStart[n + 1] as number) > (tokenStart[n] as number))
      longest[n] = Math.max(longest[n] as number, nodeDepth[n] as number);
    const up = nodeParent[n] as number;
    longest[up] = Math.max(longest[up] as number, longest[n] as number);
  }
  return longest;
}

/** Children before parents (reverse DFS order): each node's set is complete when it is merged up. */
function subtreeByteSets(nodeByte: Uint8Array, nodeParent: Int32Array): Int32Array {
  const sets = new Int32Array(nodeByte.length * 8);
  for (let n = nodeByte.length - 1; n > 0; n--) {
    const b = nodeByte[n] as number;
    const at = n * 8;
    sets[at + (b >> 5)] = (sets[at + (b >> 5)] as number) | (1 << (b & 31));
    const up = (nodeParent[n] as number) * 8;
    for (let w = 0; w < 8; w++) sets[up + w] = (sets[up + w] as number) | (sets[at + w] as number);
  }
  return sets;
}
