/** The live table of requests: state pill, reading rate, buffer bar, tokens, TTFT, preemptions. */
import type { DashboardRow } from "../../src/server/dashboard-frame.js";
import { escapeHtml, fixed } from "./format.js";

/** A buffer of this many seconds fills the bar. */
const BAR_FULL_SEC = 10;
/** Below this the bar is drawn as low (the reader is about to wait). */
const LOW_BUFFER_SEC = 1;

function bufferCell(row: DashboardRow): string {
  const width = Math.min(1, row.bufferSec / BAR_FULL_SEC) * 100;
  const low = row.bufferSec < LOW_BUFFER_SEC && row.ttftMs !== null && row.state !== "finished";
  return `<td class="buf"><span class="bar${low ? " low" : ""}"><i style="width:${width.toFixed(1)}%"></i></span>${fixed(row.bufferSec, 1)} s</td>`;
}

function rowHtml(row: DashboardRow, mineId: string | null): string {
  const classes = [row.id === mineId ? "mine" : "", row.tag ?? ""].filter(Boolean).join(" ");
  const label = row.id === mineId ? "you" : row.tag === "burst" ? "burst" : "";
  const generated = row.maxTokens === null ? `${row.numGenerated}` : `${row.numGenerated} / ${row.maxTokens}`;
  return `<tr data-id="${escapeHtml(row.id)}"${classes ? ` class="${classes}"` : ""}>
<td class="id" title="${escapeHtml(row.id)}">${escapeHtml(row.id.slice(-12))}${label ? ` <small>${label}</small>` : ""}</td>
<td><span class="state s-${row.state}">${row.state}</span></td>
<td>${row.rateTokPerS > 0 ? fixed(row.rateTokPerS, 0) : "—"}</td>
${bufferCell(row)}
<td>${generated}</td><td>${row.numRead}</td>
<td>${row.ttftMs === null ? "—" : `${fixed(row.ttftMs, 0)} ms`}</td>
<td>${row.numPreemptions}</td><td>${row.rebufferSec > 0.05 ? `${fixed(row.rebufferSec, 1)} s` : "—"}</td></tr>`;
}

/** Replaces the table body with `rows` (your own request, `mineId`, highlighted). */
export function renderRows(
  body: HTMLTableSectionElement,
  rows: readonly DashboardRow[],
  mineId: string | null,
): void {
  body.innerHTML =
    rows.length === 0
      ? `<tr class="empty"><td colspan="9">No requests right now: send a message or fire a burst.</td></tr>`
      : rows.map((r) => rowHtml(r, mineId)).join("");
}
