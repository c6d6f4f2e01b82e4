/**
 * Shapes shared by `tokenflow bench serve`: one workload request, the per-request token
 * timeline a target records, the per-run summary (the `--json` keys of issue 6) and the report
 * handed to `writeBenchReport`. Times are seconds from the run's start unless a name says ms.
 */

/** A state of a request on an in-process engine (for per-request timeline charts). */
export type RequestStateName = "queued" | "prefilling" | "running" | "paused" | "finished";

/** One request of one run; times in seconds from run start. */
export interface RequestTimeline {
  id: string;
  /** When the request was due to be sent (the workload's arrival time). */
  arrivalS: number;
  inputLen: number;
  /** Requested output length (max_tokens). */
  outputLen: number;
  /** Tokens per second this request's simulated reader consumes. */
  rateTokPerS: number;
  /** Arrival time of each output token at the client, in order. */
  tokenTimesS: number[];
  /** When the request ended (stream closed), `null` if it never did. */
  finishS: number | null;
  /** Why it failed, `null` if it did not. */
  error: string | null;
  /** State changes (in-process targets only), in time order. */
  states?: { tS: number; state: RequestStateName }[];
}

/** Summary of one run: exactly the JSON keys. Times in seconds. */
export interface RunSummary {
  scheduler: string;
  requests: number;
  ttft_s: { mean: number; p50: number; p99: number };
  itl_s: { p50: number; p99: number };
  tpot_s: { mean: number; p99: number };
  max_stall_s: { p50: number; p99: number };
  rebuffer: { events: number; seconds: number };
  throughput_tok_s: number;
  effective_throughput_tok_s: number;
  read_goodput_tok_s: number;
  qoe_mean: number;
  /** Only with `--slo`: completed requests meeting every SLO, per second of makespan. */
  slo_goodput_req_s?: number;
  /** Preemptions by kind (`recompute`, `swap`); empty for HTTP targets. */
  preemptions: Record<string, number>;
  /** Host wall-clock seconds the run took (a virtual-time run takes far less than its makespan). */
  wall_s: number;
  /** In-process targets: engine step statistics (ms on the target's clock). */
  engine?: {
    steps: number;
    step_ms_mean: number;
    overhead_ms_mean: number;
    overhead_frac: number;
    forward_ms_mean: number;
    mask_ms_mean: number;
  };
}

/** One run (one scheduler) of a workload. */
export interface BenchRun {
  summary: RunSummary;
  timelines: RequestTimeline[];
}

/** What `--out DIR` writes: the workload description and every run. */
export interface BenchReport {
  workload: Record<string, unknown>;
  runs: BenchRun[];
}

/** One request of a workload, identical for every scheduler of a run. */
export interface BenchRequest {
  /** `r<index>`, unique within the workload. */
  readonly id: string;
  /** Seconds after the run's start when it is sent. */
  readonly arrivalS: number;
  readonly inputLen: number;
  readonly outputLen: number;
  readonly rateTokPerS: number;
  /** Whether it carries the `--json-schema` constraint. */
  readonly isConstrained: boolean;
  /** The prompt as token ids (length `inputLen`); owned by the workload. */
  readonly promptTokens: readonly number[];
  /** The prompt as text (`--text-prompts` only), re-tokenizing to `inputLen` tokens. */
  readonly promptText: string | null;
}

/** A built workload: its requests in arrival order and a JSON description for reports. */
export interface Workload {
  readonly requests: readonly BenchRequest[];
  readonly description: Record<string, unknown>;
}
