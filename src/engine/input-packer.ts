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
  /** Requests whose row could not be built; the caller fails them. */
  readonly failed: { readonly id: string; readonly error: unknown }[];
  /**
   * Fills the masks of the rows that need one (`RuntimeStepInput.fillMasks`), for the runtime to
   * call while its forward pass runs; `undefined` when no row needs a mask.
   */
  fillMasks: ((mask: Int32Array, hasMask: Uint8Array) => void) | undefined;
  /** Requests whose constraint threw while filling its mask (filled by `fillMasks`); the caller fails them. */
  readonly maskErrors: { readonly id: string; readonly error: unknown }[];
}

/** A row whose mask is filled during the step. */
interface DeferredMask {
  readonly row: number;
  readonly state: RequestState;
  readonly blocked: readonly number[];
}

/**
 * Turns a step plan into runtime rows: token slices, context lengths, block tables, sampling
 * settings, and a deferred filler of allowed-token masks (the constraint's row, minus EOS /
 * stop ids below min_tokens) that the runtime runs while the forward pass computes.
 */
export class InputPacker {
  private readonly words: number;

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
    const deferred: DeferredMask[] = [];
    const packed: PackedStep = { rows: [], planned: [], failed: [], fillMasks: undefined, maskErrors: [] };
    for (const row of planned) {
      const state = stateOf(row.seq.id);
      if (!state) continue;
      try {
        packed.rows.push(this.rowOf(row, state, packed.rows.length, deferred));
        packed.planned.push(row);
      } catch (error) {
        packed.failed.push({ id: row.seq.id, error });
      }
    }
    if (deferred.length > 0) packed.fillMasks = (mask, hasMask) => this.fill(deferred, mask, hasMask, packed);
    return packed;
  }

  /** Fills each deferred row; a constraint that throws leaves its row allowing nothing and is reported. */
  private fill(deferred: readonly DeferredMask[], mask: Int32Array, hasMask: Uint8Array, packed: PackedStep) {
    for (const d of deferred) {
      hasMask[d.row] = 1;
      try {
        fillMaskRow(d.state, mask, d.row, this.words, d.blocked);
      } catch (error) {
        mask.fill(0, d.row * this.words, (d.row + 1) * this.words);
        packed.maskErrors.push({ id: d.state.request.id, error });
      }
    }
  }

  private rowOf(row: ScheduledRow, state: RequestState, r: number, deferred: DeferredMask[]): RuntimeRow {
    const seq = row.seq;
    let sample = null;
    if (row.isSampled) {
      const blocked = this.blockedIds(state);
      if (needsMask(state, blocked)) deferred.push({ row: r, state, blocked });
      sample = rowSampling(state, null);
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
