/**
 * Arrival processes of `--workload`: `burst:N` (N requests at t = 0), `poisson:RATE`
 * (exponential gaps, RATE requests/s), `gamma:RATE:CV` (Gamma gaps with shape 1/CV² and the same
 * mean rate: vLLM's burstiness knob, CV = 1 is Poisson, CV > 1 burstier) and `trace:PATH`
 * (replayed by traces.ts).
 */
import { InvalidArgumentError } from "../errors.js";
import type { SeededRandom } from "./seeded-random.js";

/** A parsed `--workload` value. */
export type WorkloadSpec =
  | { readonly kind: "burst"; readonly count: number }
  | { readonly kind: "poisson"; readonly ratePerS: number }
  | { readonly kind: "gamma"; readonly ratePerS: number; readonly cv: number }
  | { readonly kind: "trace"; readonly path: string };

const USAGE = "--workload must be burst:N, poisson:RATE, gamma:RATE:CV or trace:PATH";

function positive(raw: string | undefined, what: string, spec: string): number {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`${USAGE}: ${what} must be a positive number in "${spec}"`, "workload");
  return n;
}

/** Parses `--workload`; throws InvalidArgumentError naming the problem. */
export function parseWorkloadSpec(raw: string): WorkloadSpec {
  const spec = raw.trim();
  const colon = spec.indexOf(":");
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? "" : spec.slice(colon + 1);
  const parts = rest.split(":");
  switch (kind) {
    case "burst": {
      const count = positive(parts[0], "N", spec);
      if (parts.length !== 1 || !Number.isInteger(count))
        throw new InvalidArgumentError(`${USAGE}: burst takes one integer N, got "${spec}"`, "workload");
      return { kind, count };
    }
    case "poisson":
      if (parts.length !== 1)
        throw new InvalidArgumentError(`${USAGE}: poisson takes one RATE, got "${spec}"`, "workload");
      return { kind, ratePerS: positive(parts[0], "RATE", spec) };
    case "gamma":
      if (parts.length !== 2)
        throw new InvalidArgumentError(`${USAGE}: gamma takes RATE:CV, got "${spec}"`, "workload");
      return { kind, ratePerS: positive(parts[0], "RATE", spec), cv: positive(parts[1], "CV", spec) };
    case "trace":
      if (rest.trim() === "")
        throw new InvalidArgumentError(`${USAGE}: trace needs a file path, got "${spec}"`, "workload");
      return { kind, path: rest };
    default:
      throw new InvalidArgumentError(`${USAGE}, got "${raw}"`, "workload");
  }
}

/**
 * Arrival times (seconds, non-decreasing, the first at 0) of `numRequests` requests of a
 * synthetic process. A burst ignores `numRequests` (its N is the count).
 */
export function syntheticArrivalsS(
  spec: Exclude<WorkloadSpec, { kind: "trace" }>,
  numRequests: number,
  rng: SeededRandom,
): number[] {
  if (spec.kind === "burst") return new Array<number>(spec.count).fill(0);
  const times: number[] = [];
  let t = 0;
  // Gamma with shape k and scale 1/(rate·k) has mean 1/rate and CV 1/√k.
  const shape = spec.kind === "gamma" ? 1 / (spec.cv * spec.cv) : 1;
  const scale = 1 / (spec.ratePerS * shape);
  for (let i = 0; i < numRequests; i++) {
    if (i > 0) t += spec.kind === "poisson" ? rng.exponential(1 / spec.ratePerS) : rng.gamma(shape, scale);
    times.push(t);
  }
  return times;
}
