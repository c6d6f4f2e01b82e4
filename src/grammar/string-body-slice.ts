/**
 * Vocabulary slices for JSON string bodies (llguidance's "slicer", made exact for a DPDA).
 *
 * Inside an unconstrained JSON string the allowed tokens barely depend on the grammar: any token
 * whose bytes hold no `"` is allowed exactly when its bytes are a viable continuation of a string
 * body (valid UTF-8, escapes well formed). That set is computed once per vocabulary and body
 * automaton; a grammar state then only walks the tokens that contain a `"` (where the grammar
 * decides what may follow the string). A state qualifies when its walk configurations simulate
 * the body automaton on every byte but `"` (checked, so the shortcut is exact).
 */

import type { VocabTrie } from "./vocab-trie.js";

/** A byte automaton of string bodies: `next[q * 256 + b]` is the next state or -1; state 0 = between characters. */
export interface BodyAutomaton {
  readonly name: string;
  readonly numStates: number;
  readonly next: Int16Array;
}

const QUOTE = 0x22;

/** Byte classes of UTF-8 for code points U+0080.. (surrogates excluded), from state 0. */
function addUtf8(next: Int16Array, add: () => number): void {
  // Continuation states: c1 needs one more byte 80-BF, c2 two, c3 three; lead-specific seconds.
  const [c1, c2, c3, e0, ed, f0, f4] = [add(), add(), add(), add(), add(), add(), add()];
  const on = (q: number, lo: number, hi: number, to: number) => {
    for (let b = lo; b <= hi; b++) next[q * 256 + b] = to;
  };
  on(0, 0xc2, 0xdf, c1);
  on(0, 0xe0, 0xe0, e0);
  on(0, 0xe1, 0xec, c2);
  on(0, 0xed, 0xed, ed);
  on(0, 0xee, 0xef, c2);
  on(0, 0xf0, 0xf0, f0);
  on(0, 0xf1, 0xf3, c3);
  on(0, 0xf4, 0xf4, f4);
  on(c1, 0x80, 0xbf, 0);
  on(c2, 0x80, 0xbf, c1);
  on(c3, 0x80, 0xbf, c2);
  on(e0, 0xa0, 0xbf, c1);
  on(ed, 0x80, 0x9f, c1);
  on(f0, 0x90, 0xbf, c2);
  on(f4, 0x80, 0x8f, c2);
}

/** Builds a body automaton; `escapes` adds the states after `\\` (given that state). */
function bodyAutomaton(
  name: string,
  escapes: (esc: number, on: On, add: () => number) => void,
): BodyAutomaton {
  const next = new Int16Array(64 * 256).fill(-1);
  let numStates = 1;
  const add = () => numStates++;
  const on: On = (q, chars, to) => {
    for (const c of chars) next[q * 256 + c.charCodeAt(0)] = to;
  };
  for (let b = 0x20; b < 0x80; b++) if (b !== QUOTE && b !== 0x5c) next[b] = 0;
  addUtf8(next, () => add());
  const esc = add();
  next[0x5c] = esc;
  escapes(esc, on, add);
  return { name, numStates, next: next.slice(0, numStates * 256) };
}

type On = (q: number, chars: string, to: number) => void;

const HEX = "0123456789abcdefABCDEF";

/** Any escape JSON allows: `\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t` and `\uXXXX` (any hex case). */
export const ANY_ESCAPE_BODY: BodyAutomaton = bodyAutomaton("json-char", (esc, on, add) => {
  on(esc, '"\\/bfnrt', 0);
  let q = add();
  on(esc, "u", q);
  for (let k = 0; k < 3; k++) {
    const t = add();
    on(q, HEX, t);
    q = t;
  }
  on(q, HEX, 0);
});

/** The escapes `JSON.stringify` writes (object keys, exact value sets). */
export const CANONICAL_ESCAPE_BODY: BodyAutomaton = bodyAutomaton("json-key-char", (esc, on, add) => {
  on(esc, '"\\bfnrt', 0);
  const [u, u0, u00, x0, x1] = [add(), add(), add(), add(), add()];
  on(esc, "u", u);
  on(u, "0", u0);
  on(u0, "0", u00);
  on(u00, "0", x0);
  on(u00, "1", x1);
  on(x0, "01234567bef", 0);
  on(x1, "0123456789abcdef", 0);
});

/**
 * Escapes as strings counted by code point write them: `\uXXXX` is a non-surrogate or a whole
 * surrogate pair (one character), and a lone low surrogate is refused.
 */
export const CODE_POINT_BODY: BodyAutomaton = bodyAutomaton("json-code-point", (esc, on, add) => {
  on(esc, '"\\/bfnrt', 0);
  // After `\u`: a non-surrogate (h3..h1: hex digits left), or a high surrogate (s2..s0) then `\u`
  // and a low surrogate.
  const [u, d, h3, h2, h1] = [add(), add(), add(), add(), add()];
  const [s2, s1, s0, sEsc, sU, sD] = [add(), add(), add(), add(), add(), add()];
  on(esc, "u", u);
  on(u, "0123456789ABCEFabcef", h3);
  on(u, "Dd", d);
  on(d, "01234567", h2);
  on(d, "89ABab", s2);
  on(h3, HEX, h2);
  on(h2, HEX, h1);
  on(h1, HEX, 0);
  on(s2, HEX, s1);
  on(s1, HEX, s0);
  on(s0, "\\", sEsc);
  on(sEsc, "u", sU);
  on(sU, "Dd", sD);
  on(sD, "CDEFcdef", h2);
});

/** The automata tried, in order. */
export const BODY_AUTOMATA: readonly BodyAutomaton[] = [
  ANY_ESCAPE_BODY,
  CANONICAL_ESCAPE_BODY,
  CODE_POINT_BODY,
];

/** Per vocabulary and body automaton (by name): data computed once and kept. */
export function perBody<T>(
  store: WeakMap<VocabTrie, Map<string, T>>,
  trie: VocabTrie,
  body: BodyAutomaton,
  /** Computes the data on first use (a function declared once: no closure per call). */
  make: (trie: VocabTrie, body: BodyAutomaton) => T,
): T {
  let byName = store.get(trie);
  if (!byName) {
    byName = new Map();
    store.set(trie, byName);
  }
  let hit = byName.get(body.name);
  if (hit === undefined) {
    hit = make(trie, body);
    byName.set(body.name, hit);
  }
  return hit;
}

/** What a token needs of a body that cannot take it (a `"`, invalid bytes). */
export const NOT_A_BODY = 255;

const needsByTrie = new WeakMap<VocabTrie, Map<string, Uint8Array>>();

/**
 * Per token id: the characters `body` reads to take the token whole from state 0, a started
 * character (a UTF-8 sequence, an escape) counting as one; {@link NOT_A_BODY} for tokens it
 * cannot take (a token of at most 128 bytes needs at most 128). Computed once per vocabulary.
 */
export function bodyNeeds(trie: VocabTrie, body: BodyAutomaton): Uint8Array {
  return perBody(needsByTrie, trie, body, computeBodyNeeds);
}

function computeBodyNeeds(trie: VocabTrie, body: BodyAutomaton): Uint8Array {
  const needs = new Uint8Array(trie.vocabSize).fill(NOT_A_BODY);
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
    const n = Math.min(NOT_A_BODY - 1, (chars[d] as number) + (q === 0 ? 0 : 1));
    for (let k = tokenStart[i] as number, stop = tokenStart[i + 1] as number; k < stop; k++)
      needs[tokenIds[k] as number] = n;
    i++;
  }
  return needs;
}

const slices = new WeakMap<VocabTrie, Map<string, Int32Array>>();

/**
 * The tokens (bitmask over token ids, `trie.wordsPerRow` words) with no `"` byte whose bytes are
 * a viable continuation from state 0 of `body`; computed once per vocabulary (owned by the cache).
 */
export function bodySlice(trie: VocabTrie, body: BodyAutomaton): Int32Array {
  return perBody(slices, trie, body, computeBodySlice);
}

function computeBodySlice(trie: VocabTrie, body: BodyAutomaton): Int32Array {
  const needs = bodyNeeds(trie, body);
  const mask = new Int32Array(trie.wordsPerRow);
  for (let id = 0; id < needs.length; id++)
    if (needs[id] !== NOT_A_BODY) mask[id >> 5] = (mask[id >> 5] as number) | (1 << (id & 31));
  return mask;
}

const prefixStates = new WeakMap<VocabTrie, Map<string, Int32Array>>();

/**
 * Per trie node: where `body` is after the node's byte prefix, from state 0, as
 * `chars * 64 + state` (`chars`: characters the prefix completed), or -1 when the prefix holds
 * a `"` or `body` refuses it. Computed once per vocabulary.
 */
export function bodyPrefixStates(trie: VocabTrie, body: BodyAutomaton): Int32Array {
  return perBody(prefixStates, trie, body, computeBodyPrefixStates);
}

function computeBodyPrefixStates(trie: VocabTrie, body: BodyAutomaton): Int32Array {
  if (body.numStates > 64) throw new Error(`body automaton ${body.name} has over 64 states`);
  const out = new Int32Array(trie.numNodes);
  // Pre-order: a parent comes before its children.
  for (let i = 1; i < trie.numNodes; i++) {
    const up = out[trie.nodeParent[i] as number] as number;
    const b = trie.nodeByte[i] as number;
    const q = up < 0 || b === QUOTE ? -1 : (body.next[(up & 63) * 256 + b] as number);
    out[i] = q < 0 ? -1 : ((up >> 6) + (q === 0 ? 1 : 0)) * 64 + q;
  }
  return out;
}

const probes = new Map<BodyAutomaton, Int16Array>();

/** A byte `body` accepts from state `q` (never `"`): `a` between characters. */
export function probeByte(body: BodyAutomaton, q: number): number {
  let p = probes.get(body);
  if (!p) {
    p = new Int16Array(body.numStates);
    for (let s = 0; s < body.numStates; s++) {
      let pick = 0x61;
      if ((body.next[s * 256 + pick] as number) < 0)
        for (let b = 0x30; b < 0x100; b++)
          if (b !== QUOTE && (body.next[s * 256 + b] as number) >= 0) {
            pick = b;
            break;
          }
      p[s] = pick;
    }
    probes.set(body, p);
  }
  return p[q] as number;
}

const quoteNodes = new WeakMap<VocabTrie, Int32Array>();

/**
 * Per trie node: the first node at or after it (in the trie's pre-order) whose subtree, its own
 * byte included, holds a `"` (`numNodes` when none). A walk of the tokens holding a `"` jumps
 * straight there instead of testing every subtree in between (computed once per vocabulary).
 */
export function nextQuoteNodes(trie: VocabTrie): Int32Array {
  let next = quoteNodes.get(trie);
  if (next === undefined) {
    next = new Int32Array(trie.numNodes + 1);
    next[trie.numNodes] = trie.numNodes;
    for (let n = trie.numNodes - 1; n >= 0; n--) {
      const quoted = (((trie.subtreeBytes[n * 8 + (QUOTE >> 5)] as number) >>> (QUOTE & 31)) & 1) === 1;
      next[n] = quoted ? n : (next[n + 1] as number);
    }
    quoteNodes.set(trie, next);
  }
  return next;
}

const subtreeWords = new WeakMap<VocabTrie, Map<number, Int32Array>>();

/**
 * The tokens under trie node `node` as (word, bits) pairs, words ascending (cached per
 * vocabulary): ANDing a slice with them takes one operation per word instead of one per token.
 */
export function subtreeTokenWords(trie: VocabTrie, node: number): Int32Array {
  let byNode = subtreeWords.get(trie);
  if (!byNode) {
    byNode = new Map();
    subtreeWords.set(trie, byNode);
  }
  let pairs = byNode.get(node);
  if (pairs === undefined) {
    const ids = trie.tokenIds.slice(
      trie.tokenStart[node] as number,
      trie.tokenStart[trie.subtreeEnd[node] as number] as number,
    );
    ids.sort();
    const out: number[] = [];
    for (const id of ids) {
      const w = id >> 5;
      if (out.length === 0 || out[out.length - 2] !== w) out.push(w, 0);
      out[out.length - 1] = (out[out.length - 1] as number) | (1 << (id & 31));
    }
    pairs = Int32Array.from(out);
    byNode.set(node, pairs);
  }
  return pairs;
}
