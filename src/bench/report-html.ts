/**
 * The static HTML benchmark report (`report.html`): the Markdown report's tables in a clean
 * style with the SVG charts inlined. No script, no network; the live dashboard reuses
 * {@link REPORT_CSS} for the same look.
 */
import type { BenchReport } from "./bench-types.js";
import type { RenderedChart } from "./charts.js";
import {
  betterDirection,
  formatRatio,
  formatValue,
  type MetricRow,
  type MetricTable,
  metricTable,
  workloadEntries,
} from "./report-table.js";

/** The report's stylesheet (light theme; CSS variables for the dashboard to share). */
export const REPORT_CSS = `
:root { --fg: #1f2430; --muted: #667085; --bg: #ffffff; --panel: #f7f8fa; --line: #e4e7ec;
  --accent: #3c78d8; --good: #1a7f4b; --bad: #b42318; color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
p.lead { color: var(--muted); margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: var(--panel); font-weight: 600; position: sticky; top: 0; }
tbody tr:hover { background: var(--panel); }
td.metric { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
td.better { color: var(--good); font-weight: 600; }
td.worse { color: var(--bad); font-weight: 600; }
table.workload { width: auto; }
figure { margin: 16px 0 28px; padding: 16px; background: var(--panel); border: 1px solid var(--line);
  border-radius: 8px; overflow-x: auto; }
figcaption { font-weight: 600; margin-bottom: 8px; }
figure svg { max-width: 100%; height: auto; }
`;

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** `better`/`worse` for a ratio cell, by the metric's direction (a 2% band counts as equal). */
function ratioClass(row: MetricRow, ratio: number | null): string {
  const direction = betterDirection(row.metric);
  if (ratio === null || direction === null || Math.abs(ratio - 1) < 0.02) return "";
  return ratio > 1 === (direction === "higher") ? "better" : "worse";
}

function metricTableHtml(table: MetricTable): string {
  const first = table.labels[0] ?? "";
  const heads = ["metric", ...table.labels, ...table.labels.slice(1).map((l) => `${l} ÷ ${first}`)].map(
    (h) => `<th>${escapeHtml(h)}</th>`,
  );
  const body = table.rows.map((r) => {
    const values = r.values.map((v) => `<td>${escapeHtml(formatValue(v))}</td>`);
    const ratios = r.ratios.map((q) => {
      const cls = ratioClass(r, q);
      return `<td${cls ? ` class="${cls}"` : ""}>${escapeHtml(formatRatio(q))}</td>`;
    });
    return `<tr><td class="metric">${escapeHtml(r.metric)}</td>${values.join("")}${ratios.join("")}</tr>`;
  });
  return `<table class="metrics"><thead><tr>${heads.join("")}</tr></thead><tbody>\n${body.join("\n")}\n</tbody></table>`;
}

function workloadHtml(workload: Record<string, unknown>): string {
  const rows = workloadEntries(workload).map(
    ([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`,
  );
  return `<table class="workload"><tbody>${rows.join("")}</tbody></table>`;
}

/**
 * Makes an SVG fit inside HTML next to others: drops an XML prolog and prefixes its element ids
 * (clip paths, gradients) so that charts' ids cannot collide on one page.
 */
function inlineSvg(svg: string, index: number): string {
  return svg
    .replace(/^<\?xml[^>]*>\s*/, "")
    .replace(/\bid="([^"]+)"/g, `id="c${index}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#c${index}-$1)`);
}

/** Renders `report.html` with `charts` inlined in the given order. */
export function reportHtml(report: BenchReport, charts: readonly RenderedChart[]): string {
  const table = metricTable(report);
  const figures = charts.map(
    (c, i) => `<figure><figcaption>${escapeHtml(c.title)}</figcaption>${inlineSvg(c.svg, i)}</figure>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokenflow benchmark report</title>
<style>${REPORT_CSS}</style></head>
<body><main>
<h1>tokenflow benchmark report</h1>
<p class="lead">Runs: ${escapeHtml(table.labels.join(", ") || "none")}. Times in seconds, throughputs in tokens/s; ratios divide each run by the first (${escapeHtml(table.labels[0] ?? "—")}); green is better, red worse.</p>
<h2>Workload</h2>
${workloadHtml(report.workload)}
<h2>Results</h2>
${metricTableHtml(table)}
${charts.length > 0 ? `<h2>Charts</h2>\n${figures.join("\n")}` : ""}
</main></body></html>
`;
}
