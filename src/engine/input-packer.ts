import type { BlockManager } from "../kv/block-manager.js";
import type { RuntimeRow } from "../runtime/runtime.js";
import type { ScheduledRow } from "../scheduler/step-plan.js";
import type { RequestState } from "./request-state.js";
import { fillMaskRow, needsMask, rowSampling } from "./sampling-row.js";

/** A packed step: runtime rows and the planned rows they came from (same order). */
export interface PackedStep {
  readonly rows: RuntimeRow[];
  /** Planned rows that made it into the step. */
  readonly planned: ScheduledRow[];
  /** Requests whose row could not be built (e.g. their constraint threw); the caller fails them. */
  readonly failed: { readonly id: string; readonly error: unknown }[];
}

/**
 * Turns a step plan into runtime rows: token slices, context lengths, block tables, sampling
 * settings and allowed-token masks (the constraint's row, minus EOS / stop ids below
 * min_tokens) in one reused bitmask.
 */
export class InputPacker {
  private readonly words: number;
  private mask = new Int32Array(0);

  constructor(
    private readonly blocks: BlockManager,
    vocabSize: number,
    /** Ids that end generation (blocked below min_tokens unless ignore_eos). */
    private readonly eogIds: readonly number[],
  ) {
    this.words = Math.ceil(vocabSize / 32);
  }

  /** Packs `planned` rows; `stateOf` gives each row's request state. */
  pack(planned: readonly ScheduledRow[], stateOf: (id: string) => RequestState | undefined): PackedStep {
    const packed: PackedStep = { rows: [], planned: [], failed: [] };
    if (this.mask.length < planned.length * this.words)
      this.mask = new Int32Array(planned.length * this.words * 2);
    for (const row of planned) {
      const state = stateOf(row.seq.id);
      if (!state) continue;
      try {
        packed.rows.push(this.rowOf(row, state, packed.rows.length));
        packed.planned.push(row);
      } catch (error) {
        packed.failed.push({ id: row.seq.id, error });
      }
    }
    return packed;
  }

  private rowOf(row: ScheduledRow, state: RequestState, r: number): RuntimeRow {
    const seq = row.seq;
    let sample = null;
    if (row.isSampled) {
      const blocked = this.blockedIds(state);
      let mask: Int32Array | null = null;
      if (needsMask(state, blocked)) {
        fillMaskRow(state, this.mask, r, this.words, blocked);
        mask = this.mask.subarray(r * this.words, (r + 1) * this.words);
      }
      sample = rowSampling(state, mask);
    }
    return {
      tokens: seq.tokens.slice(row.startToken, row.startToken + row.numNewTokens),
      contextLen: row.startToken + row.numNewTokens,
      blockTable: this.blocks.blockTable(seq.id) ?? [],
      sample,
      decode: row.isDecode,
    };
  }

  /** Ids the request may not sample yet: EOS (unless ignore_eos) and stop ids, below min_tokens. */
  private blockedIds(state: RequestState): readonly number[] {
    if (!state.isBelowMinTokens) return [];
    const stopIds = state.request.stopTokenIds;
    return state.request.ignoreEos ? stopIds : [...this.eogIds, ...stopIds];
  }
}
