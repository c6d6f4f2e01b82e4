/**
 * The Markdown benchmark report (`report.md`): the workload, every summary metric side by side
 * per scheduler with ratios against the first run, and the charts embedded as images.
 */
import type { BenchReport } from "./bench-types.js";
import { formatRatio, formatValue, type MetricTable, metricTable, workloadEntries } from "./report-table.js";

/** A chart file next to the report. */
export interface ChartLink {
  /** Relative file name, e.g. `ttft-cdf.svg`. */
  readonly file: string;
  readonly title: string;
}

/** Escapes text for a Markdown table cell. */
function cell(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll("\n", " ");
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(" | ")} |`;
}

/** The metric table as Markdown: metric, one column per run, one ratio column per later run. */
export function metricTableMarkdown(table: MetricTable): string {
  const first = table.labels[0] ?? "";
  const ratioHeads = table.labels.slice(1).map((l) => `${l} ÷ ${first}`);
  const head = ["metric", ...table.labels, ...ratioHeads];
  const align = ["---", ...head.slice(1).map(() => "---:")];
  const lines = [row(head), `| ${align.join(" | ")} |`];
  for (const r of table.rows) {
    lines.push(row([r.metric, ...r.values.map(formatValue), ...r.ratios.map(formatRatio)]));
  }
  return lines.join("\n");
}

function workloadMarkdown(workload: Record<string, unknown>): string {
  const entries = workloadEntries(workload);
  if (entries.length === 0) return "_(no description)_";
  return [row(["setting", "value"]), "| --- | --- |", ...entries.map(([k, v]) => row([k, v]))].join("\n");
}

/** Renders `report.md`. `charts` are linked by relative file name, in the given order. */
export function reportMarkdown(report: BenchReport, charts: readonly ChartLink[]): string {
  const table = metricTable(report);
  const parts = [
    "# tokenflow benchmark report",
    "",
    `Runs: ${table.labels.join(", ") || "none"}. Times in seconds, throughputs in tokens/s; ` +
      `ratios are each run's value divided by the first run's (${table.labels[0] ?? "—"}).`,
    "",
    "## Workload",
    "",
    workloadMarkdown(report.workload),
    "",
    "## Results",
    "",
    metricTableMarkdown(table),
    "",
  ];
  if (charts.length > 0) {
    parts.push("## Charts", "");
    for (const c of charts) parts.push(`### ${c.title}`, "", `![${c.title}](${c.file})`, "");
  }
  return parts.join("\n");
}
