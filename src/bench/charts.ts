/**
 * The benchmark report's charts as SVG: vega-lite specs compiled to vega and rendered headless
 * (no browser, no canvas, no network): TTFT CDF per policy, effective vs raw throughput per
 * policy, and a per-request timeline (states and reader buffers) of one run.
 */
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { BenchReport, BenchRun } from "./bench-types.js";
import { bufferCurve, pickEvenly, runEndS, runLabels, stateSegments, ttftCdf } from "./chart-data.js";

/** One rendered chart. */
export interface RenderedChart {
  /** File name, e.g. `ttft-cdf.svg`. */
  readonly file: string;
  readonly title: string;
  /** The SVG document (starts with `<svg`). */
  readonly svg: string;
}

/** Most requests drawn in a timeline (chosen evenly by arrival order). */
export const MAX_TIMELINE_REQUESTS = 60;
/** Buffer samples per drawn request. */
const BUFFER_POINTS = 60;

/** Colours of request states, shared by every timeline (and the live dashboard). */
export const STATE_COLORS: Readonly<Record<string, string>> = {
  queued: "#b8bcc6",
  waiting: "#b8bcc6",
  prefilling: "#f2b134",
  running: "#3c78d8",
  streaming: "#3c78d8",
  paused: "#d9534f",
};

const CONFIG = {
  font: "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif",
  view: { stroke: null },
  axis: { labelColor: "#444", titleColor: "#222", gridColor: "#e6e8ec", domainColor: "#999" },
  legend: { labelColor: "#333", titleColor: "#222" },
};

/** Renders a vega-lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Vega-lite spec: one step line per policy, fraction of requests served by each TTFT. */
export function ttftCdfSpec(runs: readonly BenchRun[]): TopLevelSpec {
  const labels = runLabels(runs);
  const values = runs.flatMap((run, i) => ttftCdf(labels[i] ?? "", run.timelines));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Time to first token (CDF)",
    width: 520,
    height: 300,
    config: CONFIG,
    data: { values },
    mark: { type: "line", interpolate: "step-after", strokeWidth: 2 },
    encoding: {
      x: { field: "ttftS", type: "quantitative", title: "TTFT (s)" },
      y: {
        field: "fraction",
        type: "quantitative",
        title: "fraction of requests",
        scale: { domain: [0, 1] },
      },
      color: { field: "policy", type: "nominal", title: "policy", sort: labels },
    },
  };
}

/** Vega-lite spec: grouped bars, raw and effective output throughput per policy. */
export function throughputSpec(runs: readonly BenchRun[]): TopLevelSpec {
  const labels = runLabels(runs);
  const values = runs.flatMap((run, i) => [
    { policy: labels[i], kind: "raw", tokPerS: run.summary.throughput_tok_s },
    { policy: labels[i], kind: "effective", tokPerS: run.summary.effective_throughput_tok_s },
  ]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Output throughput: raw vs effective",
    width: { step: 90 },
    height: 300,
    config: CONFIG,
    data: { values },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "policy", type: "nominal", title: "policy", sort: labels, axis: { labelAngle: 0 } },
      xOffset: { field: "kind", type: "nominal", sort: ["raw", "effective"] },
      y: { field: "tokPerS", type: "quantitative", title: "tokens/s" },
      color: {
        field: "kind",
        type: "nominal",
        title: "throughput",
        sort: ["raw", "effective"],
        scale: { range: ["#9aa5b8", "#2a9d8f"] },
      },
    },
  };
}

/**
 * Vega-lite spec of one run: a row per request (at most {@link MAX_TIMELINE_REQUESTS}, chosen
 * evenly) with its state segments, and below, each reader's buffer level over time.
 */
export function timelineSpec(run: BenchRun, label: string): TopLevelSpec {
  const drawn = pickEvenly(run.timelines, MAX_TIMELINE_REQUESTS);
  const ids = drawn.map((t) => t.id);
  const endS = runEndS(run.timelines);
  const segments = drawn.flatMap(stateSegments);
  const states = [...new Set(segments.map((s) => s.state))];
  const buffers = drawn.flatMap((t) =>
    bufferCurve(t, BUFFER_POINTS, endS).map((p) => ({ ...p, rate: t.rateTokPerS })),
  );
  const x = { type: "quantitative" as const, title: "time since start (s)", scale: { domain: [0, endS] } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `Per-request timeline: ${label} (${drawn.length} of ${run.timelines.length} requests)`,
    config: CONFIG,
    resolve: { scale: { color: "independent" } },
    vconcat: [
      {
        width: 640,
        height: Math.max(80, ids.length * 7),
        data: { values: segments },
        mark: { type: "bar", height: { band: 0.8 } },
        encoding: {
          x: { field: "startS", ...x },
          x2: { field: "endS" },
          y: { field: "request", type: "ordinal", title: "request", scale: { domain: ids }, axis: null },
          color: {
            field: "state",
            type: "nominal",
            title: "state",
            scale: { domain: states, range: states.map((s) => STATE_COLORS[s] ?? "#888") },
          },
        },
      },
      {
        width: 640,
        height: 180,
        data: { values: buffers },
        mark: { type: "line", strokeWidth: 1, opacity: 0.55 },
        encoding: {
          x: { field: "tS", ...x },
          y: { field: "tokens", type: "quantitative", title: "reader buffer (tokens)" },
          detail: { field: "request", type: "nominal" },
          color: { field: "rate", type: "nominal", title: "reader tok/s", scale: { scheme: "tableau10" } },
        },
      },
    ],
  };
}

/** File-name-safe form of a label. */
function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "run"
  );
}

/**
 * Renders every chart of a report: the TTFT CDF, the throughput bars, and one timeline per run
 * (`timeline-<n>-<policy>.svg`).
 */
export async function renderBenchCharts(report: BenchReport): Promise<RenderedChart[]> {
  const labels = runLabels(report.runs);
  const charts: RenderedChart[] = [
    { file: "ttft-cdf.svg", title: "TTFT CDF per policy", svg: await renderSvg(ttftCdfSpec(report.runs)) },
    {
      file: "throughput.svg",
      title: "Effective vs raw throughput per policy",
      svg: await renderSvg(throughputSpec(report.runs)),
    },
  ];
  for (const [i, run] of report.runs.entries()) {
    const label = labels[i] ?? "";
    charts.push({
      file: `timeline-${i + 1}-${slug(label)}.svg`,
      title: `Per-request timeline: ${label}`,
      svg: await renderSvg(timelineSpec(run, label)),
    });
  }
  return charts;
}
