/**
 * The grammar analysis LR(1) construction needs: the augmented grammar (production 0 is
 * `S' → start`), LR(0) item numbering, nullable symbols and FIRST sets over atoms (bitsets),
 * and per item the FIRST set and nullability of what follows its next symbol.
 */

import { type AtomTable, buildAtoms } from "./atoms.js";
import { type ByteCfg, isTerminal, terminalOf } from "./byte-cfg.js";

/** `nextSym` value of a completed item. */
export const NO_SYMBOL = 0x7fffffff;

/** Analysed, augmented grammar. All arrays are owned by this object. */
export interface LrGrammar {
  readonly cfg: ByteCfg;
  readonly atoms: AtomTable;
  /** Atom columns plus one end-of-input column (`eof`). */
  readonly numCols: number;
  readonly eof: number;
  /** Words per lookahead bitset (over columns). */
  readonly words: number;
  /** Nonterminals including the augmented start (id `numNonterminals - 1`). */
  readonly numNonterminals: number;
  readonly prodLhs: Int32Array;
  readonly prodRhs: readonly (readonly number[])[];
  readonly byLhs: readonly number[][];
  /** Item id of (production p, dot d) is `itemBase[p] + d`. */
  readonly itemBase: Int32Array;
  readonly itemProd: Int32Array;
  readonly itemDot: Int32Array;
  /** Symbol after the dot, or NO_SYMBOL. */
  readonly nextSym: Int32Array;
  /** FIRST(rest after the next symbol), `words` words per item. */
  readonly suffixFirst: Uint32Array;
  /** Whether the rest after the next symbol is nullable. */
  readonly suffixNullable: Uint8Array;
  /** Whether each nonterminal derives the empty string. */
  readonly nullable: Uint8Array;
}

/** Analyses a normalised CFG for LR construction. */
export function analyzeGrammar(cfg: ByteCfg): LrGrammar {
  const atoms = buildAtoms(cfg);
  const numCols = atoms.numAtoms + 1;
  const words = (numCols + 31) >> 5;
  const numNonterminals = cfg.names.length + 1;
  const prodRhs = [[cfg.start], ...cfg.prods.map((p) => p.rhs)];
  const prodLhs = Int32Array.from([numNonterminals - 1, ...cfg.prods.map((p) => p.lhs)]);
  const byLhs: number[][] = Array.from({ length: numNonterminals }, () => []);
  prodLhs.forEach((lhs, p) => {
    byLhs[lhs]?.push(p);
  });
  const itemBase = new Int32Array(prodRhs.length);
  let numItems = 0;
  prodRhs.forEach((rhs, p) => {
    itemBase[p] = numItems;
    numItems += rhs.length + 1;
  });
  const itemProd = new Int32Array(numItems);
  const itemDot = new Int32Array(numItems);
  const nextSym = new Int32Array(numItems);
  prodRhs.forEach((rhs, p) => {
    for (let d = 0; d <= rhs.length; d++) {
      const i = (itemBase[p] as number) + d;
      itemProd[i] = p;
      itemDot[i] = d;
      nextSym[i] = rhs[d] ?? NO_SYMBOL;
    }
  });
  const { first, nullable } = firstSets(prodLhs, prodRhs, atoms, numNonterminals, words);
  const suffixFirst = new Uint32Array(numItems * words);
  const suffixNullable = new Uint8Array(numItems);
  const acc = new Uint32Array(words);
  prodRhs.forEach((rhs, p) => {
    // Walk backwards: FIRST(rhs[d+1..]) for d = len-1 .. 0.
    acc.fill(0);
    let accNullable = true;
    for (let d = rhs.length - 1; d >= 0; d--) {
      const i = (itemBase[p] as number) + d;
      suffixFirst.set(acc, i * words);
      suffixNullable[i] = accNullable ? 1 : 0;
      const sym = rhs[d] as number;
      if (isTerminal(sym)) {
        acc.fill(0);
        const atomList = atoms.terminalAtoms[terminalOf(sym)] as Int32Array;
        for (let k = 0; k < atomList.length; k++) {
          const a = atomList[k] as number;
          acc[a >> 5] = (acc[a >> 5] as number) | (1 << (a & 31));
        }
        accNullable = false;
      } else {
        if (!nullable[sym]) acc.fill(0);
        for (let w = 0; w < words; w++) acc[w] = (acc[w] as number) | (first[sym * words + w] as number);
        accNullable = accNullable && nullable[sym] === 1;
      }
    }
    const done = (itemBase[p] as number) + rhs.length;
    suffixNullable[done] = 1;
  });
  return {
    cfg,
    atoms,
    numCols,
    eof: atoms.numAtoms,
    words,
    numNonterminals,
    prodLhs,
    prodRhs,
    byLhs,
    itemBase,
    itemProd,
    itemDot,
    nextSym,
    suffixFirst,
    suffixNullable,
    nullable,
  };
}

/** Nullable nonterminals and FIRST sets (over atom columns), by fixpoint. */
function firstSets(
  prodLhs: Int32Array,
  prodRhs: readonly (readonly number[])[],
  atoms: AtomTable,
  numNonterminals: number,
  words: number,
): { first: Uint32Array; nullable: Uint8Array } {
  const first = new Uint32Array(numNonterminals * words);
  const nullable = new Uint8Array(numNonterminals);
  let changed = true;
  while (changed) {
    changed = false;
    prodRhs.forEach((rhs, p) => {
      const lhs = prodLhs[p] as number;
      let allNullable = true;
      for (const sym of rhs) {
        if (isTerminal(sym)) {
          const atomList = atoms.terminalAtoms[terminalOf(sym)] as Int32Array;
          for (let k = 0; k < atomList.length; k++) {
            const a = atomList[k] as number;
            const w = lhs * words + (a >> 5);
            const v = ((first[w] as number) | (1 << (a & 31))) >>> 0;
            if (v !== first[w]) {
              first[w] = v;
              changed = true;
            }
          }
          allNullable = false;
          break;
        }
        for (let w = 0; w < words; w++) {
          const v = ((first[lhs * words + w] as number) | (first[sym * words + w] as number)) >>> 0;
          if (v !== first[lhs * words + w]) {
            first[lhs * words + w] = v;
            changed = true;
          }
        }
        if (!nullable[sym]) {
          allNullable = false;
          break;
        }
      }
      if (allNullable && !nullable[lhs]) {
        nullable[lhs] = 1;
        changed = true;
      }
    });
  }
  return { first, nullable };
}
