/**
 * What `bench serve` runs a workload against: an OpenAI-compatible server over HTTP, or an
 * engine in-process (real or virtual time). A target records one {@link RequestTimeline} per
 * request; the harness turns them into metrics.
 */
import type { Clock } from "../runtime/runtime.js";
import type { BenchRequest, RequestTimeline, RunSummary } from "./bench-types.js";

/** What one run of a workload on a target produced. */
export interface TargetRun {
  /** One per workload request, in workload order. */
  readonly timelines: RequestTimeline[];
  /** Preemptions by kind (in-process targets; empty over HTTP). */
  readonly preemptions: Record<string, number>;
  /** Engine step statistics (in-process targets only). */
  readonly engine?: RunSummary["engine"];
}

/** A benchmark target. One `run` at a time. */
export interface BenchTarget {
  /** Describes the target for the report (kind, URL or model, runtime info). */
  readonly description: Record<string, unknown>;
  /**
   * Whether `run` honours the scheduler name (in-process engines); over HTTP the server keeps
   * its own policy and the name only labels the run.
   */
  readonly isSchedulerChosen: boolean;
  /** Runs `requests` once, with scheduling policy `scheduler`. */
  run(requests: readonly BenchRequest[], scheduler: string): Promise<TargetRun>;
  /** Releases models, runtimes and connections. */
  close(): Promise<void>;
}

/** A fresh timeline for `req` (no tokens yet). */
export function emptyTimeline(req: BenchRequest): RequestTimeline {
  return {
    id: req.id,
    arrivalS: req.arrivalS,
    inputLen: req.inputLen,
    outputLen: req.outputLen,
    rateTokPerS: req.rateTokPerS,
    tokenTimesS: [],
    finishS: null,
    error: null,
  };
}

/**
 * Real-time dispatch: calls `launch` for each request when `clock` reaches `originMs` plus its
 * arrival (requests are in arrival order; late ones go at once) and returns the launches'
 * promises in order.
 */
export async function dispatchInRealTime<T>(
  requests: readonly BenchRequest[],
  clock: Clock,
  originMs: number,
  launch: (req: BenchRequest) => Promise<T>,
): Promise<Promise<T>[]> {
  const launched: Promise<T>[] = [];
  for (const req of requests) {
    const waitMs = originMs + req.arrivalS * 1000 - clock.now();
    if (waitMs > 0) await clock.sleep(waitMs);
    launched.push(launch(req));
  }
  return launched;
}

/** A one-line message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
