/**
 * Exact `multipleOf` on the decimal values JSON numbers denote: `x` is a multiple of `m` when
 * `x / m` is an integer, computed on the shortest decimal spellings with BigInt (no rounding).
 */

/** `|x|` as `[digits, exponent]`: `digits × 10^exponent` exactly (shortest decimal spelling). */
function scaled(x: number): [bigint, number] {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(Math.abs(x).toString());
  if (m === null) throw new RangeError(`not a finite number: ${x}`);
  const frac = m[2] ?? "";
  return [BigInt((m[1] ?? "") + frac), Number(m[3] ?? 0) - frac.length];
}

/** Whether `x` is an integer multiple of `m` (`m > 0`), exactly in decimal. */
export function isMultipleOf(x: number, m: number): boolean {
  if (!Number.isFinite(x) || !Number.isFinite(m) || m <= 0) return false;
  if (x === 0) return true;
  const [xd, xe] = scaled(x);
  const [md, me] = scaled(m);
  const e = Math.min(xe, me);
  const a = xd * 10n ** BigInt(xe - e);
  const b = md * 10n ** BigInt(me - e);
  return a % b === 0n;
}
