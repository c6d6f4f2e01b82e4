/**
 * `bench serve --out DIR`: writes a benchmark report as files: `report.json` (everything),
 * `report.md` (workload, side-by-side metrics with ratios, chart links), `report.html` (the same,
 * static, charts inlined) and the SVG charts.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BenchReport } from "./bench-types.js";
import { renderBenchCharts } from "./charts.js";
import { reportHtml } from "./report-html.js";
import { reportMarkdown } from "./report-markdown.js";

/**
 * Writes the report into `dir` (created if missing; files of the same names are replaced) and
 * returns the paths written, `report.json` first.
 */
export async function writeBenchReport(dir: string, report: BenchReport): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const charts = await renderBenchCharts(report);
  const files: [string, string][] = [
    ["report.json", `${JSON.stringify(report, null, 2)}\n`],
    ["report.md", reportMarkdown(report, charts)],
    ["report.html", reportHtml(report, charts)],
    ...charts.map((c): [string, string] => [c.file, c.svg]),
  ];
  const paths: string[] = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    await writeFile(path, text);
    paths.push(path);
  }
  return paths;
}
