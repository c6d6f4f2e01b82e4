import { InvalidArgumentError, UnsupportedError } from "../errors.js";
import { MAX_TOP_LOGPROBS, type RowSampling } from "./native-runner.js";
import type {
  Clock,
  KvTransfer,
  Runtime,
  RuntimeInfo,
  RuntimeRow,
  RuntimeStepInput,
  RuntimeStepOutput,
} from "./runtime.js";
import { systemClock } from "./runtime.js";

/** Options of {@link MockRuntime}. */
export interface MockRuntimeOptions {
  readonly numBlocks: number;
  /** Default 16. */
  readonly blockTokens?: number;
  /** Default 128. */
  readonly vocabSize?: number;
  /** Default 4096. */
  readonly maxBatchTokens?: number;
  /** Time source for simulated step time (default: the system clock). */
  readonly clock?: Clock;
  /** Simulated time of one step in ms (default 0: instant). */
  readonly stepMs?: (numTokens: number, numRows: number) => number;
  /**
   * Scripted model: given a row's whole context (read back through its block table), the token
   * that gets a dominant logit, or `undefined` for plain hashed logits.
   */
  readonly script?: (context: readonly number[]) => number | undefined;
  /** Blocks of a host KV tier (default 0: none, transfers are refused). Copies complete within the step that issues them. */
  readonly numHostBlocks?: number;
}

function mix(h: number, v: number): number {
  let x = Math.imul(h ^ v, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca77);
  return (x ^ (x >>> 13)) >>> 0;
}

/**
 * A deterministic fake model for fast engine and server tests. It keeps a token per KV slot, so
 * each row's logits are a hash of the context it reads back through its block table (a wrong
 * block table, a chunking or preemption bug changes the output, as with a real model). Sampling
 * follows the native stages that matter to the engine: mask, bias, penalties, greedy or a draw
 * seeded by (seed, stepIndex), top-k, top logprobs.
 */
export class MockRuntime implements Runtime {
  readonly kind = "mock";
  readonly info: RuntimeInfo;
  /** Number of steps run so far. */
  numSteps = 0;
  /** Token ids stored per KV slot (-1 = never written). */
  private readonly slots: Int32Array;
  /** The same for the host tier. */
  private readonly hostSlots: Int32Array;
  /** Blocks copied so far per direction (tests). */
  readonly numBlocksCopied = { store: 0, load: 0 };
  private readonly clock: Clock;

  constructor(private readonly options: MockRuntimeOptions) {
    this.info = {
      numBlocks: options.numBlocks,
      blockTokens: options.blockTokens ?? 16,
      blockBytes: options.numHostBlocks ? 1024 : 0,
      vocabSize: options.vocabSize ?? 128,
      maxBatchTokens: options.maxBatchTokens ?? 4096,
      numHostBlocks: options.numHostBlocks ?? 0,
    };
    this.slots = new Int32Array(this.info.numBlocks * this.info.blockTokens).fill(-1);
    this.hostSlots = new Int32Array((options.numHostBlocks ?? 0) * this.info.blockTokens).fill(-1);
    this.clock = options.clock ?? systemClock;
  }

  async step(input: RuntimeStepInput): Promise<RuntimeStepOutput> {
    if (input.transfers?.length && !this.info.numHostBlocks)
      return Promise.reject(new UnsupportedError(`the ${this.kind} runtime has no host KV tier`));
    const completedTransferIds = this.copy(input.transfers ?? []);
    const rows = input.rows;
    if (rows.length === 0) throw new InvalidArgumentError("a step needs at least one row");
    const numTokens = rows.reduce((s, r) => s + r.tokens.length, 0);
    if (numTokens > this.info.maxBatchTokens)
      throw new InvalidArgumentError(`step of ${numTokens} tokens exceeds ${this.info.maxBatchTokens}`);
    const n = rows.length;
    const out = {
      tokens: new Int32Array(n).fill(-1),
      logprobs: new Float32Array(n).fill(Number.NaN),
      topIds: new Int32Array(n * MAX_TOP_LOGPROBS).fill(-1),
      topLogprobs: new Float32Array(n * MAX_TOP_LOGPROBS).fill(Number.NaN),
      forwardMs: 0,
      sampleMs: 0,
    };
    for (const row of rows) this.writeKv(row);
    const deferred = this.deferredMasks(input);
    for (const [r, row] of rows.entries()) {
      if (!row.sample) continue;
      const mask = row.sample.mask ?? deferred?.maskOf(r) ?? null;
      this.sampleRow(row, { ...row.sample, mask }, r, out);
    }
    this.numSteps++;
    const ms = this.options.stepMs?.(numTokens, n) ?? 0;
    if (ms > 0) await this.clock.sleep(ms);
    out.forwardMs = ms;
    return completedTransferIds.length > 0 ? { ...out, completedTransferIds } : out;
  }

  /** Runs `transfers` at once and returns their ids (present only with a host tier). */
  async flushTransfers(transfers: readonly KvTransfer[] = []): Promise<readonly number[]> {
    if (!this.info.numHostBlocks) throw new UnsupportedError(`the ${this.kind} runtime has no host KV tier`);
    return this.copy(transfers);
  }

  dispose(): void {}

  /** Copies each transfer's blocks between the tiers (before the step's rows write anything). */
  private copy(transfers: readonly KvTransfer[]): number[] {
    const bt = this.info.blockTokens;
    for (const t of transfers) {
      if (t.deviceBlocks.length !== t.hostBlocks.length || t.deviceBlocks.length === 0)
        throw new InvalidArgumentError(`transfer ${t.id}: block lists must be non-empty and of equal length`);
      for (const [i, d] of t.deviceBlocks.entries()) {
        const h = t.hostBlocks[i] as number;
        if (!(d >= 0 && d < this.info.numBlocks && h >= 0 && h < (this.info.numHostBlocks ?? 0)))
          throw new InvalidArgumentError(`transfer ${t.id}: block out of range`);
        const [from, to, src, dst] =
          t.direction === "store" ? [this.slots, this.hostSlots, d, h] : [this.hostSlots, this.slots, h, d];
        to.set(from.subarray(src * bt, (src + 1) * bt), dst * bt);
      }
      this.numBlocksCopied[t.direction] += t.deviceBlocks.length;
    }
    return transfers.map((t) => t.id);
  }

  /** Runs `input.fillMasks` (as a real runtime would, during its forward pass). */
  private deferredMasks(input: RuntimeStepInput): { maskOf(r: number): Int32Array | null } | null {
    if (!input.fillMasks) return null;
    const words = Math.ceil(this.info.vocabSize / 32);
    const n = input.rows.length;
    const mask = new Int32Array(n * words);
    const hasMask = new Uint8Array(n);
    input.fillMasks(mask, hasMask);
    return { maskOf: (r) => (hasMask[r] ? mask.subarray(r * words, (r + 1) * words) : null) };
  }

  private slotOf(row: RuntimeRow, pos: number): number {
    const bt = this.info.blockTokens;
    const block = row.blockTable[Math.floor(pos / bt)];
    if (block === undefined || block < 0 || block >= this.info.numBlocks)
      throw new InvalidArgumentError(`position ${pos} has no valid KV block`);
    return block * bt + (pos % bt);
  }

  private writeKv(row: RuntimeRow): void {
    const start = row.contextLen - row.tokens.length;
    for (let i = 0; i < row.tokens.length; i++) {
      const id = row.tokens[i] as number;
      if (!(id >= 0 && id < this.info.vocabSize)) throw new InvalidArgumentError(`token ${id} out of range`);
      this.slots[this.slotOf(row, start + i)] = id;
    }
  }

  private context(row: RuntimeRow): number[] {
    const ctx: number[] = [];
    for (let p = 0; p < row.contextLen; p++) {
      const id = this.slots[this.slotOf(row, p)] as number;
      if (id < 0) throw new InvalidArgumentError(`KV slot of position ${p} was never written`);
      ctx.push(id);
    }
    return ctx;
  }

  private logits(ctx: readonly number[], s: RowSampling): Float64Array {
    const v = this.info.vocabSize;
    let h = 0x1234567;
    for (const id of ctx) h = mix(h, id + 1);
    h = mix(h, ctx.length);
    const logits = new Float64Array(v);
    for (let j = 0; j < v; j++) logits[j] = ((mix(h, j) & 0xffff) / 0x10000) * 6 - 3;
    const forced = this.options.script?.(ctx);
    if (forced !== undefined) logits[forced] = (logits[forced] ?? 0) + 100;
    for (const [id, b] of s.logitBias ?? []) if (id >= 0 && id < v) logits[id] = (logits[id] ?? 0) + b;
    applyPenalties(logits, s);
    if (s.mask)
      for (let j = 0; j < v; j++)
        if ((((s.mask[j >>> 5] as number) >>> (j & 31)) & 1) === 0) logits[j] = Number.NEGATIVE_INFINITY;
    return logits;
  }

  private sampleRow(row: RuntimeRow, s: RowSampling, r: number, out: MutableOutput): void {
    const logits = this.logits(this.context(row), s);
    const logZ = logSumExp(logits);
    if (logZ === Number.NEGATIVE_INFINITY) return; // the mask allowed nothing: token stays -1
    const order = Array.from(logits.keys()).sort(
      (a, b) => (logits[b] as number) - (logits[a] as number) || a - b,
    );
    let token = order[0] as number;
    const t = s.temperature ?? 0;
    if (t > 0) token = drawToken(logits, order, t, s);
    out.tokens[r] = token;
    out.logprobs[r] = (logits[token] as number) - logZ;
    const k = Math.min(s.numTopLogprobs ?? 0, MAX_TOP_LOGPROBS);
    for (let i = 0; i < k; i++) {
      const id = order[i] as number;
      if (logits[id] === Number.NEGATIVE_INFINITY) break;
      out.topIds[r * MAX_TOP_LOGPROBS + i] = id;
      out.topLogprobs[r * MAX_TOP_LOGPROBS + i] = (logits[id] as number) - logZ;
    }
  }
}

type MutableOutput = {
  tokens: Int32Array;
  logprobs: Float32Array;
  topIds: Int32Array;
  topLogprobs: Float32Array;
};

function applyPenalties(logits: Float64Array, s: RowSampling): void {
  const counts = new Map<number, number>();
  for (const id of Array.from(s.history ?? [])) counts.set(id, (counts.get(id) ?? 0) + 1);
  const rep = s.repetitionPenalty ?? 1;
  for (const [id, c] of counts) {
    let x = logits[id];
    if (x === undefined) continue;
    if (rep !== 1) x = x > 0 ? x / rep : x * rep;
    x -= (s.presencePenalty ?? 0) + (s.frequencyPenalty ?? 0) * c;
    logits[id] = x;
  }
}

function logSumExp(xs: Float64Array): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > m) m = x;
  if (m === Number.NEGATIVE_INFINITY) return m;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** A draw that depends only on (seed, stepIndex) and the logits, like the native sampler. */
function drawToken(logits: Float64Array, order: readonly number[], t: number, s: RowSampling): number {
  const k = s.topK && s.topK > 0 ? Math.min(s.topK, order.length) : order.length;
  const top = logits[order[0] as number] as number;
  const weights = order.slice(0, k).map((id) => Math.exp(((logits[id] as number) - top) / t));
  const total = weights.reduce((a, b) => a + b, 0);
  const seed = Number(BigInt(s.seed ?? 0) & 0xffffffffn);
  const u = (mix(mix(seed, s.stepIndex ?? 0), 0x5bd1e995) / 2 ** 32) * total;
  let acc = 0;
  for (const [i, w] of weights.entries()) {
    acc += w;
    if (u < acc) return order[i] as number;
  }
  return order[k - 1] as number;
}
