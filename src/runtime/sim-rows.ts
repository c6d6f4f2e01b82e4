/**
 * Row handling of the simulated runtime: validation, KV writes and the context hash a row samples
 * from, in one pass over each row's blocks (the hot path: 256 rows of thousands of tokens a step).
 */
import { InvalidArgumentError } from "../errors.js";
import type { RuntimeRow } from "./runtime.js";
import { CONTEXT_SEED, foldHash, type SimKvTier } from "./sim-kv-tier.js";

/** What row checks need to know besides the row. */
export interface SimRowLimits {
  readonly device: SimKvTier;
  readonly vocabSize: number;
  /** Whether a device block may not be used (a load into it is in flight); null = none is. */
  readonly isBlocked: ((block: number) => boolean) | null;
}

/**
 * Validates row `r` (token ids, context length, block table: ids in range, not loading, prefix
 * written) and returns the hash of its prefix blocks that this step does not write (the start
 * of its context hash). Throws InvalidArgumentError.
 */
export function checkRow(row: RuntimeRow, r: number, limits: SimRowLimits): number {
  const { device, isBlocked } = limits;
  const t = row.tokens.length;
  const ctx = row.contextLen;
  if (t < 1 || !Number.isInteger(ctx) || ctx < t)
    throw new InvalidArgumentError(`row ${r}: needs 1..contextLen tokens (${t} tokens, contextLen ${ctx})`);
  const bt = device.blockTokens;
  const numBlocks = Math.ceil(ctx / bt);
  const table = row.blockTable;
  if (table.length < numBlocks)
    throw new InvalidArgumentError(`row ${r}: block table has ${table.length} of ${numBlocks} blocks`);
  const start = ctx - t;
  const untouched = Math.floor(start / bt); // blocks wholly before this step's tokens
  let h = CONTEXT_SEED;
  for (let i = 0; i < numBlocks; i++) {
    const b = table[i] as number;
    if (!(b >>> 0 === b && b < device.numBlocks))
      throw new InvalidArgumentError(`row ${r}: block id ${b} out of range [0, ${device.numBlocks})`);
    if (isBlocked?.(b)) throw new InvalidArgumentError(`row ${r}: block ${b} is still loading`);
    if (i < untouched) {
      const s = device.slotHash(b, bt - 1);
      if (s === 0) throw neverWritten(r, i * bt + bt - 1);
      h = foldHash(h, s);
    }
  }
  if (start % bt !== 0 && device.slotHash(table[untouched] as number, (start - 1) % bt) === 0)
    throw neverWritten(r, start - 1);
  for (let i = 0; i < t; i++) {
    const id = row.tokens[i] as number;
    if (!(id >>> 0 === id && id < limits.vocabSize))
      throw new InvalidArgumentError(`row ${r}: token ${id} out of range [0, ${limits.vocabSize})`);
  }
  return h;
}

function neverWritten(r: number, pos: number): InvalidArgumentError {
  return new InvalidArgumentError(`row ${r}: KV of position ${pos} was never written`);
}

/** Writes a (checked) row's tokens into its KV slots. */
export function writeRow(device: SimKvTier, row: RuntimeRow): void {
  const bt = device.blockTokens;
  const start = row.contextLen - row.tokens.length;
  for (let i = 0; i < row.tokens.length; i++) {
    const pos = start + i;
    device.write(row.blockTable[Math.floor(pos / bt)] as number, pos % bt, row.tokens[i] as number);
  }
}

/**
 * The row's context hash after its writes, continuing `prefixHash` from {@link checkRow}:
 * independent of block ids and of how the context was chunked.
 */
export function contextHash(device: SimKvTier, row: RuntimeRow, prefixHash: number): number {
  const bt = device.blockTokens;
  const ctx = row.contextLen;
  const numBlocks = Math.ceil(ctx / bt);
  let h = prefixHash;
  for (let i = Math.floor((ctx - row.tokens.length) / bt); i < numBlocks; i++) {
    const offset = i === numBlocks - 1 ? (ctx - 1) % bt : bt - 1;
    h = foldHash(h, device.slotHash(row.blockTable[i] as number, offset));
  }
  return h;
}
