/**
 * `tokenflow bench serve` in-process on virtual time: the mock runtime (JSON shape, sane numbers,
 * determinism, idle gaps, preemptions and request states) and the simulated H200.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { benchServeOptions } from "../cli/bench-serve-command.js";
import { main } from "../cli/main.js";
import { testModelPath } from "../test-support/test-models.js";
import { type BenchServeOptions, runBenchServe } from "./bench-serve.js";
import type { RequestTimeline, RunSummary } from "./bench-types.js";
import { parseRates } from "./readers.js";

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await main(["node", "tokenflow", "bench", "serve", ...args], (s) => {
    out += s;
  });
  return { code, out };
}

function mockOptions(over: Partial<BenchServeOptions> = {}): BenchServeOptions {
  return {
    target: { kind: "mock" },
    workload: { kind: "burst", count: 8 },
    numRequests: null,
    inputLen: { kind: "fixed", value: 32 },
    outputLen: { kind: "fixed", value: 24 },
    rates: parseRates("20"),
    seed: 5,
    traceReplay: { windowStartS: 0, windowDurationS: null, speedup: 1 },
    schedulers: ["fcfs"],
    slo: null,
    qoeTtftTargetS: 1.3,
    jsonSchema: null,
    constrainedFraction: 1,
    prompts: { kind: "synthetic" },
    textPrompts: false,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 2048,
    ...over,
  };
}

const SUMMARY_KEYS = [
  "scheduler",
  "requests",
  "ttft_s",
  "itl_s",
  "tpot_s",
  "max_stall_s",
  "rebuffer",
  "throughput_tok_s",
  "effective_throughput_tok_s",
  "read_goodput_tok_s",
  "qoe_mean",
  "preemptions",
  "wall_s",
  "engine",
];

function expectSane(s: RunSummary, requests: number): void {
  expect(s.requests).toBe(requests);
  expect(s.ttft_s.p50).toBeGreaterThan(0);
  expect(s.ttft_s.p50).toBeLessThanOrEqual(s.ttft_s.p99);
  expect(s.itl_s.p50).toBeGreaterThan(0);
  expect(s.tpot_s.mean).toBeGreaterThan(0);
  expect(s.throughput_tok_s).toBeGreaterThan(0);
  expect(s.effective_throughput_tok_s).toBeGreaterThan(0);
  expect(s.effective_throughput_tok_s).toBeLessThanOrEqual(s.throughput_tok_s + 1e-9);
  expect(s.read_goodput_tok_s).toBeLessThanOrEqual(s.throughput_tok_s + 1e-9);
  expect(s.qoe_mean).toBeGreaterThan(0);
  expect(s.qoe_mean).toBeLessThanOrEqual(1);
  expect(s.engine?.steps).toBeGreaterThan(0);
  expect(s.engine?.step_ms_mean).toBeGreaterThan(0);
}

function expectOrderedStates(tl: RequestTimeline): void {
  const states = tl.states ?? [];
  expect(states[0]).toEqual({ tS: tl.arrivalS, state: "queued" });
  expect(states.at(-1)?.state).toBe("finished");
  for (let i = 1; i < states.length; i++)
    expect(states[i]?.tS).toBeGreaterThanOrEqual(states[i - 1]?.tS as number);
}

describe("bench serve on the mock runtime (virtual time)", () => {
  it("prints one JSON object with a summary per scheduler, in order", async () => {
    const args = [
      "--runtime",
      "mock",
      "--workload",
      "burst:12",
      "--input-len",
      "32",
      "--output-len",
      "normal:24:4",
      "--schedulers",
      "fcfs,fcfs-nochunk",
      "--slo",
      "ttft:500",
      "--json",
    ];
    const { code, out } = await cli(args);
    expect(code).toBe(0);
    const report = JSON.parse(out) as { workload: Record<string, unknown>; runs: RunSummary[] };
    expect(report.workload).toMatchObject({
      workload: "burst:12",
      num_requests: 12,
      input_len: "32",
      seed: 0,
    });
    expect(report.runs.map((r) => r.scheduler)).toEqual(["fcfs", "fcfs-nochunk"]);
    for (const run of report.runs) {
      expect(Object.keys(run).sort()).toEqual([...SUMMARY_KEYS, "slo_goodput_req_s"].sort());
      expectSane(run, 12);
    }
    // Same seeded workload, same virtual time: identical up to the host wall time.
    const again = JSON.parse((await cli(args)).out) as typeof report;
    const strip = (r: typeof report) => r.runs.map(({ wall_s, ...rest }) => rest);
    expect(strip(again)).toEqual(strip(report));
  });

  it("prints a readable table side by side", async () => {
    const { code, out } = await cli([
      "--runtime",
      "mock",
      "--workload",
      "burst:4",
      "--input-len",
      "8",
      "--output-len",
      "8",
      "--schedulers",
      "fcfs,fcfs-nochunk",
    ]);
    expect(code).toBe(0);
    expect(out).toMatch(/workload burst:4: 4 requests/);
    expect(out).toMatch(/\s+fcfs\s+fcfs-nochunk\n/);
    expect(out).toMatch(/effective throughput \(tok\/s\)/);
  });

  it("advances virtual time over idle gaps and serves each request on arrival", async () => {
    const report = await runBenchServe(
      mockOptions({ workload: { kind: "poisson", ratePerS: 0.5 }, numRequests: 6 }),
    );
    const run = report.runs[0];
    const tls = run?.timelines ?? [];
    expect(tls.at(-1)?.arrivalS).toBeGreaterThan(3); // gaps of ~2 s of virtual time
    for (const tl of tls) {
      expect(tl.error).toBeNull();
      expect(tl.tokenTimesS).toHaveLength(24);
      // Alone on the engine: the first token comes one prefill step (≈5.7 ms) after arrival.
      expect((tl.tokenTimesS[0] as number) - tl.arrivalS).toBeLessThan(0.05);
      expect(tl.states?.map((s) => s.state)).toEqual(["queued", "prefilling", "running", "finished"]);
      expectOrderedStates(tl);
    }
    expect(run?.summary.wall_s).toBeLessThan(30);
  });

  it("reports preemptions by kind and paused states when the KV pool is short", async () => {
    // 8 × (32 + 64) tokens need 48 blocks of 16; the pool has 30.
    const report = await runBenchServe(
      mockOptions({ target: { kind: "mock", numBlocks: 30 }, outputLen: { kind: "fixed", value: 64 } }),
    );
    const run = report.runs[0];
    expect(run?.summary.preemptions.recompute).toBeGreaterThan(0);
    const paused = run?.timelines.filter((tl) => tl.states?.some((s) => s.state === "paused")) ?? [];
    expect(paused.length).toBeGreaterThan(0);
    for (const tl of run?.timelines ?? []) {
      expect(tl.tokenTimesS).toHaveLength(64);
      expectOrderedStates(tl);
    }
  });

  it("records requests the engine refuses", async () => {
    // 4096 + 24 tokens cannot fit a 40-block pool: refused at submission, the others run.
    const report = await runBenchServe(
      mockOptions({
        target: { kind: "mock", numBlocks: 40 },
        inputLen: { kind: "uniform", lo: 8, hi: 1000 },
      }),
    );
    const tls = report.runs[0]?.timelines ?? [];
    const refused = tls.filter((tl) => tl.error !== null);
    expect(refused.length).toBeGreaterThan(0);
    expect(
      refused.every((tl) => /exceeds the KV cache/.test(tl.error ?? "") && tl.tokenTimesS.length === 0),
    ).toBe(true);
    expect(tls.some((tl) => tl.error === null && tl.tokenTimesS.length === 24)).toBe(true);
  });

  it("keeps pumping arrivals when requests submitted on a step are refused", async () => {
    for (const seed of [1, 2, 3, 4]) {
      const report = await runBenchServe(
        mockOptions({
          seed,
          target: { kind: "mock", numBlocks: 40 },
          workload: { kind: "poisson", ratePerS: 40 },
          numRequests: 30,
          inputLen: { kind: "uniform", lo: 8, hi: 1200 },
        }),
      );
      const tls = report.runs[0]?.timelines ?? [];
      expect(tls.some((tl) => tl.error !== null)).toBe(true);
      expect(
        tls.every((tl) => tl.finishS !== null && (tl.error !== null || tl.tokenTimesS.length === 24)),
      ).toBe(true);
    }
  });

  it("rejects bad flag combinations with clear errors", async () => {
    const flags = {
      workload: "burst:2",
      traceSpeedup: "1",
      rates: "20",
      prompts: "synthetic",
      schedulers: "fcfs",
      qoeTtft: 1300,
      constrainedFraction: "1",
      maxNumSeqs: 8,
      maxNumBatchedTokens: 64,
      seed: 0,
    };
    await expect(benchServeOptions({ ...flags })).rejects.toThrow(/exactly one of --target URL or --runtime/);
    await expect(benchServeOptions({ ...flags, runtime: "cpu" })).rejects.toThrow(/needs --model/);
    await expect(benchServeOptions({ ...flags, runtime: "sim" })).rejects.toThrow(/needs --profile/);
    await expect(benchServeOptions({ ...flags, runtime: "mock", constrainedFraction: "2" })).rejects.toThrow(
      /\[0, 1\]/,
    );
    await expect(benchServeOptions({ ...flags, runtime: "mock", traceSpeedup: "0" })).rejects.toThrow(
      /trace-speedup/,
    );
    await expect(runBenchServe(mockOptions({ schedulers: ["fcfs", "lifo"] }))).rejects.toThrow(
      /unknown scheduler "lifo"/,
    );
    await expect(runBenchServe(mockOptions({ jsonSchema: { type: "object" } }))).rejects.toThrow(
      /real tokenizer/,
    );
    expect((await cli(["--runtime", "mock", "--workload", "poisson:fast"])).code).toBe(1);
  });

  it("writes the report with --out", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tf-bench-out-"));
    try {
      const { code } = await cli([
        "--runtime",
        "mock",
        "--workload",
        "burst:3",
        "--input-len",
        "8",
        "--output-len",
        "8",
        "--out",
        dir,
        "--json",
      ]);
      expect(code).toBe(0);
      expect(existsSync(join(dir, "report.json"))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("bench serve on the native CPU runtime (real time, tiny model)", () => {
  it("runs a small burst with some requests constrained by a JSON Schema", async () => {
    const model = await testModelPath("tinyF32");
    const dir = await mkdtemp(join(tmpdir(), "tf-bench-schema-"));
    try {
      const schemaPath = join(dir, "schema.json");
      await writeFile(schemaPath, JSON.stringify({ type: "object", properties: { n: { type: "integer" } } }));
      const report = await runBenchServe(
        await benchServeOptions({
          runtime: "cpu",
          model,
          threads: 2,
          workload: "burst:6",
          inputLen: "24",
          outputLen: "12",
          traceSpeedup: "1",
          rates: "20",
          prompts: "synthetic",
          schedulers: "fcfs",
          qoeTtft: 1300,
          jsonSchema: schemaPath,
          constrainedFraction: "0.5",
          maxNumSeqs: 8,
          maxNumBatchedTokens: 256,
          seed: 2,
        }),
      );
      const run = report.runs[0];
      expect(report.workload.constrained_requests).toBeGreaterThan(0);
      expect(report.workload.constrained_requests).toBeLessThan(6);
      for (const tl of run?.timelines ?? []) {
        expect(tl.error).toBeNull();
        expect(tl.tokenTimesS.length).toBeGreaterThan(0);
        expect(tl.tokenTimesS.length).toBeLessThanOrEqual(12);
        expectOrderedStates(tl);
      }
      expectSane(run?.summary as RunSummary, 6);
      expect(run?.summary.engine?.forward_ms_mean).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("bench serve on the simulated H200 (virtual time)", () => {
  it("runs a burst deterministically", async () => {
    const args = [
      "--runtime",
      "sim",
      "--profile",
      "h200-llama3-8b",
      "--workload",
      "burst:32",
      "--input-len",
      "normal:512:64",
      "--output-len",
      "normal:128:16",
      "--rates",
      "15:0.4,20:0.6",
      "--json",
    ];
    const a = JSON.parse((await cli(args)).out) as { runs: RunSummary[] };
    const b = JSON.parse((await cli(args)).out) as { runs: RunSummary[] };
    expectSane(a.runs[0] as RunSummary, 32);
    // Decode steps of the calibrated H200 take milliseconds, not seconds.
    expect(a.runs[0]?.itl_s.p50).toBeGreaterThan(0.003);
    expect(a.runs[0]?.itl_s.p50).toBeLessThan(0.05);
    expect({ ...a.runs[0], wall_s: 0 }).toEqual({ ...b.runs[0], wall_s: 0 });
  });
});
