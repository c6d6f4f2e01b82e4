/**
 * Simulated readers of `--rates`: one rate for everyone (`20`) or a mix (`15:0.4,20:0.6`, rate
 * in tokens/s and its share; shares are normalised), assigned per request by a seeded draw.
 */
import { InvalidArgumentError } from "../errors.js";
import type { SeededRandom } from "./seeded-random.js";

/** A reading-rate mix: rates (tokens/s) and their normalised shares (sum 1). */
export interface RateMix {
  readonly ratesTokPerS: readonly number[];
  readonly shares: readonly number[];
}

/** Parses `--rates`. */
export function parseRates(raw: string): RateMix {
  const bad = (why: string) =>
    new InvalidArgumentError(
      `--rates must be RATE or RATE:SHARE,RATE:SHARE,... (${why}), got "${raw}"`,
      "rates",
    );
  const items = raw.split(",").map((s) => s.trim());
  const rates: number[] = [];
  const shares: number[] = [];
  for (const item of items) {
    const [r, s, extra] = item.split(":");
    if (extra !== undefined || r === undefined || r === "") throw bad(`bad item "${item}"`);
    const rate = Number(r);
    const share = s === undefined ? (items.length === 1 ? 1 : Number.NaN) : Number(s);
    if (!Number.isFinite(rate) || rate <= 0) throw bad("rates must be positive numbers");
    if (!Number.isFinite(share) || share <= 0) throw bad("each rate of a mix needs a positive share");
    rates.push(rate);
    shares.push(share);
  }
  const total = shares.reduce((a, b) => a + b, 0);
  return { ratesTokPerS: rates, shares: shares.map((s) => s / total) };
}

/** The reading rate (tokens/s) of one request. */
export function sampleRate(mix: RateMix, rng: SeededRandom): number {
  if (mix.ratesTokPerS.length === 1) return mix.ratesTokPerS[0] as number;
  return mix.ratesTokPerS[rng.weighted(mix.shares)] as number;
}

/** The mix back as text, e.g. `15:0.4,20:0.6`. */
export function formatRates(mix: RateMix): string {
  if (mix.ratesTokPerS.length === 1) return String(mix.ratesTokPerS[0]);
  return mix.ratesTokPerS.map((r, i) => `${r}:${Number((mix.shares[i] as number).toFixed(6))}`).join(",");
}
