/**
 * `bench serve` orchestration: opens the target, builds the seeded workload once, runs it once
 * per scheduler (in the order given) and summarises each run.
 */
import { InvalidArgumentError } from "../errors.js";
import type { SloSpec } from "./aggregate-metrics.js";
import { summarizeTimelines } from "./aggregate-metrics.js";
import type { WorkloadSpec } from "./arrivals.js";
import { checkSchedulerName } from "./bench-schedulers.js";
import type { BenchTarget } from "./bench-target.js";
import { loadBenchTokenizer } from "./bench-tokenizer.js";
import type { BenchReport, BenchRun, RunSummary } from "./bench-types.js";
import { EngineTarget } from "./engine-target.js";
import { PromptFactory, type PromptSource, type PromptTokenizer } from "./exact-prompts.js";
import { HttpTarget } from "./http-target.js";
import type { InProcessSpec } from "./in-process-runtimes.js";
import type { LengthDist } from "./length-dist.js";
import type { RateMix } from "./readers.js";
import type { TraceReplay } from "./traces.js";
import { buildWorkload } from "./workload.js";

/** An HTTP server to benchmark. */
export interface HttpTargetSpec {
  readonly kind: "http";
  readonly url: string;
  readonly modelName: string | null;
  readonly apiKey: string | null;
  /** Vocabulary name or model path, for ShareGPT and text prompts (`null` = synthetic ids only). */
  readonly tokenizer: string | null;
  /** Vocabulary size for synthetic ids without a tokenizer (`null` = ids below 32,000). */
  readonly vocabSize: number | null;
}

/** Everything `bench serve` needs. */
export interface BenchServeOptions {
  readonly target: HttpTargetSpec | InProcessSpec;
  readonly workload: WorkloadSpec;
  readonly numRequests: number | null;
  readonly inputLen: LengthDist | null;
  readonly outputLen: LengthDist | null;
  readonly rates: RateMix;
  readonly seed: number;
  readonly traceReplay: TraceReplay;
  readonly schedulers: readonly string[];
  readonly slo: SloSpec | null;
  /** Andes QoE's expected time to first token, seconds. */
  readonly qoeTtftTargetS: number;
  readonly jsonSchema: unknown;
  readonly constrainedFraction: number;
  readonly prompts: PromptSource;
  readonly textPrompts: boolean;
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  /** Called after each run (progress); must not throw. */
  readonly onRun?: (summary: RunSummary) => void;
}

interface OpenedTarget {
  readonly target: BenchTarget;
  readonly tokenizer: PromptTokenizer | null;
  readonly vocabSize: number;
}

async function openTarget(o: BenchServeOptions): Promise<OpenedTarget> {
  const t = o.target;
  if (t.kind === "http") {
    const tokenizer = t.tokenizer ? await loadBenchTokenizer(t.tokenizer) : null;
    const target = await HttpTarget.create({
      url: t.url,
      modelName: t.modelName,
      jsonSchema: o.jsonSchema,
      apiKey: t.apiKey,
    });
    return { target, tokenizer, vocabSize: tokenizer?.vocabSize ?? t.vocabSize ?? 32_000 };
  }
  if (o.textPrompts)
    throw new InvalidArgumentError("--text-prompts applies to an HTTP --target only", "text-prompts");
  const target = await EngineTarget.create({
    spec: t,
    seed: o.seed,
    maxNumSeqs: o.maxNumSeqs,
    maxNumBatchedTokens: o.maxNumBatchedTokens,
    jsonSchema: o.jsonSchema,
  });
  return { target, tokenizer: target.opened.tokenizer, vocabSize: target.opened.vocabSize };
}

function describe(
  o: BenchServeOptions,
  target: BenchTarget,
  workload: Record<string, unknown>,
): Record<string, unknown> {
  const w = o.workload;
  const spec =
    w.kind === "burst"
      ? `burst:${w.count}`
      : w.kind === "poisson"
        ? `poisson:${w.ratePerS}`
        : w.kind === "gamma"
          ? `gamma:${w.ratePerS}:${w.cv}`
          : `trace:${w.path}`;
  return {
    workload: spec,
    ...workload,
    ...(w.kind === "trace"
      ? {
          trace_window: [o.traceReplay.windowStartS, o.traceReplay.windowDurationS],
          trace_speedup: o.traceReplay.speedup,
        }
      : {}),
    prompts: o.prompts.kind === "texts" ? o.prompts.path : "synthetic",
    text_prompts: o.textPrompts,
    constrained_fraction: o.jsonSchema ? o.constrainedFraction : 0,
    slo: o.slo,
    qoe_ttft_target_s: o.qoeTtftTargetS,
    schedulers: o.schedulers,
    target: target.description,
  };
}

/** Runs the benchmark and returns every run's summary and timelines. */
export async function runBenchServe(o: BenchServeOptions): Promise<BenchReport> {
  if (o.schedulers.length === 0)
    throw new InvalidArgumentError("--schedulers needs at least one name", "schedulers");
  if (o.target.kind !== "http") for (const s of o.schedulers) checkSchedulerName(s);
  const { target, tokenizer, vocabSize } = await openTarget(o);
  try {
    const prompts = await PromptFactory.create({
      source: o.prompts,
      tokenizer,
      vocabSize,
      textPrompts: o.textPrompts,
    });
    const workload = await buildWorkload({
      spec: o.workload,
      numRequests: o.numRequests,
      inputLen: o.inputLen,
      outputLen: o.outputLen,
      rates: o.rates,
      seed: o.seed,
      traceReplay: o.traceReplay,
      constrainedFraction: o.jsonSchema ? o.constrainedFraction : 0,
      prompts,
    });
    const runs: BenchRun[] = [];
    for (const scheduler of o.schedulers) {
      const startedMs = performance.now();
      const run = await target.run(workload.requests, scheduler);
      const summary: RunSummary = {
        scheduler,
        ...summarizeTimelines(run.timelines, { qoeTtftTargetS: o.qoeTtftTargetS, slo: o.slo }),
        preemptions: run.preemptions,
        wall_s: (performance.now() - startedMs) / 1000,
        ...(run.engine ? { engine: run.engine } : {}),
      };
      o.onRun?.(summary);
      runs.push({ summary, timelines: run.timelines });
    }
    return { workload: describe(o, target, workload.description), runs };
  } finally {
    await target.close();
  }
}
