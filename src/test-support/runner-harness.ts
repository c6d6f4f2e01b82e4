import { KV_BLOCK_TOKENS, type NativeRunner, type RunnerRow } from "../runtime/native-runner.js";

/** Hands out distinct KV blocks (tests never free them: the pool is sized for the test). */
export class TestBlocks {
  private next = 0;

  constructor(private readonly numBlocks: number) {}

  /** A block table able to hold `tokens` tokens. */
  table(tokens: number): number[] {
    const n = Math.ceil(tokens / KV_BLOCK_TOKENS);
    if (this.next + n > this.numBlocks) throw new Error("test KV pool exhausted");
    const out = Array.from({ length: n }, (_, i) => this.next + i);
    this.next += n;
    return out;
  }
}

/** One request as tests drive it. */
export interface TestSequence {
  readonly prompt: readonly number[];
  readonly table: readonly number[];
  /** Tokens in the KV cache so far. */
  contextLen: number;
  /** Greedy tokens generated so far. */
  readonly generated: number[];
  /** Copies of the raw logits behind each generated token. */
  readonly logits: Float32Array[];
}

/** A new sequence with room for its prompt plus `maxNew` tokens. */
export function newSequence(blocks: TestBlocks, prompt: readonly number[], maxNew: number): TestSequence {
  return { prompt, table: blocks.table(prompt.length + maxNew), contextLen: 0, generated: [], logits: [] };
}

/** The row that advances `seq` by up to `chunk` prompt tokens, or by one decode token. */
export function nextRow(seq: TestSequence, chunk = Number.POSITIVE_INFINITY): RunnerRow {
  if (seq.contextLen < seq.prompt.length) {
    const tokens = seq.prompt.slice(seq.contextLen, Math.min(seq.prompt.length, seq.contextLen + chunk));
    const done = seq.contextLen + tokens.length === seq.prompt.length;
    return {
      tokens,
      contextLen: seq.contextLen + tokens.length,
      blockTable: seq.table,
      sample: done ? {} : null,
    };
  }
  const last = seq.generated[seq.generated.length - 1];
  if (last === undefined) throw new Error("sequence has neither prompt left nor a generated token");
  return { tokens: [last], contextLen: seq.contextLen + 1, blockTable: seq.table, sample: {}, decode: true };
}

/** Runs one step over `seqs` (one row each) and records their greedy tokens and logits. */
export async function stepSequences(
  runner: NativeRunner,
  seqs: readonly TestSequence[],
  chunk?: number,
): Promise<void> {
  const rows = seqs.map((s) => nextRow(s, chunk));
  const out = await runner.step(rows, { returnLogits: true });
  const vocab = runner.info.vocabSize;
  let sampled = 0;
  for (const [i, seq] of seqs.entries()) {
    const row = rows[i] as RunnerRow;
    seq.contextLen = row.contextLen;
    if (!row.sample) continue;
    const logits = out.logits as Float32Array;
    seq.logits.push(logits.slice(sampled * vocab, (sampled + 1) * vocab));
    seq.generated.push(out.tokens[i] as number);
    sampled++;
  }
}

/** Greedy generation of one sequence alone: prefill in chunks of `chunk` tokens, then decode. */
export async function generateAlone(
  runner: NativeRunner,
  blocks: TestBlocks,
  prompt: readonly number[],
  steps: number,
  chunk?: number,
): Promise<TestSequence> {
  const seq = newSequence(blocks, prompt, steps);
  while (seq.generated.length < steps) await stepSequences(runner, [seq], chunk);
  return seq;
}

/** Largest minus second-largest value of a row. */
export function topTwoMargin(logits: Float32Array): number {
  let a = Number.NEGATIVE_INFINITY;
  let b = Number.NEGATIVE_INFINITY;
  for (const v of logits) {
    if (v > a) {
      b = a;
      a = v;
    } else if (v > b) b = v;
  }
  return a - b;
}

/** Whether two rows of logits are bit-identical. */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
