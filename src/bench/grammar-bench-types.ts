/**
 * Shapes shared by `tokenflow grammar bench` and its engine adapters (ours, web-xgrammar): an
 * engine compiles a schema into a grammar; a grammar makes walkers; a walker computes one mask
 * per step and accepts tokens.
 */

/** One JSONSchemaBench line: `{id, split, schema, tests:[{description, valid, data}]}`. */
export interface BenchSchema {
  readonly id: string;
  readonly split: string;
  readonly schema: unknown;
  readonly tests: readonly { readonly valid: boolean; readonly data: unknown }[];
}

/** The per-instance matching state of one engine (one request's matcher). */
export interface BenchWalker {
  /** Computes the next-token mask (the timed operation); sync for ours, async for the peer. */
  fillMask(): undefined | Promise<void>;
  /** Whether the mask last filled allows token `id`. */
  allows(id: number): boolean;
  /** Advances by token `id`; false = rejected. */
  accept(id: number): boolean;
  /** Whether the output so far is complete (end-of-generation allowed by the last mask). */
  isCompleted(): boolean;
  dispose(): void;
}

/** A compiled schema of one engine. */
export interface BenchGrammar {
  /** Whether pretty-printed (indented) instances belong to the language (whitespace mode). */
  readonly allowsPretty: boolean;
  newWalker(): Promise<BenchWalker>;
  dispose(): void;
}

/** Outcome of compiling one schema: a grammar, or the refusal's reason keyword. */
export type BenchCompileResult =
  | { readonly ok: true; readonly grammar: BenchGrammar; readonly compileMs: number }
  | { readonly ok: false; readonly reason: string };

/** A grammar engine under benchmark. */
export interface BenchEngine {
  /** Name reported as `engine`. */
  readonly name: string;
  compile(schema: unknown): Promise<BenchCompileResult>;
  dispose(): void;
}

/** Percentiles of compile time, in ms. */
export interface CompilePercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Percentiles of per-step mask time, in µs. */
export interface MaskPercentiles extends CompilePercentiles {
  readonly p999: number;
}

/** The measures of one engine (issue 4's `R`). */
export interface GrammarBenchReport {
  readonly engine: string;
  readonly schemas: number;
  readonly compiled: number;
  readonly covered: number;
  /** Refusal reason (keyword) → number of schemas. */
  readonly refused: Record<string, number>;
  readonly compile_ms: CompilePercentiles;
  readonly mask_us: MaskPercentiles;
  /** Valid instances (serialisations) whose next token was masked out, or that ended incomplete. */
  readonly false_rejects: number;
  /** Invalid instances accepted to the end and complete. */
  readonly false_accepts: number;
}
