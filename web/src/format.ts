/** Number formatting for the dashboard. */

/** `1.2 MB`, `340 kB`, `12 B` (powers of 1000). */
export function formatBytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return "—";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 || v >= 100 ? 0 : 1)} ${units[i]}`;
}

/** A number with `digits` decimals, or `—`. */
export function fixed(n: number | null | undefined, digits = 0): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(digits);
}

/** `12%` of a 0..1 fraction. */
export function percent(f: number): string {
  return `${(100 * f).toFixed(f > 0 && f < 0.1 ? 1 : 0)}%`;
}

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
