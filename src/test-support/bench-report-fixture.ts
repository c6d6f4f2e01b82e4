import type { BenchReport, RequestTimeline, RunSummary } from "../bench/bench-types.js";

/** A summary whose numbers are easy to check ratios against. */
function summary(scheduler: string, scale: number, extra: Partial<RunSummary> = {}): RunSummary {
  return {
    scheduler,
    requests: 4,
    ttft_s: { mean: 2 * scale, p50: 1.5 * scale, p99: 4 * scale },
    itl_s: { p50: 0.05, p99: 0.2 * scale },
    tpot_s: { mean: 0.06, p99: 0.25 * scale },
    max_stall_s: { p50: 0.5 * scale, p99: 2 * scale },
    rebuffer: { events: 8, seconds: 3 * scale },
    throughput_tok_s: 1000,
    effective_throughput_tok_s: 600 / scale,
    read_goodput_tok_s: 80,
    qoe_mean: 0.9,
    slo_goodput_req_s: 0.2 / scale,
    preemptions: {},
    wall_s: 10,
    ...extra,
  };
}

/** Tokens arriving every `itlS` from `firstS`. */
function tokens(firstS: number, n: number, itlS: number): number[] {
  return Array.from({ length: n }, (_, i) => firstS + i * itlS);
}

function timeline(id: string, arrivalS: number, tokenTimesS: number[], extra: Partial<RequestTimeline> = {}) {
  return {
    id,
    arrivalS,
    inputLen: 16,
    outputLen: tokenTimesS.length,
    rateTokPerS: 20,
    tokenTimesS,
    finishS: tokenTimesS.at(-1) ?? null,
    error: null,
    ...extra,
  } satisfies RequestTimeline;
}

/**
 * A two-run report: `fcfs` (HTTP-style timelines, no states) and `tokenflow` (in-process, with
 * states, preemptions and engine statistics). tokenflow's TTFT, stall and rebuffer numbers are
 * 0.25 of fcfs's, its effective throughput and SLO goodput 4× (2400 vs 600 tok/s, 0.8 vs 0.2 req/s).
 */
export function twoRunReport(): BenchReport {
  const fcfs = [
    timeline("r0", 0, tokens(0.2, 40, 0.05)),
    timeline("r1", 0, tokens(1.0, 40, 0.05)),
    timeline("r2", 0.5, tokens(2.0, 40, 0.05)),
    timeline("r3", 0.5, [], { finishS: null, error: "timed out" }),
  ];
  const paused = [...tokens(0.3, 20, 0.02), ...tokens(2.0, 20, 0.02)];
  const tokenflow = [
    timeline("r0", 0, paused, {
      states: [
        { tS: 0, state: "queued" },
        { tS: 0.1, state: "prefilling" },
        { tS: 0.3, state: "running" },
        { tS: 0.7, state: "paused" },
        { tS: 2.0, state: "running" },
        { tS: 2.4, state: "finished" },
      ],
    }),
    timeline("r1", 0, tokens(0.4, 40, 0.05)),
    timeline("r2", 0.5, tokens(0.6, 40, 0.05)),
    timeline("r3", 0.5, tokens(0.8, 40, 0.05)),
  ];
  return {
    workload: { kind: "burst", requests: 4, rates: "20", seed: 1, inputLen: { dist: "fixed", value: 16 } },
    runs: [
      { summary: summary("fcfs", 1), timelines: fcfs },
      {
        summary: summary("tokenflow", 0.25, {
          preemptions: { swap: 3, recompute: 1 },
          engine: {
            steps: 120,
            step_ms_mean: 4.5,
            overhead_ms_mean: 0.5,
            overhead_frac: 0.11,
            forward_ms_mean: 3.8,
            mask_ms_mean: 0,
          },
        }),
        timelines: tokenflow,
      },
    ],
  };
}
