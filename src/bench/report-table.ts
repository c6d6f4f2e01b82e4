/**
 * The side-by-side metric table of a benchmark report, shared by the Markdown and HTML reports:
 * every summary metric of every run (flattened to dotted names such as `ttft_s.p99`) and its
 * ratio against the first run.
 */
import type { BenchReport, RunSummary } from "./bench-types.js";
import { runLabels } from "./chart-data.js";

/** One metric across runs. */
export interface MetricRow {
  /** Dotted path into {@link RunSummary}, e.g. `rebuffer.seconds`, `preemptions.swap`. */
  readonly metric: string;
  /** One value per run; `null` when that run lacks the metric. */
  readonly values: (number | null)[];
  /** Per run after the first: value ÷ first run's value; `null` when undefined (missing or ÷0). */
  readonly ratios: (number | null)[];
}

/** The whole table. */
export interface MetricTable {
  /** Run display names (schedulers; repeats numbered). */
  readonly labels: string[];
  readonly rows: MetricRow[];
}

/** Summary key whose entries exist only where a preemption of that kind happened. */
const PREEMPTIONS = "preemptions";

function flatten(value: unknown, prefix: string, out: Map<string, number>): void {
  if (typeof value === "number") {
    out.set(prefix, value);
    return;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
}

/** A summary's numeric metrics by dotted name, in the summary's own key order. */
export function flattenSummary(summary: RunSummary): Map<string, number> {
  const out = new Map<string, number>();
  const { scheduler: _scheduler, ...metrics } = summary;
  flatten(metrics, "", out);
  return out;
}

/** Ratio `value / base`, `null` when either is missing or `base` is 0. */
export function ratioOf(value: number | null, base: number | null): number | null {
  if (value === null || base === null || base === 0 || !Number.isFinite(base)) return null;
  return value / base;
}

/**
 * Builds the table. Metric names are the union over runs in first-seen order; a run without
 * preemptions of some kind counts 0 of it (the key exists only where one happened).
 */
export function metricTable(report: BenchReport): MetricTable {
  const flat = report.runs.map((run) => flattenSummary(run.summary));
  const names: string[] = [];
  for (const metrics of flat) for (const name of metrics.keys()) if (!names.includes(name)) names.push(name);
  const rows = names.map((metric) => {
    const isPreemption = metric.startsWith(`${PREEMPTIONS}.`);
    const values = flat.map((m) => m.get(metric) ?? (isPreemption ? 0 : null));
    const base = values[0] ?? null;
    return { metric, values, ratios: values.slice(1).map((v) => ratioOf(v, base)) };
  });
  return { labels: runLabels(report.runs), rows };
}

/** A metric value for people: up to 4 significant digits, no exponent, `—` when missing. */
export function formatValue(v: number | null): string {
  if (v === null) return "—";
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return v.toLocaleString("en-US", { maximumSignificantDigits: 4, useGrouping: false });
}

/** A ratio for people, e.g. `1.25×`; `—` when undefined. */
export function formatRatio(r: number | null): string {
  return r === null ? "—" : `${r.toFixed(2)}×`;
}

/** A workload description as `[key, value]` text pairs (nested values as compact JSON). */
export function workloadEntries(workload: Record<string, unknown>): [string, string][] {
  return Object.entries(workload).map(([k, v]) => [
    k,
    typeof v === "string" ? v : typeof v === "number" ? formatValue(v) : JSON.stringify(v),
  ]);
}

/** Metric name prefixes where more is better; times, stalls, rebuffers and preemptions are the opposite. */
const HIGHER_IS_BETTER = [
  "throughput_tok_s",
  "effective_throughput_tok_s",
  "read_goodput_tok_s",
  "qoe_mean",
  "slo_goodput_req_s",
];
const LOWER_IS_BETTER = [
  "ttft_s.",
  "itl_s.",
  "tpot_s.",
  "max_stall_s.",
  "rebuffer.",
  "preemptions.",
  "wall_s",
];

/** Which way a metric improves, `null` for descriptive ones (request count, engine statistics). */
export function betterDirection(metric: string): "higher" | "lower" | null {
  if (HIGHER_IS_BETTER.includes(metric)) return "higher";
  if (LOWER_IS_BETTER.some((p) => metric === p || metric.startsWith(p))) return "lower";
  return null;
}
