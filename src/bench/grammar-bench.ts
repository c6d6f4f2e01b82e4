/**
 * `tokenflow grammar bench`: soundness, coverage and latency of JSON Schema grammars on
 * JSONSchemaBench-style data. Each schema is compiled (or its refusal reason counted); each test
 * instance is serialised (compact, and pretty-printed when the engine's whitespace allows it),
 * tokenized with a real vocabulary and walked token by token, computing the mask at every step.
 */

import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { everyNth, type SplitReport, SplitTally, schemaFiles } from "./grammar-bench-splits.js";
import { GrammarBenchTally } from "./grammar-bench-tally.js";

export { GrammarBenchTally, percentile } from "./grammar-bench-tally.js";

import type { BenchEngine, BenchGrammar, BenchSchema, GrammarBenchReport } from "./grammar-bench-types.js";

/** One serialised, tokenized test instance. */
export interface BenchInstance {
  readonly valid: boolean;
  /** Pretty-printed (indented) rather than compact. */
  readonly pretty: boolean;
  readonly ids: readonly number[];
}

/**
 * Reads a JSONL file of schemas, or every `.jsonl` file of a directory (each file keeping every
 * `stride`-th schema: a documented sample); throws InvalidArgumentError naming a bad line.
 */
export async function readBenchSchemas(
  path: string,
  limit = Number.POSITIVE_INFINITY,
  stride = 1,
): Promise<BenchSchema[]> {
  const out: BenchSchema[] = [];
  for (const file of await schemaFiles(path)) {
    if (out.length >= limit) break;
    out.push(...everyNth(await readSchemaFile(file), stride).slice(0, limit - out.length));
  }
  return out;
}

/**
 * A schema kept as its JSON line and parsed again on each access: the harness holds hundreds of
 * schemas and their instances, and as object graphs they would add tens of milliseconds of
 * marking to every full collection of the process whose engines it measures.
 */
function schemaFromLine(id: string, split: string, line: string): BenchSchema {
  const parse = () => JSON.parse(line) as BenchSchema;
  return {
    id,
    split,
    get schema() {
      return parse().schema;
    },
    get tests() {
      return parse().tests;
    },
  };
}

async function readSchemaFile(path: string): Promise<BenchSchema[]> {
  const text = await readFile(path, "utf8");
  const out: BenchSchema[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    let row: Partial<BenchSchema>;
    try {
      row = JSON.parse(line);
    } catch {
      throw new InvalidArgumentError(`${path}:${i + 1}: not valid JSON`, "schemas");
    }
    if (row.schema === undefined || !Array.isArray(row.tests))
      throw new InvalidArgumentError(`${path}:${i + 1}: needs "schema" and "tests"`, "schemas");
    const id = String(row.id ?? i + 1);
    const split = String(row.split ?? basename(path).replace(/\.jsonl$/, ""));
    // A copy: `split` would otherwise slice the whole file's text and keep it alive.
    out.push(schemaFromLine(id, split, ` ${line}`.slice(1)));
  }
  return out;
}

const encoder = new TextEncoder();

/**
 * Deepest indentation (spaces after a newline) of a pretty-printed instance that is walked: our
 * flexible whitespace mode bounds indentation at 20 (`maxIndent`); deeper pretty forms are left
 * out for both engines so that both walk the same token sequences.
 */
export const MAX_PRETTY_INDENT = 20;

function maxIndent(text: string): number {
  let most = 0;
  for (const m of text.matchAll(/\n( *)/g)) most = Math.max(most, (m[1] ?? "").length);
  return most;
}

function tokenizesExactly(tokenizer: Tokenizer, ids: readonly number[], text: string): boolean {
  const want = encoder.encode(text);
  let at = 0;
  for (const id of ids) {
    for (const b of tokenizer.info.tokenBytes(id)) if (want[at++] !== b) return false;
  }
  return at === want.length;
}

/**
 * The token sequences of a schema's tests. Serialisations whose tokens do not spell the text
 * exactly (an SPM space prefix) are left out and counted in `numUntokenizable`.
 */
export function benchInstances(
  tokenizer: Tokenizer,
  schema: BenchSchema,
  counters: { numUntokenizable: number },
): BenchInstance[] {
  const out: BenchInstance[] = [];
  for (const t of schema.tests) {
    const compact = JSON.stringify(t.data);
    if (compact === undefined) continue;
    const pretty = JSON.stringify(t.data, null, 2);
    const texts: [string, boolean][] = [[compact, false]];
    if (pretty !== compact && maxIndent(pretty) <= MAX_PRETTY_INDENT) texts.push([pretty, true]);
    for (const [text, isPretty] of texts) {
      const ids = tokenizer.encode(text);
      if (!tokenizesExactly(tokenizer, ids, text)) {
        counters.numUntokenizable++;
        continue;
      }
      out.push({ valid: t.valid === true, pretty: isPretty, ids });
    }
  }
  return out;
}

/** A schema's walks ran past their time budget (checked between masks). */
class WalkTimeout extends Error {}

/** Walks one instance, timing every mask; true = every token allowed and the end complete. */
async function walkInstance(
  grammar: BenchGrammar,
  ids: readonly number[],
  tally: GrammarBenchTally,
  deadlineMs: number,
): Promise<boolean> {
  const w = await grammar.newWalker();
  try {
    for (let i = 0; i <= ids.length; i++) {
      if (performance.now() > deadlineMs) throw new WalkTimeout();
      const t0 = process.hrtime.bigint();
      const pending = w.fillMask();
      if (pending) await pending;
      tally.addMaskUs(Number(process.hrtime.bigint() - t0) / 1000);
      if (i === ids.length) return w.isCompleted();
      const id = ids[i] as number;
      if (!w.allows(id) || !w.accept(id)) return false;
    }
    return false;
  } finally {
    w.dispose();
  }
}

/**
 * Compiles `schema` with `engine` and walks its instances, adding to `tally`. Walks that run
 * past `budgetMs` (checked between masks; compiles cannot be interrupted) make the schema a
 * "timeout" refusal.
 */
export async function benchSchema(
  engine: BenchEngine,
  schema: BenchSchema,
  instances: readonly BenchInstance[],
  tally: GrammarBenchTally,
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<void> {
  tally.numSchemas++;
  const result = await engine.compile(schema.schema);
  if (!result.ok) {
    tally.refused[result.reason] = (tally.refused[result.reason] ?? 0) + 1;
    return;
  }
  const deadlineMs = performance.now() + budgetMs;
  let covered = true;
  try {
    for (const inst of instances) {
      if (inst.pretty && !result.grammar.allowsPretty) continue;
      tally.numInstances++;
      let accepted: boolean;
      try {
        accepted = await walkInstance(result.grammar, inst.ids, tally, deadlineMs);
      } catch (err) {
        if (err instanceof WalkTimeout) {
          // Too slow to serve: counted as a refusal ("timeout"), not as compiled.
          tally.refused.timeout = (tally.refused.timeout ?? 0) + 1;
          return;
        }
        // An engine that throws mid-walk rejects the instance; counted so it is not hidden.
        tally.numWalkErrors++;
        tally.lastWalkError ??= String((err as Error)?.stack ?? err);
        accepted = false;
      }
      if (inst.valid && !accepted) {
        tally.numFalseRejects++;
        covered = false;
      } else if (!inst.valid && accepted) tally.numFalseAccepts++;
    }
  } finally {
    result.grammar.dispose();
  }
  tally.numCompiled++;
  tally.compileMs.push(result.compileMs);
  if (covered) tally.numCovered++;
}

/** Options of {@link runGrammarBench}. */
export interface GrammarBenchOptions {
  readonly tokenizer: Tokenizer;
  readonly schemas: readonly BenchSchema[];
  readonly ours: BenchEngine;
  readonly peer: BenchEngine | null;
  /** Time budget of one schema's walks per engine, in ms (default: none). */
  readonly schemaBudgetMs?: number;
  /** Called after each schema (progress). */
  readonly onSchema?: (done: number, total: number) => void;
}

export type { SplitReport };

/** Result of {@link runGrammarBench}: the two reports plus counts for the text table. */
export interface GrammarBenchResult {
  readonly ours: GrammarBenchReport;
  readonly peer: GrammarBenchReport | null;
  readonly numInstances: { readonly ours: number; readonly peer: number };
  readonly numMasks: { readonly ours: number; readonly peer: number };
  readonly numUntokenizable: number;
  /** Walks that threw, per engine, and the first such error of ours. */
  readonly numWalkErrors: { readonly ours: number; readonly peer: number };
  readonly firstWalkError: string | null;
  /** Counts per split (the schemas' `split`), in first-seen order. */
  readonly splits: SplitReport;
}

/** Runs both engines over the same schemas and token sequences (schema by schema, interleaved). */
export async function runGrammarBench(opts: GrammarBenchOptions): Promise<GrammarBenchResult> {
  const ours = new GrammarBenchTally();
  const peer = new GrammarBenchTally();
  const counters = { numUntokenizable: 0 };
  const splits = new SplitTally();
  for (const [k, schema] of opts.schemas.entries()) {
    const instances = benchInstances(opts.tokenizer, schema, counters);
    await splits.around(schema.split, { ours, peer: opts.peer ? peer : null }, async () => {
      await benchSchema(opts.ours, schema, instances, ours, opts.schemaBudgetMs);
      if (opts.peer) await benchSchema(opts.peer, schema, instances, peer, opts.schemaBudgetMs);
    });
    opts.onSchema?.(k + 1, opts.schemas.length);
  }
  return {
    ours: ours.report(opts.ours.name),
    peer: opts.peer ? peer.report(opts.peer.name) : null,
    numInstances: { ours: ours.numInstances, peer: peer.numInstances },
    numMasks: { ours: ours.numMasks, peer: peer.numMasks },
    numUntokenizable: counters.numUntokenizable,
    numWalkErrors: { ours: ours.numWalkErrors, peer: peer.numWalkErrors },
    firstWalkError: ours.lastWalkError ?? peer.lastWalkError,
    splits: splits.report(),
  };
}
