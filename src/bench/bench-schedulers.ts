/**
 * Scheduling setups `--schedulers` can name for in-process targets:
 * - `fcfs`: FCFS with the run's token budget (`--max-num-batched-tokens`, chunked prefill);
 * - `fcfs-nochunk`: FCFS with the budget raised to the runtime's largest step, so a prompt is
 *   split only when it alone exceeds what one step can carry, or when several prompts admitted
 *   in the same step overflow it (the scheduler always chunks the last one then; there is no
 *   "wait for the next step instead" mode);
 * - `tokenflow`: buffer-aware preemption over both KV tiers (TokenFlowPolicy, default params);
 * - ablations: `tokenflow-recompute` (no offload: every pause recomputes), `tokenflow-no-writethrough`
 *   (KV copied to the host only when a request is paused), `tokenflow-no-overlap` (loads wait for
 *   evictions to finish).
 */
import { InvalidArgumentError } from "../errors.js";
import type { RuntimeInfo } from "../runtime/runtime.js";
import { FcfsPolicy } from "../scheduler/fcfs-policy.js";
import type { SchedulerPolicy } from "../scheduler/policy.js";
import type { TokenFlowParams } from "../scheduler/tokenflow-params.js";
import { TokenFlowPolicy } from "../scheduler/tokenflow-policy.js";

/** Names accepted by `--schedulers` for in-process targets. */
export const SCHEDULER_NAMES = [
  "fcfs",
  "fcfs-nochunk",
  "tokenflow",
  "tokenflow-recompute",
  "tokenflow-no-writethrough",
  "tokenflow-no-overlap",
] as const;

/** TokenFlow parameters of each TokenFlow setup. */
const TOKENFLOW_SETUPS: Record<string, Partial<TokenFlowParams>> = {
  tokenflow: {},
  "tokenflow-recompute": { useHostTier: false },
  "tokenflow-no-writethrough": { writeThroughFraction: 0 },
  "tokenflow-no-overlap": { overlapLoadEvict: false },
};

/** A policy and the token budget to run it with. */
export interface SchedulerSetup {
  readonly policy: SchedulerPolicy;
  readonly maxNumBatchedTokens: number;
}

/** Parses `--schedulers a,b` (order kept; in-process targets check the names at run time). */
export function parseSchedulers(raw: string): string[] {
  const names = raw.split(",").map((s) => s.trim());
  if (names.some((n) => n === ""))
    throw new InvalidArgumentError(
      `--schedulers must be a comma-separated list of names, got "${raw}"`,
      "schedulers",
    );
  return names;
}

/** Throws InvalidArgumentError unless `name` is a known in-process scheduler. */
export function checkSchedulerName(name: string): void {
  if (!(SCHEDULER_NAMES as readonly string[]).includes(name))
    throw new InvalidArgumentError(
      `unknown scheduler "${name}" (known: ${SCHEDULER_NAMES.join(", ")})`,
      "schedulers",
    );
}

/** The setup of scheduler `name` on a runtime with `info`, given the run's base token budget. */
export function schedulerSetup(name: string, info: RuntimeInfo, baseBudgetTokens: number): SchedulerSetup {
  switch (name) {
    case "fcfs":
      return { policy: new FcfsPolicy(), maxNumBatchedTokens: baseBudgetTokens };
    case "fcfs-nochunk":
      return {
        policy: new FcfsPolicy(),
        maxNumBatchedTokens: Math.max(baseBudgetTokens, info.maxBatchTokens),
      };
    default: {
      const params = TOKENFLOW_SETUPS[name];
      if (params) return { policy: new TokenFlowPolicy(params), maxNumBatchedTokens: baseBudgetTokens };
      checkSchedulerName(name);
      throw new InvalidArgumentError(`scheduler "${name}" has no setup`, "schedulers");
    }
  }
}
