/**
 * A compiled grammar: immutable to its users (xgrammar's CompiledGrammar). It holds the byte
 * CFG, the engine chosen (the Pre³ DPDA when the grammar is LR(1), else Earley) and why, and the
 * lazily grown, memoised tables matchers share: DPDA edges and the mask cache.
 */

import { GrammarError } from "../errors.js";
import type { TokenizerInfo } from "../model/tokenizer-info.js";
import type { ByteCfg } from "./byte-cfg.js";
import { Dpda } from "./dpda.js";
import { DpdaCore } from "./dpda-core.js";
import { DpdaMaskWalker } from "./dpda-mask.js";
import { EarleyCore } from "./earley-core.js";
import { GlrCore } from "./glr-core.js";
import { buildLrAutomaton, type LrAutomaton } from "./lr-automaton.js";
import type { LrConflict } from "./lr-conflicts.js";
import { analyzeGrammar, type LrGrammar } from "./lr-grammar.js";
import { MaskCache } from "./mask-cache.js";
import type { MatcherCore } from "./matcher-core.js";
import { rewriteTailRecursion } from "./tail-recursion.js";
import type { VocabTrie } from "./vocab-trie.js";

/**
 * Which matcher engine a grammar uses: the Pre³ DPDA (LR(1) grammars), the DPDA with forking
 * stacks (GLR: grammars with LR conflicts), or the Earley recogniser (grammars GLR cannot run
 * or whose LR automaton is too large).
 */
export type GrammarEngine = "dpda" | "glr" | "earley";

/** Compile options (all optional). */
export interface CompileOptions {
  /** Largest LR automaton tried before falling back to Earley (default 50,000 states). */
  readonly maxLrStates?: number;
  /**
   * Force an engine (tests, benchmarks): "earley" always; "dpda" never forks (grammars with
   * conflicts use Earley). Default: the DPDA when LR(1), else GLR, else Earley.
   */
  readonly engine?: GrammarEngine;
  /** Mask cache budget in int32 words (default 8M = 32 MiB). */
  readonly maskCacheWords?: number;
}

/** Size and timing figures of a compiled grammar. */
export interface CompiledGrammarStats {
  readonly numProductions: number;
  readonly numNonterminals: number;
  readonly numAtoms: number;
  /** LR construction used ("lalr1", or canonical "lr1" when LALR had conflicts), or null. */
  readonly lrKind: "lalr1" | "lr1" | null;
  readonly numLrStates: number;
  readonly compileMs: number;
}

/** A grammar ready for matching against one vocabulary. */
export class CompiledGrammar {
  /** The engine matchers of this grammar use. */
  readonly engine: GrammarEngine;
  /** Why the plain DPDA is not used (first conflict, size limit), or null when it is. */
  readonly fallbackReason: string | null;
  /** Every LR conflict of the last construction tried (empty for the DPDA). */
  readonly conflicts: readonly LrConflict[];
  readonly stats: CompiledGrammarStats;
  /** @internal The DPDA (engines "dpda" and "glr"), else null. */
  readonly dpda: Dpda | null;
  /** @internal The LR automaton behind the DPDA, else null. */
  readonly lr: LrAutomaton | null;
  private readonly walker: DpdaMaskWalker | null;
  private readonly maskCache: MaskCache | null;

  constructor(
    /** Content key (hash of the grammar and options). */
    readonly key: string,
    /** The normalised byte CFG. */
    readonly cfg: ByteCfg,
    readonly tokenizerInfo: TokenizerInfo,
    readonly trie: VocabTrie,
    options: CompileOptions = {},
    /** `performance.now()` when compilation began (lowering included), for `stats.compileMs`. */
    startedAtMs = performance.now(),
  ) {
    const chosen = chooseEngine(cfg, options);
    this.engine = chosen.lr ? (chosen.lr.conflicts.length > 0 ? "glr" : "dpda") : "earley";
    this.fallbackReason = chosen.reason;
    this.conflicts = chosen.conflicts;
    this.lr = chosen.lr;
    this.dpda = chosen.lr ? new Dpda(chosen.lr) : null;
    this.walker = this.dpda ? new DpdaMaskWalker(trie, this.dpda) : null;
    this.maskCache = chosen.lr
      ? new MaskCache(chosen.lr.numStates, trie.wordsPerRow, options.maskCacheWords ?? 8 << 20)
      : null;
    this.stats = {
      numProductions: cfg.prods.length,
      numNonterminals: cfg.names.length,
      numAtoms: chosen.numAtoms,
      lrKind: chosen.lr?.kind ?? null,
      numLrStates: chosen.lr?.numStates ?? 0,
      compileMs: performance.now() - startedAtMs,
    };
  }

  /** Int32 words per mask row: ⌈vocabSize / 32⌉. */
  get wordsPerRow(): number {
    return this.trie.wordsPerRow;
  }

  /** @internal A fresh engine state for one matcher. */
  newCore(maxStackDepth: number): MatcherCore {
    const earley = () => new EarleyCore(this.cfg, this.trie);
    if (this.dpda && this.lr && this.walker) {
      if (this.engine === "glr")
        return new GlrCore(this.dpda, maxStackDepth, this.walker, this.maskCache, this.wordsPerRow, earley);
      return new DpdaCore(this.dpda, this.lr.numStates, maxStackDepth, this.walker, this.maskCache);
    }
    return earley();
  }
}

interface EngineChoice {
  readonly lr: LrAutomaton | null;
  readonly reason: string | null;
  readonly conflicts: readonly LrConflict[];
  readonly numAtoms: number;
}

/**
 * The grammar with tail recursion made left-recursive, then as written; for each, LALR(1) and,
 * on reduce/reduce conflicts (LALR merges can add those), canonical LR(1). The first without
 * conflicts gives the DPDA; if none, the last automaton built runs as GLR (or, when GLR cannot
 * run the grammar, Earley), reporting the first conflict. The grammar as written is only tried
 * when the rewrite's own rules are in a conflict (other conflicts are the grammar's, and
 * building them again costs compile time for nothing).
 */
function chooseEngine(cfg: ByteCfg, options: CompileOptions): EngineChoice {
  const rewritten = options.engine === "earley" ? null : rewriteTailRecursion(cfg);
  if (rewritten) {
    const choice = tryLr(rewritten, options);
    if (choice.lr && choice.conflicts.length === 0) return choice;
    const fromRewrite = choice.conflicts.some((c) => c.items.some((item) => item.includes("#laps")));
    if (choice.conflicts.length > 0 && !fromRewrite) return choice;
  }
  return tryLr(cfg, options);
}

function tryLr(cfg: ByteCfg, options: CompileOptions): EngineChoice {
  const g = analyzeGrammar(cfg);
  const numAtoms = g.atoms.numAtoms;
  if (options.engine === "earley")
    return { lr: null, reason: "engine forced to earley", conflicts: [], numAtoms };
  const maxStates = options.maxLrStates ?? 50_000;
  let conflicts: readonly LrConflict[] = [];
  let withConflicts: LrAutomaton | null = null;
  let budget = maxStates;
  for (const kind of ["lalr1", "lr1"] as const) {
    try {
      const lr = buildLrAutomaton(g, kind, budget);
      if (lr.conflicts.length === 0) return { lr, reason: null, conflicts: [], numAtoms };
      conflicts = lr.conflicts;
      withConflicts = lr;
      // Canonical LR(1) splits LALR states by lookahead; past a few times their number the
      // conflicts are almost always ambiguity, which no split removes.
      budget = Math.min(maxStates, Math.max(2_000, 4 * lr.numStates));
      if (!lr.conflicts.some((c) => c.kind === "reduce/reduce")) break;
    } catch (e) {
      if (!(e instanceof GrammarError)) throw e;
      if (conflicts.length === 0)
        return { lr: null, reason: `not compiled to a DPDA: ${e.message}`, conflicts, numAtoms };
      break;
    }
  }
  const first = conflicts[0] as LrConflict;
  const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : "";
  const reason = `grammar is not LR(1): ${first.message}${more}`;
  if (options.engine === "glr" || options.engine === undefined) {
    const hidden = hiddenLeftRecursion(g);
    if (hidden === null) return { lr: withConflicts, reason, conflicts, numAtoms };
    return {
      lr: null,
      reason: `${reason}; GLR cannot run it (hidden left recursion through ${hidden})`,
      conflicts,
      numAtoms,
    };
  }
  return { lr: null, reason, conflicts, numAtoms };
}

/**
 * A nonterminal that derives itself at the start of a sentential form behind a nullable but
 * nonempty prefix (`A → B A c`, `B → ε`), or null. Its LR reduce loop can push ε-reductions
 * without end, which GLR's reduce exploration cannot run; such grammars use Earley.
 */
export function hiddenLeftRecursion(g: LrGrammar): string | null {
  // Left-corner edges A → X: A → α X β with α nullable; `hidden` when α is nonempty.
  const n = g.numNonterminals;
  const edges: number[][] = Array.from({ length: n }, () => []);
  const hidden: [number, number][] = [];
  g.prodRhs.forEach((rhs, p) => {
    const lhs = g.prodLhs[p] as number;
    for (let d = 0; d < rhs.length; d++) {
      const x = rhs[d] as number;
      if (x < 0) break; // a terminal ends the left corner
      edges[lhs]?.push(x);
      if (d > 0) hidden.push([lhs, x]);
      if (!g.nullable[x]) break;
    }
  });
  for (const [a, x] of hidden) {
    // Does X reach A through left corners?
    const seen = new Uint8Array(n);
    const stack = [x];
    seen[x] = 1;
    while (stack.length > 0) {
      const y = stack.pop() as number;
      if (y === a) return g.cfg.names[a] ?? `#${a}`;
      for (const z of edges[y] ?? [])
        if (!seen[z]) {
          seen[z] = 1;
          stack.push(z);
        }
    }
  }
  return null;
}
