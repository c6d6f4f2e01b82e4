/**
 * Token-length distributions of `--input-len` / `--output-len`: `512` (fixed),
 * `normal:MEAN:STD` (rounded) and `uniform:LO:HI` (integers, both ends included). Every draw is
 * clamped to at least 1 token.
 */
import { InvalidArgumentError } from "../errors.js";
import type { SeededRandom } from "./seeded-random.js";

/** A parsed length distribution (tokens). */
export type LengthDist =
  | { readonly kind: "fixed"; readonly value: number }
  | { readonly kind: "normal"; readonly mean: number; readonly std: number }
  | { readonly kind: "uniform"; readonly lo: number; readonly hi: number };

function num(raw: string | undefined, flag: string, spec: string, isInt: boolean): number {
  const n = Number(raw);
  if (
    raw === undefined ||
    raw.trim() === "" ||
    !Number.isFinite(n) ||
    n < 0 ||
    (isInt && !Number.isInteger(n))
  )
    throw new InvalidArgumentError(
      `--${flag} must be N, normal:MEAN:STD or uniform:LO:HI (non-negative${isInt ? " integers" : ""}), got "${spec}"`,
      flag,
    );
  return n;
}

/** Parses a length spec for option `flag` (e.g. `input-len`). */
export function parseLengthDist(raw: string, flag: string): LengthDist {
  const parts = raw.trim().split(":");
  const bad = () =>
    new InvalidArgumentError(`--${flag} must be N, normal:MEAN:STD or uniform:LO:HI, got "${raw}"`, flag);
  if (parts.length === 1) {
    const value = num(parts[0], flag, raw, true);
    if (value < 1) throw bad();
    return { kind: "fixed", value };
  }
  if (parts.length !== 3) throw bad();
  if (parts[0] === "normal")
    return { kind: "normal", mean: num(parts[1], flag, raw, false), std: num(parts[2], flag, raw, false) };
  if (parts[0] === "uniform") {
    const lo = num(parts[1], flag, raw, true);
    const hi = num(parts[2], flag, raw, true);
    if (hi < lo) throw bad();
    return { kind: "uniform", lo, hi };
  }
  throw bad();
}

/** One draw (tokens, ≥ 1). */
export function sampleLength(dist: LengthDist, rng: SeededRandom): number {
  let v: number;
  if (dist.kind === "fixed") v = dist.value;
  else if (dist.kind === "normal") v = Math.round(dist.mean + dist.std * rng.normal());
  else v = rng.int(dist.lo, dist.hi);
  return Math.max(1, v);
}

/** The spec back as text (for the workload description). */
export function formatLengthDist(dist: LengthDist): string {
  if (dist.kind === "fixed") return String(dist.value);
  if (dist.kind === "normal") return `normal:${dist.mean}:${dist.std}`;
  return `uniform:${dist.lo}:${dist.hi}`;
}
