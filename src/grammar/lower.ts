/**
 * Lowering: GrammarAst (code points, classes, repetitions, refs) → byte-level CFG.
 *
 * - Literals become their UTF-8 bytes, one terminal per byte.
 * - Classes become the UTF-8 encodings of their code points (negated classes: the complement
 *   within the Unicode scalar values; surrogates never); an ASCII-only class is one terminal.
 * - `X*` and `X{m,}` use left recursion (`S → S X | ε`), which keeps the LR stack flat;
 *   `X{m,n}` uses a shared right-nested chain `O_k → X O_{k-1} | ε` (no blow-up).
 * - Identical sub-expressions share one helper nonterminal, so two `[0-9]*` never conflict.
 */

import { GrammarError } from "../errors.js";
import {
  type ByteCfg,
  type ByteSet,
  byteSetKey,
  byteSetOf,
  type CfgLimits,
  DEFAULT_CFG_LIMITS,
  type Production,
  terminalSym,
} from "./byte-cfg.js";
import type { GrammarAst, GrammarExpr } from "./grammar-ast.js";
import { complementRanges, normalizeRanges, utf8Sequences } from "./utf8-ranges.js";

const encoder = new TextEncoder();

class CfgBuilder {
  readonly names: string[] = [];
  readonly rhsOf: number[][][] = [];
  readonly terminals: ByteSet[] = [];
  private readonly terminalIds = new Map<string, number>();
  /** Terminal symbol of each single byte, once made (0 = not yet). */
  private readonly byteSyms = new Int32Array(256);
  private readonly helpers = new Map<string, number>();
  private numProductions = 0;
  private numSymbols = 0;

  constructor(readonly limits: CfgLimits) {}

  nonterminal(name: string): number {
    this.names.push(name);
    this.rhsOf.push([]);
    return this.names.length - 1;
  }

  addProduction(lhs: number, rhs: number[]): void {
    this.numProductions++;
    this.numSymbols += rhs.length;
    if (this.numProductions > this.limits.maxProductions)
      throw new GrammarError(`grammar too large: more than ${this.limits.maxProductions} productions`);
    if (this.numSymbols > this.limits.maxSymbols)
      throw new GrammarError(`grammar too large: more than ${this.limits.maxSymbols} symbols`);
    this.rhsOf[lhs]?.push(rhs);
  }

  /** The terminal of the single byte `b` (literals: the hot path of lowering). */
  byteTerminal(b: number): number {
    let sym = this.byteSyms[b] as number;
    if (sym === 0) {
      sym = this.terminal(byteSetOf([[b, b]]));
      this.byteSyms[b] = sym;
    }
    return sym;
  }

  terminal(set: ByteSet): number {
    const key = byteSetKey(set);
    let id = this.terminalIds.get(key);
    if (id === undefined) {
      id = this.terminals.length;
      this.terminals.push(set);
      this.terminalIds.set(key, id);
    }
    return terminalSym(id);
  }

  /** A helper nonterminal for `key`, made once by `build` (which adds its productions). */
  helper(key: string, name: string, build: (lhs: number) => void): number {
    let id = this.helpers.get(key);
    if (id === undefined) {
      id = this.nonterminal(name);
      this.helpers.set(key, id);
      build(id);
    }
    return id;
  }

  finish(start: number): ByteCfg {
    const prods: Production[] = [];
    this.rhsOf.forEach((list, lhs) => {
      for (const rhs of list) prods.push({ lhs, rhs });
    });
    return { names: this.names, start, prods, terminals: this.terminals };
  }
}

class Lowerer {
  private readonly ruleIds = new Map<string, number>();
  private rule = "";

  constructor(
    private readonly ast: GrammarAst,
    private readonly b: CfgBuilder,
  ) {
    for (const name of ast.rules.keys()) this.ruleIds.set(name, b.nonterminal(name));
  }

  run(): ByteCfg {
    const start = this.ruleIds.get(this.ast.start);
    if (start === undefined) throw new GrammarError(`start rule "${this.ast.start}" is not defined`);
    for (const [name, body] of this.ast.rules) {
      this.rule = name;
      const lhs = this.ruleIds.get(name) as number;
      const alts = body.kind === "choice" ? body.items : [body];
      for (const alt of alts) this.b.addProduction(lhs, this.seq(alt));
    }
    return this.b.finish(start);
  }

  /** The symbols that `e` expands to in a sequence. */
  private seq(e: GrammarExpr): number[] {
    switch (e.kind) {
      case "literal":
        return Array.from(encoder.encode(e.text), (byte) => this.b.byteTerminal(byte));
      case "bytes":
        return [this.bytes(e.ranges)];
      case "class":
        return this.cls(e.negated ? complementRanges(e.ranges) : normalizeRanges(e.ranges));
      case "sequence":
        return e.items.flatMap((item) => this.seq(item));
      case "choice":
        return this.choice(e.items);
      case "repeat":
        return this.repeat(e.item, e.min, e.max);
      case "ref":
        return [this.ref(e.name)];
      case "empty":
        return [];
    }
  }

  private ref(name: string): number {
    const id = this.ruleIds.get(name);
    if (id === undefined)
      throw new GrammarError(`undefined rule "${name}" referenced from rule "${this.rule}"`);
    return id;
  }

  private bytes(ranges: readonly (readonly [number, number])[]): number {
    for (const [lo, hi] of ranges)
      if (lo < 0 || hi > 255 || lo > hi)
        throw new GrammarError(`byte range ${lo}..${hi} in rule "${this.rule}" is not within 0..255`);
    return this.b.terminal(byteSetOf(ranges));
  }

  private cls(ranges: readonly (readonly [number, number])[]): number[] {
    const last = ranges[ranges.length - 1];
    if (last === undefined) return [this.b.helper("cls:", `${this.rule}#class`, () => {})];
    if (last[1] < 0x80) return [this.b.terminal(byteSetOf(ranges))];
    const ascii = ranges
      .filter(([lo]) => lo < 0x80)
      .map(([lo, hi]) => [lo, Math.min(hi, 0x7f)] as [number, number]);
    const wide = ranges
      .filter(([, hi]) => hi >= 0x80)
      .map(([lo, hi]) => [Math.max(lo, 0x80), hi] as [number, number]);
    const multi = this.multiByte(wide);
    if (ascii.length === 0) return [multi];
    // The ASCII part is one byte terminal; the multi-byte part is a helper shared by every class
    // with the same non-ASCII ranges (so LR states inside UTF-8 sequences are shared too).
    const key = `cls:${ranges.map(([lo, hi]) => `${lo}-${hi}`).join(",")}`;
    return [
      this.b.helper(key, `${this.rule}#class`, (lhs) => {
        this.b.addProduction(lhs, [this.b.terminal(byteSetOf(ascii))]);
        this.b.addProduction(lhs, [multi]);
      }),
    ];
  }

  /** The UTF-8 encodings of code points `ranges` (all >= 0x80), as one shared helper. */
  private multiByte(ranges: readonly (readonly [number, number])[]): number {
    const key = `utf8:${ranges.map(([lo, hi]) => `${lo}-${hi}`).join(",")}`;
    return this.b.helper(key, `${this.rule}#utf8`, (lhs) => {
      // Sequences with the same tail share one production: their first bytes are united.
      const byTail = new Map<string, { first: [number, number][]; tail: number[] }>();
      for (const seq of utf8Sequences(ranges)) {
        const tail = seq.slice(1).map((r) => this.b.terminal(byteSetOf([r])));
        const tailKey = tail.join(",");
        const entry = byTail.get(tailKey) ?? { first: [], tail };
        entry.first.push([seq[0]?.[0] ?? 0, seq[0]?.[1] ?? 0]);
        byTail.set(tailKey, entry);
      }
      for (const { first, tail } of byTail.values())
        this.b.addProduction(lhs, [this.b.terminal(byteSetOf(first)), ...tail]);
    });
  }

  private choice(items: readonly GrammarExpr[]): number[] {
    if (items.length === 1) return this.seq(items[0] as GrammarExpr);
    const alts = items.map((item) => this.seq(item));
    const key = `alt:${alts.map((a) => a.join(",")).join("|")}`;
    return [
      this.b.helper(key, `${this.rule}#alt`, (lhs) => {
        for (const alt of alts) this.b.addProduction(lhs, alt);
      }),
    ];
  }

  /** One symbol standing for the sequence `syms`. */
  private single(syms: number[]): number {
    if (syms.length === 1) return syms[0] as number;
    return this.b.helper(`seq:${syms.join(",")}`, `${this.rule}#group`, (lhs) =>
      this.b.addProduction(lhs, syms),
    );
  }

  private repeat(item: GrammarExpr, min: number, max: number | null): number[] {
    const limit = this.b.limits.maxRepeat;
    if (!Number.isInteger(min) || min < 0 || (max !== null && (!Number.isInteger(max) || max < min)))
      throw new GrammarError(`invalid repetition {${min},${max ?? ""}} in rule "${this.rule}"`);
    if (min > limit || (max ?? 0) > limit)
      throw new GrammarError(
        `repetition {${min},${max ?? ""}} in rule "${this.rule}" exceeds the limit ${limit}`,
      );
    const body = this.seq(item);
    if (body.length === 0 || max === 0) return [];
    const x = this.single(body);
    if (max === null) {
      if (min === 0) return [this.star(x)];
      return [...new Array<number>(min - 1).fill(x), this.plus(x)];
    }
    const out = new Array<number>(min).fill(x);
    if (max > min) out.push(this.optChain(x, max - min));
    return out;
  }

  private star(x: number): number {
    return this.b.helper(`star:${x}`, `${this.rule}#star`, (lhs) => {
      this.b.addProduction(lhs, [lhs, x]);
      this.b.addProduction(lhs, []);
    });
  }

  private plus(x: number): number {
    return this.b.helper(`plus:${x}`, `${this.rule}#plus`, (lhs) => {
      this.b.addProduction(lhs, [lhs, x]);
      this.b.addProduction(lhs, [x]);
    });
  }

  /** `O_k → x O_{k-1} | ε` (`O_1 → x | ε`): zero to k copies of x, shared between repeats. */
  private optChain(x: number, k: number): number {
    let prev = -1;
    for (let i = 1; i <= k; i++) {
      const tail = prev;
      prev = this.b.helper(`opt:${x}:${i}`, `${this.rule}#opt${i}`, (lhs) => {
        this.b.addProduction(lhs, tail < 0 ? [x] : [x, tail]);
        this.b.addProduction(lhs, []);
      });
    }
    return prev;
  }
}

/**
 * Lowers `ast` to a byte-level CFG (not yet cleaned: see `normalizeCfg`). Throws GrammarError
 * for an undefined start rule or reference (naming the rule), invalid or oversized repetitions,
 * byte ranges outside 0..255, and grammars over `limits`.
 */
export function lowerGrammar(ast: GrammarAst, limits: CfgLimits = DEFAULT_CFG_LIMITS): ByteCfg {
  return new Lowerer(ast, new CfgBuilder(limits)).run();
}
