/**
 * MatcherCore over the Earley recogniser, for grammars that are not LR(1). Masks walk the
 * vocabulary trie pushing and popping Earley sets (correct, but far slower than the DPDA: no
 * cache, one Earley set per trie node visited).
 */

import type { ByteCfg } from "./byte-cfg.js";
import { EarleyRecognizer } from "./earley.js";
import { type MatcherCore, replayByteHistory } from "./matcher-core.js";
import type { VocabTrie } from "./vocab-trie.js";

/** Earley engine state of one request. */
export class EarleyCore implements MatcherCore {
  private readonly r: EarleyRecognizer;
  /** Bytes consumed, and the byte count of each history entry. */
  private readonly bytes: number[] = [];
  private readonly lengths: number[] = [];

  constructor(
    cfg: ByteCfg,
    private readonly trie: VocabTrie,
  ) {
    this.r = new EarleyRecognizer(cfg);
  }

  get numEntries(): number {
    return this.lengths.length;
  }

  acceptBytes(bytes: Uint8Array): boolean {
    let n = 0;
    for (const b of bytes) {
      if (!this.r.pushByte(b)) {
        for (; n > 0; n--) this.r.popByte();
        return false;
      }
      n++;
    }
    for (const b of bytes) this.bytes.push(b);
    this.lengths.push(bytes.length);
    return true;
  }

  rollback(n: number): void {
    for (let k = 0; k < n && this.lengths.length > 0; k++) {
      const len = this.lengths.pop() as number;
      for (let i = 0; i < len; i++) this.r.popByte();
      this.bytes.length -= len;
    }
  }

  isCompleted(): boolean {
    return this.r.isAccepting();
  }

  fillMask(mask: Int32Array, offset: number): void {
    const t = this.trie;
    mask.fill(0, offset, offset + t.wordsPerRow);
    let depth = 0;
    let i = 1;
    while (i < t.numNodes) {
      const d = t.nodeDepth[i] as number;
      for (; depth >= d; depth--) this.r.popByte();
      if (!this.r.pushByte(t.nodeByte[i] as number)) {
        i = t.subtreeEnd[i] as number;
        continue;
      }
      depth = d;
      for (let k = t.tokenStart[i] as number; k < (t.tokenStart[i + 1] as number); k++) {
        const id = t.tokenIds[k] as number;
        {
          const w = offset + (id >> 5);
          mask[w] = (mask[w] as number) | (1 << (id & 31));
        }
      }
      i++;
    }
    for (; depth > 0; depth--) this.r.popByte();
    if (this.r.isAccepting())
      for (const id of t.eogIds) {
        const w = offset + (id >> 5);
        mask[w] = (mask[w] as number) | (1 << (id & 31));
      }
  }

  save(): unknown {
    return { bytes: [...this.bytes], lengths: [...this.lengths] };
  }

  load(state: unknown): void {
    replayByteHistory(this, state, "Earley");
  }

  reset(): void {
    this.r.reset();
    this.bytes.length = 0;
    this.lengths.length = 0;
  }
}
