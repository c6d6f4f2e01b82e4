import { describe, expect, it } from "vitest";
import { twoRunReport } from "../test-support/bench-report-fixture.js";
import { reportMarkdown } from "./report-markdown.js";
import { flattenSummary, formatRatio, formatValue, metricTable, ratioOf } from "./report-table.js";

/** The cells of the Markdown table row for `metric`. */
function rowOf(md: string, metric: string): string[] {
  const line = md.split("\n").find((l) => l.startsWith(`| ${metric} |`));
  expect(line, metric).toBeDefined();
  return (line as string)
    .split(" | ")
    .map((c) => c.replace(/^\| ?| ?\|$/g, "").trim())
    .slice(1);
}

const CHARTS = [
  { file: "ttft-cdf.svg", title: "TTFT CDF per policy" },
  { file: "throughput.svg", title: "Effective vs raw throughput per policy" },
];

describe("Markdown report", () => {
  const report = twoRunReport();
  const md = reportMarkdown(report, CHARTS);

  it("has a row for every summary metric of every run", () => {
    const names = new Set([
      ...flattenSummary(report.runs[0]?.summary as never).keys(),
      ...flattenSummary(report.runs[1]?.summary as never).keys(),
    ]);
    // 17 always, SLO goodput, 2 preemption kinds, 6 engine statistics.
    expect(names.size).toBe(26);
    for (const name of names) rowOf(md, name);
    for (const name of [
      "ttft_s.p99",
      "rebuffer.events",
      "qoe_mean",
      "preemptions.swap",
      "engine.steps",
      "wall_s",
    ]) {
      expect(names.has(name)).toBe(true);
    }
    expect(md).toContain("| metric | fcfs | tokenflow | tokenflow ÷ fcfs |");
  });

  it("puts runs side by side with ratios against the first run", () => {
    expect(rowOf(md, "ttft_s.mean")).toEqual(["2", "0.5", "0.25×"]);
    expect(rowOf(md, "ttft_s.p99")).toEqual(["4", "1", "0.25×"]);
    expect(rowOf(md, "effective_throughput_tok_s")).toEqual(["600", "2400", "4.00×"]);
    expect(rowOf(md, "slo_goodput_req_s")).toEqual(["0.2", "0.8", "4.00×"]);
    expect(rowOf(md, "throughput_tok_s")).toEqual(["1000", "1000", "1.00×"]);
    expect(rowOf(md, "rebuffer.seconds")).toEqual(["3", "0.75", "0.25×"]);
    // fcfs had no preemptions (0, so no ratio) and no engine statistics (missing).
    expect(rowOf(md, "preemptions.swap")).toEqual(["0", "3", "—"]);
    expect(rowOf(md, "engine.step_ms_mean")).toEqual(["—", "4.5", "—"]);
  });

  it("describes the workload and embeds the charts", () => {
    expect(rowOf(md, "kind")).toEqual(["burst"]);
    expect(rowOf(md, "inputLen")).toEqual(['{"dist":"fixed","value":16}']);
    expect(md).toContain("![TTFT CDF per policy](ttft-cdf.svg)");
    expect(md).toContain("![Effective vs raw throughput per policy](throughput.svg)");
  });

  it("adds a ratio column per later run, repeated schedulers kept apart", () => {
    const three = { ...report, runs: [...report.runs, report.runs[0]].filter((r) => r !== undefined) };
    const table = metricTable(three);
    expect(table.labels).toEqual(["fcfs", "tokenflow", "fcfs #2"]);
    const ttft = table.rows.find((r) => r.metric === "ttft_s.mean");
    expect(ttft?.ratios).toEqual([0.25, 1]);
    expect(reportMarkdown(three, [])).toContain("| tokenflow ÷ fcfs | fcfs #2 ÷ fcfs |");
  });
});

describe("report number formatting", () => {
  it("keeps 4 significant digits without exponents and marks missing values", () => {
    expect(formatValue(0.000012345)).toBe("0.00001235");
    expect(formatValue(1234.5678)).toBe("1235");
    expect(formatValue(42)).toBe("42");
    expect(formatValue(null)).toBe("—");
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatRatio(1.23456)).toBe("1.23×");
    expect(ratioOf(3, 0)).toBeNull();
    expect(ratioOf(null, 2)).toBeNull();
    expect(ratioOf(3, 2)).toBe(1.5);
  });
});
