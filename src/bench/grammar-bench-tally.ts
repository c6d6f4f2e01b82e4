/**
 * The measures of one engine over many schemas (`tokenflow grammar bench`): counts, compile
 * times and per-step mask times, reported as issue 4's `R`.
 */

import type { CompilePercentiles, GrammarBenchReport, MaskPercentiles } from "./grammar-bench-types.js";

/** Nearest-rank percentile of sorted `xs` (0 when empty). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k] as number;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Accumulates one engine's measures over many schemas. */
export class GrammarBenchTally {
  numSchemas = 0;
  numCompiled = 0;
  numCovered = 0;
  numFalseRejects = 0;
  numFalseAccepts = 0;
  numInstances = 0;
  /** Walks that threw (engine bugs); the instance counts as rejected. */
  numWalkErrors = 0;
  lastWalkError: string | null = null;
  readonly refused: Record<string, number> = {};
  readonly compileMs: number[] = [];
  private maskUs = new Float64Array(1 << 16);
  numMasks = 0;

  /** Records one mask time in µs. */
  addMaskUs(us: number): void {
    if (this.numMasks === this.maskUs.length) {
      const grown = new Float64Array(this.maskUs.length * 2);
      grown.set(this.maskUs);
      this.maskUs = grown;
    }
    this.maskUs[this.numMasks++] = us;
  }

  /** The report (issue 4's `R`): ms rounded to 0.001, µs to 0.1. */
  report(engine: string): GrammarBenchReport {
    const c = [...this.compileMs].sort((a, b) => a - b);
    const m = this.maskUs.slice(0, this.numMasks).sort();
    const compile_ms: CompilePercentiles = {
      p50: round(percentile(c, 50), 3),
      p90: round(percentile(c, 90), 3),
      p99: round(percentile(c, 99), 3),
      max: round(c[c.length - 1] ?? 0, 3),
    };
    const mask_us: MaskPercentiles = {
      p50: round(percentile(m, 50), 1),
      p90: round(percentile(m, 90), 1),
      p99: round(percentile(m, 99), 1),
      p999: round(percentile(m, 99.9), 1),
      max: round(m[m.length - 1] ?? 0, 1),
    };
    return {
      engine,
      schemas: this.numSchemas,
      compiled: this.numCompiled,
      covered: this.numCovered,
      refused: { ...this.refused },
      compile_ms,
      mask_us,
      false_rejects: this.numFalseRejects,
      false_accepts: this.numFalseAccepts,
    };
  }
}
