import { describe, expect, it } from "vitest";
import { twoRunReport } from "../test-support/bench-report-fixture.js";
import type { RequestTimeline } from "./bench-types.js";
import { bufferCurve, bufferLevelAt, pickEvenly, runLabels, stateSegments, ttftCdf } from "./chart-data.js";
import { MAX_TIMELINE_REQUESTS, renderBenchCharts, renderSvg, timelineSpec } from "./charts.js";

const TOKENS = [1.0, 1.1, 1.2, 1.3, 3.0];

function timeline(extra: Partial<RequestTimeline> = {}): RequestTimeline {
  return {
    id: "r7",
    arrivalS: 0.5,
    inputLen: 8,
    outputLen: 5,
    rateTokPerS: 2,
    tokenTimesS: TOKENS,
    finishS: 3.1,
    error: null,
    ...extra,
  };
}

describe("reader buffer levels", () => {
  it("are tokens arrived minus rate x time since the first token, floored at 0", () => {
    const cases: [number, number][] = [
      [0.5, 0], // before the first token
      [1.0, 1],
      [1.3, 4 - 0.6],
      [2.0, 4 - 2],
      [2.95, 4 - 3.9],
      [3.0, 5 - 4],
      [3.2, 5 - 4.4],
      [4.0, 0], // 5 - 6, floored
    ];
    for (const [tS, expected] of cases)
      expect(bufferLevelAt(TOKENS, 2, tS), `t=${tS}`).toBeCloseTo(expected, 9);
    expect(bufferLevelAt([], 2, 5)).toBe(0);
  });

  it("are sampled from the first token until the reader would have read everything", () => {
    const curve = bufferCurve(timeline(), 11, 100);
    expect(curve).toHaveLength(11);
    expect(curve[0]).toEqual({ request: "r7", tS: 1.0, tokens: 1 });
    // 5 tokens at 2 tok/s are read by 1.0 + 2.5 s.
    expect(curve.at(-1)?.tS).toBeCloseTo(3.5, 9);
    expect(curve.at(-1)?.tokens).toBeCloseTo(0, 9);
    for (const p of curve) expect(p.tokens).toBeCloseTo(bufferLevelAt(TOKENS, 2, p.tS), 12);
    expect(bufferCurve(timeline(), 11, 2.0).at(-1)?.tS).toBeCloseTo(2.0, 9);
    expect(bufferCurve(timeline({ tokenTimesS: [] }), 11, 100)).toEqual([]);
  });
});

describe("chart data", () => {
  it("splits a request into states, or into waiting/streaming without them", () => {
    expect(stateSegments(timeline())).toEqual([
      { request: "r7", state: "waiting", startS: 0.5, endS: 1.0 },
      { request: "r7", state: "streaming", startS: 1.0, endS: 3.1 },
    ]);
    const withStates = timeline({
      states: [
        { tS: 0.5, state: "queued" },
        { tS: 0.8, state: "running" },
        { tS: 1.5, state: "paused" },
        { tS: 2.5, state: "running" },
        { tS: 3.1, state: "finished" },
      ],
    });
    expect(stateSegments(withStates).map((s) => [s.state, s.startS, s.endS])).toEqual([
      ["queued", 0.5, 0.8],
      ["running", 0.8, 1.5],
      ["paused", 1.5, 2.5],
      ["running", 2.5, 3.1],
    ]);
    expect(stateSegments(timeline({ tokenTimesS: [], finishS: 2 }))).toEqual([
      { request: "r7", state: "waiting", startS: 0.5, endS: 2 },
    ]);
  });

  it("builds TTFT CDFs over all requests (never-served ones keep it below 1)", () => {
    const cdf = ttftCdf("fcfs", twoRunReport().runs[0]?.timelines ?? []);
    expect(cdf.map((p) => [p.ttftS, p.fraction])).toEqual([
      [0.2, 0.25],
      [1.0, 0.5],
      [1.5, 0.75],
    ]);
  });

  it("picks requests evenly and names repeated schedulers apart", () => {
    const picked = pickEvenly(
      Array.from({ length: 250 }, (_, i) => i),
      60,
    );
    expect(picked).toHaveLength(60);
    expect(picked[0]).toBe(0);
    expect(picked.at(-1)).toBe(249);
    for (let i = 1; i < picked.length; i++) expect(picked[i]).toBeGreaterThan(picked[i - 1] as number);
    expect(pickEvenly([1, 2, 3], 60)).toEqual([1, 2, 3]);
    const report = twoRunReport();
    const runs = [...report.runs, report.runs[0], report.runs[0]].filter((r) => r !== undefined);
    expect(runLabels(runs)).toEqual(["fcfs", "tokenflow", "fcfs #2", "fcfs #3"]);
  });
});

describe("charts", () => {
  it("render every chart to SVG with its series", async () => {
    const charts = await renderBenchCharts(twoRunReport());
    expect(charts.map((c) => c.file)).toEqual([
      "ttft-cdf.svg",
      "throughput.svg",
      "timeline-1-fcfs.svg",
      "timeline-2-tokenflow.svg",
    ]);
    for (const c of charts) {
      expect(c.svg.startsWith("<svg")).toBe(true);
      expect(c.svg.trimEnd().endsWith("</svg>")).toBe(true);
    }
    const [cdf, throughput, fcfs, tokenflow] = charts.map((c) => c.svg);
    for (const name of ["fcfs", "tokenflow"]) {
      expect(cdf).toContain(`>${name}</text>`);
      expect(throughput).toContain(`>${name}</text>`);
    }
    expect(throughput).toContain(">raw</text>");
    expect(throughput).toContain(">effective</text>");
    for (const state of ["waiting", "streaming"]) expect(fcfs).toContain(`>${state}</text>`);
    for (const state of ["queued", "prefilling", "running", "paused"])
      expect(tokenflow).toContain(`>${state}</text>`);
    expect(tokenflow).toContain("reader buffer (tokens)");
  });

  it("draw at most 60 requests of a large run", async () => {
    const many = Array.from({ length: 250 }, (_, i) => timeline({ id: `q${i}`, arrivalS: i * 0.01 }));
    const spec = timelineSpec({ summary: twoRunReport().runs[0]?.summary as never, timelines: many }, "big");
    expect(JSON.stringify(spec)).toContain(`(${MAX_TIMELINE_REQUESTS} of 250 requests)`);
    const svg = await renderSvg(spec);
    expect(svg).toContain(`${MAX_TIMELINE_REQUESTS} of 250 requests`);
  });
});
