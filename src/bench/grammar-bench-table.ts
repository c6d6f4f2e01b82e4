/** Plain-text table of a `grammar bench` result (the `--json` form is the result's reports). */

import type { GrammarBenchResult } from "./grammar-bench.js";
import type { SplitCounts } from "./grammar-bench-splits.js";
import type { GrammarBenchReport } from "./grammar-bench-types.js";

function refusedText(r: GrammarBenchReport): string {
  const entries = Object.entries(r.refused).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return "-";
  const top = entries.slice(0, 6).map(([k, n]) => `${k} ${n}`);
  return entries.length > 6 ? `${top.join(", ")}, … (${entries.length} reasons)` : top.join(", ");
}

const pct = (n: number, of: number) => (of === 0 ? "-" : `${((100 * n) / of).toFixed(1)}%`);

/** Rows of measures, one column per engine. */
export function formatGrammarBenchTable(result: GrammarBenchResult): string {
  const reports = [result.ours, ...(result.peer ? [result.peer] : [])];
  const instances = [result.numInstances.ours, result.numInstances.peer];
  const masks = [result.numMasks.ours, result.numMasks.peer];
  const rows: [string, (r: GrammarBenchReport, i: number) => string][] = [
    ["schemas", (r) => String(r.schemas)],
    ["compiled", (r) => `${r.compiled} (${pct(r.compiled, r.schemas)})`],
    ["covered", (r) => `${r.covered} (${pct(r.covered, r.schemas)})`],
    ["instances walked", (_, i) => String(instances[i] ?? 0)],
    ["masks computed", (_, i) => String(masks[i] ?? 0)],
    ["walks that threw", (_, i) => String([result.numWalkErrors.ours, result.numWalkErrors.peer][i] ?? 0)],
    ["false rejects", (r) => String(r.false_rejects)],
    ["false accepts", (r) => String(r.false_accepts)],
    ["compile ms p50/p90/p99/max", (r) => Object.values(r.compile_ms).join(" / ")],
    ["mask µs p50/p90/p99/p99.9/max", (r) => Object.values(r.mask_us).join(" / ")],
  ];
  const head = ["", ...reports.map((r) => r.engine)];
  const body = rows.map(([name, f]) => [name, ...reports.map(f)]);
  const widths = head.map((_, c) => Math.max(...[head, ...body].map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join("  ")
      .trimEnd();
  const refused = reports.map((r) => `refused (${r.engine}): ${refusedText(r)}`);
  const notes =
    result.numUntokenizable > 0
      ? [`${result.numUntokenizable} serialisations left out: their tokens do not spell the text exactly`]
      : [];
  if (result.firstWalkError)
    notes.push(`first walk error: ${result.firstWalkError.split("\n").slice(0, 3).join(" | ")}`);
  return [line(head), ...body.map(line), ...refused, ...notes, ...splitLines(result), ""].join("\n");
}

/** One line per split (when there are several): covered / schemas and false rejects/accepts. */
function splitLines(result: GrammarBenchResult): string[] {
  const entries = Object.entries(result.splits);
  if (entries.length < 2) return [];
  const cell = (c: SplitCounts | null) =>
    c === null
      ? ""
      : `${c.covered}/${c.schemas} ${pct(c.covered, c.schemas)} fr ${c.false_rejects} fa ${c.false_accepts}`;
  const width = Math.max(...entries.map(([s]) => s.length));
  return [
    "covered per split:",
    ...entries.map(([s, r]) => `  ${s.padEnd(width)}  ${cell(r.ours)}  ${cell(r.peer)}`.trimEnd()),
  ];
}
