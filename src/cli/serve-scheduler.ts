/**
 * The scheduling and KV-tier flags of `tokenflow serve` (`--scheduler`, `--host-kv-memory`,
 * `--default-consumption-rate`, `--schedule-interval-ms`, `--buffer-safety-factor`): their
 * parsers, the policy they build, and the startup line describing them.
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "../errors.js";
import { FcfsPolicy } from "../scheduler/fcfs-policy.js";
import type { SchedulerPolicy } from "../scheduler/policy.js";
import { DEFAULT_TOKENFLOW_PARAMS } from "../scheduler/tokenflow-params.js";
import { TokenFlowPolicy } from "../scheduler/tokenflow-policy.js";
import { parseChoice } from "./parse.js";

/** The scheduling policies `--scheduler` accepts. */
export const SCHEDULERS = ["fcfs", "tokenflow"] as const;

/** Scheduling flags of `tokenflow serve` (commander fills them). */
export interface SchedulerFlags {
  scheduler: (typeof SCHEDULERS)[number];
  /** Host KV tier budget, bytes (0 = no host tier). */
  hostKvMemory: number;
  /** Reader rate of requests without `consumption_rate`, tok/s. */
  defaultConsumptionRate: number;
  /** TokenFlow only; `undefined` = the policy's default. */
  scheduleIntervalMs?: number;
  /** TokenFlow only (μ); `undefined` = the policy's default. */
  bufferSafetyFactor?: number;
}

/** Default of `--default-consumption-rate`, tok/s. */
export const DEFAULT_CONSUMPTION_RATE_TOK_PER_S = 20;

/** Parses a byte count: `268435456`, `256M`, `1.5GiB`, `512k`; at least `min`; errors name `--flag`. */
export function parseByteOption(flag: string, min: number): (raw: string) => number {
  return (raw: string) => {
    const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(raw.trim());
    const unit = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[(m?.[2] ?? "").toLowerCase()];
    const n = m && unit ? Math.floor(Number(m[1]) * unit) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      const least = min > 0 ? ` of at least ${min}` : "";
      throw new InvalidArgumentError(
        `--${flag} must be a byte count${least} like 268435456 or 256M, got "${raw}"`,
        flag,
      );
    }
    return n;
  };
}

/** Parses a finite number in (min, max] (or [min, max] with `minInclusive`); errors name `--flag`. */
export function parseNumberOption(
  flag: string,
  min: number,
  max: number,
  minInclusive = false,
): (raw: string) => number {
  return (raw: string) => {
    const n = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(raw) ? Number(raw) : Number.NaN;
    const lowOk = minInclusive ? n >= min : n > min;
    if (!Number.isFinite(n) || !lowOk || n > max) {
      const low = minInclusive ? `>= ${min}` : `> ${min}`;
      throw new InvalidArgumentError(`--${flag} must be a number ${low} and <= ${max}, got "${raw}"`, flag);
    }
    return n;
  };
}

/** Adds the scheduling flags to `serve`. */
export function addSchedulerOptions(command: Command): Command {
  return command
    .option(
      "--scheduler <policy>",
      "scheduling policy: fcfs (vLLM-like) or tokenflow (buffer-aware preemption)",
      parseChoice("scheduler", SCHEDULERS),
      "fcfs",
    )
    .option(
      "--host-kv-memory <bytes>",
      "host KV tier budget for paused requests, e.g. 2G (0 = none)",
      parseByteOption("host-kv-memory", 0),
      0,
    )
    .option(
      "--default-consumption-rate <tok/s>",
      "reading rate of requests that send no consumption_rate",
      parseNumberOption("default-consumption-rate", 0, 1000),
      DEFAULT_CONSUMPTION_RATE_TOK_PER_S,
    )
    .option(
      "--schedule-interval-ms <ms>",
      `tokenflow: scheduling pass interval (default ${DEFAULT_TOKENFLOW_PARAMS.scheduleIntervalMs})`,
      parseNumberOption("schedule-interval-ms", 0, 60_000),
    )
    .option(
      "--buffer-safety-factor <mu>",
      `tokenflow: pause only if the buffer covers mu x (evict + load + interval) (default ${DEFAULT_TOKENFLOW_PARAMS.bufferSafetyFactor})`,
      parseNumberOption("buffer-safety-factor", 0, 100),
    );
}

/**
 * The policy `flags` ask for. TokenFlow gets the default rate and the given interval and μ;
 * those two are refused with `fcfs`, which has no use for them.
 */
export function policyFromFlags(flags: SchedulerFlags): SchedulerPolicy {
  if (flags.scheduler === "fcfs") {
    for (const [flag, value] of [
      ["schedule-interval-ms", flags.scheduleIntervalMs],
      ["buffer-safety-factor", flags.bufferSafetyFactor],
    ] as const) {
      if (value !== undefined)
        throw new InvalidArgumentError(`--${flag} applies to --scheduler tokenflow only`, flag);
    }
    return new FcfsPolicy();
  }
  return new TokenFlowPolicy({
    defaultConsumptionRateTokPerS: flags.defaultConsumptionRate,
    ...(flags.scheduleIntervalMs !== undefined ? { scheduleIntervalMs: flags.scheduleIntervalMs } : {}),
    ...(flags.bufferSafetyFactor !== undefined ? { bufferSafetyFactor: flags.bufferSafetyFactor } : {}),
  });
}

function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** The startup line's scheduling part, e.g. `scheduler tokenflow (interval 500 ms, μ 2, default rate 20 tok/s), host KV tier 2 GiB (8192 blocks)`. */
export function describeScheduling(
  flags: SchedulerFlags,
  policy: SchedulerPolicy,
  numHostBlocks: number,
): string {
  const params = policy instanceof TokenFlowPolicy ? policy.params : null;
  const sched = params
    ? `scheduler tokenflow (interval ${params.scheduleIntervalMs} ms, μ ${params.bufferSafetyFactor}, default rate ${params.defaultConsumptionRateTokPerS} tok/s)`
    : `scheduler ${policy.name}`;
  if (flags.hostKvMemory <= 0) return `${sched}, no host KV tier`;
  const unused = params ? "" : ", unused by fcfs";
  return `${sched}, host KV tier ${formatBytes(flags.hostKvMemory)} (${numHostBlocks} blocks${unused})`;
}
