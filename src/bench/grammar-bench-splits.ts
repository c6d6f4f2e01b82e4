/**
 * Per-split accounting for `tokenflow grammar bench` (JSONSchemaBench files are splits such as
 * `Github_easy`), and reading a whole directory of split files as one documented sample: every
 * `stride`-th schema of each file.
 */

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { GrammarBenchTally } from "./grammar-bench.js";
import type { BenchSchema } from "./grammar-bench-types.js";

/** Counts of one split for one engine. */
export interface SplitCounts {
  readonly schemas: number;
  readonly compiled: number;
  readonly covered: number;
  readonly false_rejects: number;
  readonly false_accepts: number;
}

/** Per split (in first-seen order): our counts and the peer's (null without a peer). */
export type SplitReport = Record<string, { readonly ours: SplitCounts; readonly peer: SplitCounts | null }>;

function snapshot(t: GrammarBenchTally): SplitCounts {
  return {
    schemas: t.numSchemas,
    compiled: t.numCompiled,
    covered: t.numCovered,
    false_rejects: t.numFalseRejects,
    false_accepts: t.numFalseAccepts,
  };
}

function add(into: SplitCounts | undefined, before: SplitCounts, after: SplitCounts): SplitCounts {
  const d = (k: keyof SplitCounts) => (into?.[k] ?? 0) + after[k] - before[k];
  return {
    schemas: d("schemas"),
    compiled: d("compiled"),
    covered: d("covered"),
    false_rejects: d("false_rejects"),
    false_accepts: d("false_accepts"),
  };
}

/** Accumulates per-split counts from the engine tallies around each schema. */
export class SplitTally {
  private readonly ours = new Map<string, SplitCounts>();
  private readonly peer = new Map<string, SplitCounts>();

  /** Runs `bench` (one schema on both engines) and adds its counts to `split`. */
  async around(
    split: string,
    tallies: { ours: GrammarBenchTally; peer: GrammarBenchTally | null },
    bench: () => Promise<void>,
  ): Promise<void> {
    const before = snapshot(tallies.ours);
    const beforePeer = tallies.peer ? snapshot(tallies.peer) : null;
    await bench();
    this.ours.set(split, add(this.ours.get(split), before, snapshot(tallies.ours)));
    if (tallies.peer && beforePeer)
      this.peer.set(split, add(this.peer.get(split), beforePeer, snapshot(tallies.peer)));
  }

  /** The report (splits in first-seen order). */
  report(): SplitReport {
    const out: Record<string, { ours: SplitCounts; peer: SplitCounts | null }> = {};
    for (const [split, ours] of this.ours) out[split] = { ours, peer: this.peer.get(split) ?? null };
    return out;
  }
}

/** The `.jsonl` files to read for `path`: the file itself, or every one in the directory, sorted. */
export async function schemaFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith(".jsonl")).sort();
  return names.map((n) => join(path, n));
}

/** Keeps every `stride`-th schema (the first, then each `stride` later), per file. */
export function everyNth(schemas: readonly BenchSchema[], stride: number): BenchSchema[] {
  return stride <= 1 ? [...schemas] : schemas.filter((_, i) => i % stride === 0);
}
