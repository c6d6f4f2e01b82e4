/**
 * The TokenFlow scheduler's parameters, with their defaults, in one place. The paper names
 * several of them without values (see ../shared/papers/tokenflow.md §5.8 and §9); each default
 * says where it comes from.
 */
export interface TokenFlowParams {
  /** Δt: how often the scheduling pass runs (ms). Paper: 0.5–1.5 s studied, shorter slightly better. */
  readonly scheduleIntervalMs: number;
  /**
   * μ: a request may be paused only if its buffer covers μ × (evict + load + Δt). Paper: 1 (agile)
   * to 20 (cautious) studied; 2 is the authors' later port's default.
   */
  readonly bufferSafetyFactor: number;
  /** Extra time kept when resuming: a paused request comes back when its buffer ≤ load + Δt + this (ms). */
  readonly resumeMarginMs: number;
  /** λ of Eq. 5: how far the working-set target moves from ⌊M/β⌋ toward the running count (0..1). */
  readonly workingSetAdjustRate: number;
  /** Reader rate (tok/s) of requests that state none (`--default-consumption-rate`). */
  readonly defaultConsumptionRateTokPerS: number;
  /** Fraction of (measured store bandwidth × expected step time) written through per step. */
  readonly writeThroughFraction: number;
  /** Copy bandwidth assumed until one is measured (bytes/ms each way). */
  readonly initialCopyBytesPerMs: number;
  /** Prefill time per token assumed until one is measured (ms), for recompute costs. */
  readonly initialPrefillMsPerToken: number;
  /** Decode step time assumed until one is measured (ms). */
  readonly initialDecodeStepMs: number;
  /** Overload: fall back to FCFS when demanded reading rates exceed this fraction of capacity. */
  readonly overloadThreshold: number;
  /** Pause to the host tier (swap / hybrid) when one exists; false = recompute only (ablation). */
  readonly useHostTier: boolean;
  /** Let loads run while evictions are in flight; false = loads wait for the store queue to drain (ablation). */
  readonly overlapLoadEvict: boolean;
}

/** Defaults; see each field. */
export const DEFAULT_TOKENFLOW_PARAMS: TokenFlowParams = {
  scheduleIntervalMs: 250,
  bufferSafetyFactor: 2,
  resumeMarginMs: 250,
  workingSetAdjustRate: 0.5,
  defaultConsumptionRateTokPerS: 20,
  writeThroughFraction: 1,
  // 10 GB/s: a conservative host memcpy / PCIe figure until the first copy is measured.
  initialCopyBytesPerMs: 10e6,
  initialPrefillMsPerToken: 0.5,
  initialDecodeStepMs: 30,
  overloadThreshold: 1,
  useHostTier: true,
  overlapLoadEvict: true,
};
