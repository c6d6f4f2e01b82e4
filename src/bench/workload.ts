/**
 * Builds a seeded workload: arrival times, input/output lengths, reader rates, constrained
 * flags and exact-length prompts. Each of these draws from its own stream derived from the seed,
 * so e.g. changing `--rates` leaves the arrivals and lengths unchanged.
 */
import type { WorkloadSpec } from "./arrivals.js";
import { syntheticArrivalsS } from "./arrivals.js";
import type { BenchRequest, Workload } from "./bench-types.js";
import type { PromptFactory } from "./exact-prompts.js";
import { formatLengthDist, type LengthDist, sampleLength } from "./length-dist.js";
import { formatRates, type RateMix, sampleRate } from "./readers.js";
import { deriveSeed, SeededRandom } from "./seeded-random.js";
import { readTrace, replayTrace, type TraceReplay } from "./traces.js";

/** Input length of synthetic workloads when `--input-len` is not given (tokens). */
export const DEFAULT_INPUT_LEN = 512;
/** Output length of synthetic workloads when `--output-len` is not given (tokens). */
export const DEFAULT_OUTPUT_LEN = 256;

/** What {@link buildWorkload} needs. */
export interface WorkloadOptions {
  readonly spec: WorkloadSpec;
  /** Synthetic processes: how many requests; traces: at most this many (`null` = all in the window). */
  readonly numRequests: number | null;
  /** `null` = from the trace, or the default for synthetic processes. */
  readonly inputLen: LengthDist | null;
  readonly outputLen: LengthDist | null;
  readonly rates: RateMix;
  readonly seed: number;
  readonly traceReplay: TraceReplay;
  /** Share of requests carrying the JSON-schema constraint (0 = none). */
  readonly constrainedFraction: number;
  readonly prompts: PromptFactory;
}

/** Default number of requests of `poisson` / `gamma` workloads. */
export const DEFAULT_NUM_REQUESTS = 100;

interface Shape {
  readonly arrivalS: number;
  readonly inputLen: number;
  readonly outputLen: number;
}

async function shapes(o: WorkloadOptions): Promise<Shape[]> {
  const inputRng = new SeededRandom(deriveSeed(o.seed, "input-len"));
  const outputRng = new SeededRandom(deriveSeed(o.seed, "output-len"));
  const lengths = (traceIn: number, traceOut: number) => ({
    inputLen: o.inputLen ? sampleLength(o.inputLen, inputRng) : traceIn,
    outputLen: o.outputLen ? sampleLength(o.outputLen, outputRng) : traceOut,
  });
  if (o.spec.kind === "trace") {
    const rows = replayTrace(await readTrace(o.spec.path), o.traceReplay);
    const kept = o.numRequests === null ? rows : rows.slice(0, o.numRequests);
    return kept.map((r) => ({ arrivalS: r.timeS, ...lengths(r.inputLen, r.outputLen) }));
  }
  const arrivals = syntheticArrivalsS(
    o.spec,
    o.numRequests ?? DEFAULT_NUM_REQUESTS,
    new SeededRandom(deriveSeed(o.seed, "arrivals")),
  );
  return arrivals.map((arrivalS) => ({ arrivalS, ...lengths(DEFAULT_INPUT_LEN, DEFAULT_OUTPUT_LEN) }));
}

/** Builds the requests (arrival order, ids `r0`, `r1`, ...) and the workload's description. */
export async function buildWorkload(o: WorkloadOptions): Promise<Workload> {
  const rateRng = new SeededRandom(deriveSeed(o.seed, "rates"));
  const constrainRng = new SeededRandom(deriveSeed(o.seed, "constrained"));
  const promptRng = new SeededRandom(deriveSeed(o.seed, "prompts"));
  const requests: BenchRequest[] = (await shapes(o)).map((s, i) => {
    const prompt = o.prompts.build(s.inputLen, promptRng);
    return {
      id: `r${i}`,
      arrivalS: s.arrivalS,
      inputLen: s.inputLen,
      outputLen: s.outputLen,
      rateTokPerS: sampleRate(o.rates, rateRng),
      isConstrained: o.constrainedFraction > 0 && constrainRng.next() < o.constrainedFraction,
      promptTokens: prompt.tokens,
      promptText: prompt.text,
    };
  });
  const synthetic = o.spec.kind !== "trace";
  return {
    requests,
    description: {
      num_requests: requests.length,
      input_len: o.inputLen ? formatLengthDist(o.inputLen) : synthetic ? String(DEFAULT_INPUT_LEN) : "trace",
      output_len: o.outputLen
        ? formatLengthDist(o.outputLen)
        : synthetic
          ? String(DEFAULT_OUTPUT_LEN)
          : "trace",
      rates: formatRates(o.rates),
      seed: o.seed,
      mean_input_len: mean(requests.map((r) => r.inputLen)),
      mean_output_len: mean(requests.map((r) => r.outputLen)),
      last_arrival_s: requests[requests.length - 1]?.arrivalS ?? 0,
      constrained_requests: requests.filter((r) => r.isConstrained).length,
    },
  };
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}
