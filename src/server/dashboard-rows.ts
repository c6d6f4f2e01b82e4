/**
 * The rows of the dashboard's live table: every active request from the engine's snapshot, then
 * requests that finished in the last few seconds (their modelled readers still draining their
 * buffers), capped so a large burst keeps frames small.
 */
import type { RequestSnapshot } from "../engine/engine-types.js";
import type { DashboardRow } from "./dashboard-frame.js";

/** Most active rows in one frame. */
export const MAX_ACTIVE_ROWS = 96;
/** Most finished rows in one frame. */
export const MAX_FINISHED_ROWS = 16;
/** How long a finished request stays in the table (ms). */
export const FINISHED_ROW_MS = 5000;

/** What a finish event tells about a request. */
export interface FinishedRequest {
  readonly id: string;
  readonly numOutputTokens: number;
  readonly ttftMs: number | null;
  readonly numPreemptions: number;
}

interface FinishedEntry {
  readonly row: DashboardRow;
  readonly finishedMs: number;
}

/** The table's state across ticks; one per dashboard hub. */
export class DashboardRows {
  private last = new Map<string, DashboardRow>();
  private readonly finished = new Map<string, FinishedEntry>();

  /** Records a finish at `nowMs` (epoch ms); the request's last row becomes a finished one. */
  finish(nowMs: number, f: FinishedRequest): void {
    const prev = this.last.get(f.id);
    this.last.delete(f.id);
    const row: DashboardRow = {
      id: f.id,
      state: "finished",
      rateTokPerS: prev?.rateTokPerS ?? 0,
      bufferSec: prev?.bufferSec ?? 0,
      numGenerated: f.numOutputTokens,
      numRead: prev?.numRead ?? 0,
      maxTokens: prev?.maxTokens ?? null,
      ttftMs: f.ttftMs ?? prev?.ttftMs ?? null,
      numPreemptions: f.numPreemptions,
      rebufferSec: prev?.rebufferSec ?? 0,
      tag: prev?.tag ?? null,
    };
    // The tokens made after the last snapshot are in the buffer too.
    const extra = Math.max(0, f.numOutputTokens - (prev?.numGenerated ?? 0));
    const bufferSec = row.rateTokPerS > 0 ? row.bufferSec + extra / row.rateTokPerS : 0;
    this.finished.set(f.id, { row: { ...row, bufferSec }, finishedMs: nowMs });
  }

  /** Forgets everything (the hub stopped). */
  reset(): void {
    this.last.clear();
    this.finished.clear();
  }

  /** This tick's rows, how many the caps left out, and every active request's row (uncapped). */
  build(
    nowMs: number,
    snapshot: readonly RequestSnapshot[],
    maxTokensById: ReadonlyMap<string, number> | null,
    tagOf: (id: string) => "burst" | null,
  ): { rows: DashboardRow[]; numHidden: number; active: DashboardRow[] } {
    const next = new Map<string, DashboardRow>();
    for (const s of snapshot) {
      next.set(s.id, {
        id: s.id,
        state: s.state,
        rateTokPerS: s.rateTokPerS,
        bufferSec: s.bufferSec,
        numGenerated: s.numGenerated,
        numRead: s.numRead,
        maxTokens: maxTokensById?.get(s.id) ?? null,
        ttftMs: s.ttftMs,
        numPreemptions: s.numPreemptions,
        rebufferSec: s.rebufferSec,
        tag: tagOf(s.id),
      });
    }
    // A request gone without a finish event (not reported yet, or an engine without events).
    for (const [id, row] of this.last) {
      if (!next.has(id) && !this.finished.has(id))
        this.finish(nowMs, { ...row, numOutputTokens: row.numGenerated });
    }
    this.last = next;
    const done = this.finishedRows(nowMs);
    const active = [...next.values()];
    const rows = [...active.slice(0, MAX_ACTIVE_ROWS), ...done.slice(0, MAX_FINISHED_ROWS)];
    return { rows, numHidden: active.length + done.length - rows.length, active };
  }

  /** Finished rows, newest first, with their readers' buffers drained by the time since. */
  private finishedRows(nowMs: number): DashboardRow[] {
    const out: DashboardRow[] = [];
    for (const [id, e] of this.finished) {
      const ageS = (nowMs - e.finishedMs) / 1000;
      if (ageS * 1000 > FINISHED_ROW_MS) {
        this.finished.delete(id);
        continue;
      }
      const readS = Math.min(e.row.bufferSec, ageS);
      out.push({
        ...e.row,
        bufferSec: e.row.bufferSec - readS,
        numRead: Math.min(e.row.numGenerated, Math.floor(e.row.numRead + readS * e.row.rateTokPerS)),
      });
    }
    return out.reverse();
  }
}
