/** Throughputs of one runtime, in tokens per second. */
export interface RuntimeThroughput {
  /** Prefill of one prompt of `promptTokens` tokens. */
  prefill: number;
  /** Aggregate decode with N concurrent sequences, keyed by N. */
  decode: Record<string, number>;
}

/** Workload of `tokenflow bench runtime`. */
export interface RuntimeBenchOptions {
  readonly modelPath: string;
  /** Prompt length of the prefill measurement (default 512). */
  readonly promptTokens: number;
  /** Concurrency levels of the decode measurement (default 1, 4, 16). */
  readonly concurrency: readonly number[];
  /** Decode steps timed per concurrency level. */
  readonly decodeTokens: number;
  /** Prompt length of each decoding sequence (prefilled before timing). */
  readonly decodePromptTokens: number;
  /** Compute threads for both runtimes. */
  readonly threads: number;
  /** Repetitions; each figure is the median. */
  readonly repeat: number;
  readonly seed: number;
}

/** Seeded prompt of ordinary (non-special) token ids, the same for both runtimes. */
export function benchPrompt(length: number, vocabSize: number, seed: number): number[] {
  let state = (seed * 2654435761) >>> 0;
  const lo = Math.min(1000, Math.floor(vocabSize / 4));
  const hi = Math.min(vocabSize - 1, 30000);
  return Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return lo + (state % (hi - lo));
  });
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
