/**
 * Sampling of the simulated runtime: a token per row from a cheap hash, never a vocab-sized
 * array. Greedy rows (temperature 0) depend on the context only; sampled rows also on their
 * seed and stepIndex. The end-of-generation id is never drawn unless a mask allows nothing else.
 */
import { MAX_TOP_LOGPROBS, type RowSampling } from "./native-runner.js";
import { mixHash } from "./sim-kv-tier.js";
import { SIM_EOG_ID } from "./sim-tokenizer.js";

/** The step's output arrays a row writes into (views owned by the runtime). */
export interface SimSampleOutput {
  readonly tokens: Int32Array;
  readonly logprobs: Float32Array;
  readonly topIds: Int32Array;
  readonly topLogprobs: Float32Array;
}

/** What one row's draw depends on besides its sampling settings. */
export interface SimDraw {
  /** Hash of the row's context as read back from the KV pool. */
  readonly contextHash: number;
  readonly contextLen: number;
  /** The runtime's seed. */
  readonly runtimeSeed: number;
  readonly vocabSize: number;
}

/**
 * Samples row `r`: writes its token (-1 when `mask` allows nothing), a finite log-probability
 * (the i-th best alternative has −(i + 1)·ln 2 minus a small hashed offset, so probabilities sum
 * below 1) and `numTopLogprobs` alternatives, allowed ones only under a mask.
 */
export function sampleSimRow(
  draw: SimDraw,
  s: RowSampling,
  mask: Int32Array | null,
  r: number,
  out: SimSampleOutput,
): void {
  const h = drawHash(draw, s);
  const v = draw.vocabSize;
  const first = 1 + ((h >>> 0) % (v - 1)); // ids 1..v-1: never SIM_EOG_ID (0)
  const token = mask ? nextAllowed(mask, first, v) : first;
  if (token < 0) return;
  const offset = ((mixHash(h, 0x27d4eb2f) & 0xffff) / 0x10000) * 0.25;
  out.tokens[r] = token;
  out.logprobs[r] = -Math.LN2 - offset;
  const k = Math.min(s.numTopLogprobs ?? 0, MAX_TOP_LOGPROBS);
  let id = token;
  for (let i = 0; i < k; i++) {
    if (i > 0) {
      id = mask ? nextAllowed(mask, id + 1, v) : 1 + (id % (v - 1));
      if (id === token || id < 0 || id === SIM_EOG_ID) break;
    }
    out.topIds[r * MAX_TOP_LOGPROBS + i] = id;
    out.topLogprobs[r * MAX_TOP_LOGPROBS + i] = -(i + 1) * Math.LN2 - offset;
  }
}

function drawHash(draw: SimDraw, s: RowSampling): number {
  let h = mixHash(mixHash(draw.contextHash, draw.runtimeSeed), draw.contextLen);
  if ((s.temperature ?? 0) > 0) {
    const raw = s.seed ?? 0;
    const seed = typeof raw === "bigint" ? raw : BigInt(Math.trunc(raw));
    h = mixHash(h, Number(seed & 0xffffffffn));
    h = mixHash(h, Number((seed >> 32n) & 0xffffffffn));
    h = mixHash(h, s.stepIndex ?? 0);
  }
  return h;
}

/**
 * The first id at or after `from` (wrapping, `from` in 1..v-1) that `mask` allows, skipping the
 * end-of-generation id; that id when it is the only one allowed; -1 when none is.
 */
export function nextAllowed(mask: Int32Array, from: number, v: number): number {
  const id = firstSet(mask, from >= v ? 1 : from, v);
  if (id >= 0) return id;
  const wrapped = firstSet(mask, 1, Math.min(from, v));
  if (wrapped >= 0) return wrapped;
  return firstSet(mask, SIM_EOG_ID, SIM_EOG_ID + 1);
}

/** The first id in [from, end) whose bit is set in `mask`, or -1 (words past its end read 0). */
function firstSet(mask: Int32Array, from: number, end: number): number {
  let id = from;
  while (id < end) {
    const w = id >>> 5;
    const bits = ((mask[w] ?? 0) >>> (id & 31)) << (id & 31);
    if (bits !== 0) {
      const found = (w << 5) + (31 - Math.clz32(bits & -bits));
      return found < end ? found : -1;
    }
    id = (w + 1) << 5;
  }
  return -1;
}
