import { InvalidArgumentError } from "../errors.js";
import type { ModelSpec } from "../model/model-spec.js";
import { KV_BLOCK_TOKENS, type NativeRunner, type RowSampling, type RunnerRow } from "./native-runner.js";

/** Options of {@link generateSequences}. */
export interface GenerateOptions {
  /** Tokens to generate per sequence (at most). */
  readonly maxTokens: number;
  /** Sampling of every sequence; its `seed` is offset by the sequence index. */
  readonly sampling: RowSampling;
  /** Ids that end a sequence; empty = ignore EOS. */
  readonly eogIds: ReadonlySet<number>;
  /** Largest prefill chunk per step (default: the whole prompt). */
  readonly chunkTokens?: number;
  /**
   * Output constraint: called once per sequence (its index) for a fresh matcher; absent = none.
   * Before each sampling step the matcher fills the row's mask; the sampled token is fed back.
   */
  readonly constraint?: (index: number) => SequenceConstraint;
}

/**
 * The per-sequence matcher of a constraint (GrammarMatcher fits): it fills one row of allowed
 * tokens (bit `id % 32` of word `id >> 5`) and advances by the sampled token.
 */
export interface SequenceConstraint {
  /** Writes the allowed next tokens into row `row` of `mask` (caller-owned). */
  fillNextTokenMask(mask: Int32Array, row: number): void;
  /** Advances by a sampled token; false = the token violates the constraint. */
  acceptToken(id: number): boolean;
  /** Whether an end-of-generation token was accepted (the constrained output is finished). */
  isTerminated(): boolean;
}

/** Why a sequence stopped. */
export type GenerateFinish = "eos" | "length" | "constraint_end" | "constraint_violation";

/** Result of one sequence, with the time its phases took (shared steps count for all). */
export interface GeneratedSequence {
  readonly tokens: number[];
  /** Wall time of the steps that prefilled prompts, in ms. */
  readonly prefillMs: number;
  /** Wall time of the decode steps, in ms. */
  readonly decodeMs: number;
  readonly decodeSteps: number;
  /** Why it stopped. */
  readonly finish: GenerateFinish;
}

/** KV bytes one token takes in an F16 cache of `spec`. */
export function kvBytesPerToken(spec: ModelSpec, kvDtype: "f16" | "f32" = "f16"): number {
  return spec.numLayers * 2 * spec.numKvHeads * spec.headDim * (kvDtype === "f16" ? 2 : 4);
}

/** KV pool bytes that hold `numSequences` sequences of `tokens` tokens each. */
export function kvBytesFor(spec: ModelSpec, numSequences: number, tokens: number): number {
  return numSequences * Math.ceil(tokens / KV_BLOCK_TOKENS) * KV_BLOCK_TOKENS * kvBytesPerToken(spec);
}

interface SequenceState {
  readonly prompt: readonly number[];
  readonly table: number[];
  contextLen: number;
  readonly out: number[];
  done: boolean;
  finish: GenerateFinish;
  readonly matcher: SequenceConstraint | null;
  /** The row's mask (owned here), when constrained. */
  readonly mask: Int32Array | null;
}

function samplingFor(s: SequenceState, index: number, opts: GenerateOptions): RowSampling {
  const sampling = {
    ...opts.sampling,
    seed: BigInt(opts.sampling.seed ?? 0) + BigInt(index),
    stepIndex: s.out.length,
  };
  if (!s.matcher || !s.mask) return sampling;
  // Words past the matcher's vocabulary (a padded model vocabulary) stay masked out.
  s.mask.fill(0);
  s.matcher.fillNextTokenMask(s.mask, 0);
  return { ...sampling, mask: s.mask };
}

function rowFor(s: SequenceState, index: number, opts: GenerateOptions): RunnerRow {
  const sampling = (): RowSampling => samplingFor(s, index, opts);
  if (s.contextLen < s.prompt.length) {
    const end = Math.min(s.prompt.length, s.contextLen + (opts.chunkTokens ?? s.prompt.length));
    const tokens = s.prompt.slice(s.contextLen, end);
    return {
      tokens,
      contextLen: end,
      blockTable: s.table,
      sample: end === s.prompt.length ? sampling() : null,
    };
  }
  const last = s.out[s.out.length - 1] as number;
  return {
    tokens: [last],
    contextLen: s.contextLen + 1,
    blockTable: s.table,
    sample: sampling(),
    decode: true,
  };
}

/** Feeds a sampled token to the sequence's matcher and decides whether the sequence is done. */
function advance(s: SequenceState, token: number, opts: GenerateOptions): void {
  if (s.matcher) {
    if (!s.matcher.acceptToken(token)) {
      s.done = true;
      s.finish = "constraint_violation";
      return;
    }
    if (s.matcher.isTerminated()) {
      s.done = true;
      s.finish = "constraint_end";
      return;
    }
  }
  if (opts.eogIds.has(token)) {
    s.done = true;
    s.finish = "eos";
  } else if (s.out.length >= opts.maxTokens) s.done = true;
}

/**
 * Generates from several prompts at once on one runner, one row per unfinished sequence per
 * step (continuous batching in its simplest form: prefill first, then batched decodes). The
 * runner's KV pool must hold every sequence (`kvBytesFor`).
 */
export async function generateSequences(
  runner: NativeRunner,
  prompts: readonly (readonly number[])[],
  opts: GenerateOptions,
): Promise<GeneratedSequence[]> {
  if (prompts.some((p) => p.length === 0))
    throw new InvalidArgumentError("a prompt needs at least one token", "prompt");
  let nextBlock = 0;
  const seqs: SequenceState[] = prompts.map((prompt, index) => {
    const blocks = Math.ceil((prompt.length + opts.maxTokens) / KV_BLOCK_TOKENS);
    if (nextBlock + blocks > runner.info.numBlocks) {
      throw new InvalidArgumentError(
        `the KV pool (${runner.info.numBlocks} blocks) cannot hold these sequences`,
      );
    }
    const table = Array.from({ length: blocks }, (_, i) => nextBlock + i);
    nextBlock += blocks;
    const matcher = opts.constraint ? opts.constraint(index) : null;
    const mask = matcher ? new Int32Array(Math.ceil(runner.info.vocabSize / 32)) : null;
    return {
      prompt,
      table,
      contextLen: 0,
      out: [],
      done: opts.maxTokens === 0,
      finish: "length",
      matcher,
      mask,
    };
  });
  let prefillMs = 0;
  let decodeMs = 0;
  let decodeSteps = 0;
  for (;;) {
    const active = seqs.map((s, i) => ({ s, i })).filter(({ s }) => !s.done);
    if (active.length === 0) break;
    const rows = active.map(({ s, i }) => rowFor(s, i, opts));
    const isDecode = rows.every((r) => r.decode);
    const started = performance.now();
    const result = await runner.step(rows);
    const ms = performance.now() - started;
    if (isDecode) {
      decodeMs += ms;
      decodeSteps++;
    } else prefillMs += ms;
    for (const [k, { s }] of active.entries()) {
      const row = rows[k] as RunnerRow;
      s.contextLen = row.contextLen;
      if (!row.sample) continue;
      const token = result.tokens[k] as number;
      s.out.push(token);
      advance(s, token, opts);
    }
  }
  return seqs.map((s) => ({ tokens: s.out, prefillMs, decodeMs, decodeSteps, finish: s.finish }));
}
