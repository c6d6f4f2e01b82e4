/**
 * The readable stdout table of `bench serve`: one row per metric, one column per run (scheduler),
 * side by side in the order they ran.
 */
import type { BenchReport, BenchRun, RunSummary } from "./bench-types.js";

type Row = [label: string, value: (s: RunSummary) => string];

function fixed(x: number | undefined, digits: number): string {
  return x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);
}

const ROWS: Row[] = [
  ["requests", (s) => String(s.requests)],
  [
    "TTFT mean / p50 / p99 (s)",
    (s) => `${fixed(s.ttft_s.mean, 3)} / ${fixed(s.ttft_s.p50, 3)} / ${fixed(s.ttft_s.p99, 3)}`,
  ],
  ["ITL p50 / p99 (ms)", (s) => `${fixed(s.itl_s.p50 * 1000, 1)} / ${fixed(s.itl_s.p99 * 1000, 1)}`],
  ["TPOT mean / p99 (ms)", (s) => `${fixed(s.tpot_s.mean * 1000, 1)} / ${fixed(s.tpot_s.p99 * 1000, 1)}`],
  ["longest stall p50 / p99 (s)", (s) => `${fixed(s.max_stall_s.p50, 3)} / ${fixed(s.max_stall_s.p99, 3)}`],
  ["rebuffer events / seconds", (s) => `${s.rebuffer.events} / ${fixed(s.rebuffer.seconds, 2)}`],
  ["throughput (tok/s)", (s) => fixed(s.throughput_tok_s, 1)],
  ["effective throughput (tok/s)", (s) => fixed(s.effective_throughput_tok_s, 1)],
  ["read goodput (tok/s)", (s) => fixed(s.read_goodput_tok_s, 1)],
  ["QoE mean", (s) => fixed(s.qoe_mean, 3)],
  ["SLO goodput (req/s)", (s) => fixed(s.slo_goodput_req_s, 2)],
  [
    "preemptions",
    (s) =>
      Object.entries(s.preemptions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "0",
  ],
  ["engine steps", (s) => (s.engine ? String(s.engine.steps) : "-")],
  [
    "step mean / overhead (ms)",
    (s) => (s.engine ? `${fixed(s.engine.step_ms_mean, 2)} / ${fixed(s.engine.overhead_ms_mean, 3)}` : "-"),
  ],
  ["wall time (s)", (s) => fixed(s.wall_s, 2)],
];

function failures(run: BenchRun): string[] {
  return run.timelines.flatMap((tl) => (tl.error === null ? [] : [tl.error]));
}

/** Formats a report as a text table (header line with the workload first). */
export function formatBenchTable(report: BenchReport): string {
  const w = report.workload;
  const head = `workload ${String(w.workload)}: ${String(w.num_requests)} requests, input ${String(w.input_len)}, output ${String(w.output_len)}, rates ${String(w.rates)}, seed ${String(w.seed)}\n`;
  const summaries = report.runs.map((r) => r.summary);
  const cells = ROWS.filter(
    ([label]) => label !== "SLO goodput (req/s)" || summaries.some((s) => s.slo_goodput_req_s !== undefined),
  ).map(([label, value]) => [label, ...summaries.map(value)]);
  cells.splice(1, 0, ["failed requests", ...report.runs.map((r) => String(failures(r).length))]);
  const header = ["", ...summaries.map((s) => s.scheduler)];
  const widths = header.map((_, c) => Math.max(...[header, ...cells].map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) =>
    `${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join("  ")}\n`;
  const notes = report.runs.flatMap((r) => {
    const errors = failures(r);
    return errors.length === 0
      ? []
      : [`${r.summary.scheduler}: ${errors.length} failed, e.g. ${errors[0]}\n`];
  });
  return head + line(header) + cells.map(line).join("") + notes.join("");
}
