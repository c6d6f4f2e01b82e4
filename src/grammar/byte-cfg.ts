/**
 * The byte-level context-free grammar every automaton is built from. Terminals are sets of
 * bytes (a 256-bit set each); nonterminals are small integers. A symbol is one number:
 * `sym >= 0` is nonterminal `sym`, `sym < 0` is terminal `~sym` (i.e. `-sym - 1`).
 */

/** A set of bytes: bit `b % 32` of word `b >> 5` set = byte `b` is in the set. Length 8. */
export type ByteSet = Uint32Array;

/** One production `lhs → rhs`. `rhs` is empty for an ε-production. */
export interface Production {
  readonly lhs: number;
  readonly rhs: readonly number[];
}

/** A byte-level CFG. Immutable once built; all arrays are owned by the grammar. */
export interface ByteCfg {
  /** Name of every nonterminal (index = id); helpers made by lowering read like `value#star`. */
  readonly names: readonly string[];
  /** The start nonterminal. */
  readonly start: number;
  /** All productions, grouped by lhs in ascending order (see {@link prodsByLhs}). */
  readonly prods: readonly Production[];
  /** Byte set of every terminal (index = terminal id). */
  readonly terminals: readonly ByteSet[];
}

/** Limits on grammar size; exceeding one raises a GrammarError that names the limit. */
export interface CfgLimits {
  /** Most productions after lowering. */
  readonly maxProductions: number;
  /** Most symbols over all right-hand sides. */
  readonly maxSymbols: number;
  /** Largest repetition bound `{m,n}` accepted (m and n). */
  readonly maxRepeat: number;
}

/** Defaults: generous for real JSON schemas, small enough to bound compile time and memory. */
export const DEFAULT_CFG_LIMITS: CfgLimits = {
  maxProductions: 200_000,
  maxSymbols: 2_000_000,
  maxRepeat: 10_000,
};

/** The symbol of terminal `t`. */
export function terminalSym(t: number): number {
  return -t - 1;
}

/** Whether `sym` is a terminal. */
export function isTerminal(sym: number): boolean {
  return sym < 0;
}

/** The terminal id of terminal symbol `sym`. */
export function terminalOf(sym: number): number {
  return -sym - 1;
}

/** A new empty byte set. */
export function emptyByteSet(): ByteSet {
  return new Uint32Array(8);
}

/** A byte set holding the inclusive ranges `ranges`. */
export function byteSetOf(ranges: readonly (readonly [number, number])[]): ByteSet {
  const set = emptyByteSet();
  for (const [lo, hi] of ranges) for (let b = lo; b <= hi; b++) addByte(set, b);
  return set;
}

/** Adds byte `b` to `set`. */
export function addByte(set: ByteSet, b: number): void {
  set[b >> 5] = ((set[b >> 5] as number) | (1 << (b & 31))) >>> 0;
}

/** Whether byte `b` is in `set`. */
export function hasByte(set: ByteSet, b: number): boolean {
  return (((set[b >> 5] as number) >>> (b & 31)) & 1) === 1;
}

/** A stable string key of a byte set (for deduplication). */
export function byteSetKey(set: ByteSet): string {
  return `${set[0]},${set[1]},${set[2]},${set[3]},${set[4]},${set[5]},${set[6]},${set[7]}`;
}

/** Productions of each nonterminal: `byLhs[A]` lists indices into `cfg.prods`. */
export function prodsByLhs(cfg: ByteCfg): number[][] {
  const byLhs: number[][] = cfg.names.map(() => []);
  cfg.prods.forEach((p, i) => {
    byLhs[p.lhs]?.push(i);
  });
  return byLhs;
}

/** Human-readable form of a byte set, e.g. `[0-9a-f]` or `'x'`. */
export function describeByteSet(set: ByteSet): string {
  const parts: string[] = [];
  const show = (b: number) =>
    b > 0x20 && b < 0x7f && b !== 0x5d && b !== 0x5c && b !== 0x2d
      ? String.fromCharCode(b)
      : `\\x${b.toString(16).padStart(2, "0")}`;
  let b = 0;
  while (b < 256) {
    if (!hasByte(set, b)) {
      b++;
      continue;
    }
    let e = b;
    while (e + 1 < 256 && hasByte(set, e + 1)) e++;
    parts.push(e === b ? show(b) : `${show(b)}-${show(e)}`);
    b = e + 1;
  }
  const one = parts.length === 1 && parts[0]?.length === 1;
  return one ? `'${parts[0]}'` : `[${parts.join("")}]`;
}

/** Human-readable form of one production, for error messages and conflict reports. */
export function describeProduction(cfg: ByteCfg, p: Production, dot = -1): string {
  const syms = p.rhs.map((s) =>
    isTerminal(s) ? describeByteSet(cfg.terminals[terminalOf(s)] as ByteSet) : (cfg.names[s] ?? `#${s}`),
  );
  if (dot >= 0) syms.splice(dot, 0, "•");
  return `${cfg.names[p.lhs]} → ${syms.length ? syms.join(" ") : "ε"}`;
}
