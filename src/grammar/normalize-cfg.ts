/**
 * Cleaning a byte CFG without changing its language: nonterminals that derive no finite string
 * and symbols unreachable from the start are removed, and the rest renumbered densely (in first
 * appearance order, so output is deterministic). ε-productions are kept: the LR(1) builder and
 * the Earley recogniser handle nullable symbols directly.
 */

import { GrammarError } from "../errors.js";
import { type ByteCfg, isTerminal, type Production, terminalOf, terminalSym } from "./byte-cfg.js";

/** Which nonterminals derive at least one finite byte string. */
export function productiveSet(cfg: ByteCfg): boolean[] {
  const productive = cfg.names.map(() => false);
  let changed = true;
  while (changed) {
    changed = false;
    for (const p of cfg.prods) {
      if (productive[p.lhs]) continue;
      if (p.rhs.every((s) => isTerminal(s) || productive[s])) {
        productive[p.lhs] = true;
        changed = true;
      }
    }
  }
  return productive;
}

/** Which nonterminals derive the empty string. */
export function nullableSet(cfg: ByteCfg): boolean[] {
  const nullable = cfg.names.map(() => false);
  let changed = true;
  while (changed) {
    changed = false;
    for (const p of cfg.prods) {
      if (nullable[p.lhs]) continue;
      if (p.rhs.every((s) => !isTerminal(s) && nullable[s])) {
        nullable[p.lhs] = true;
        changed = true;
      }
    }
  }
  return nullable;
}

/**
 * Removes useless symbols (unproductive or unreachable) and unused terminals. Throws
 * GrammarError naming the start rule when it derives no finite string.
 */
export function normalizeCfg(cfg: ByteCfg): ByteCfg {
  const productive = productiveSet(cfg);
  if (!productive[cfg.start])
    throw new GrammarError(
      `rule "${cfg.names[cfg.start]}" derives no finite string (infinite recursion or empty class)`,
    );
  const live = cfg.prods.filter((p) => p.rhs.every((s) => isTerminal(s) || productive[s]));
  const byLhs: Production[][] = cfg.names.map(() => []);
  for (const p of live) byLhs[p.lhs]?.push(p);
  const ntMap = new Map<number, number>();
  const tMap = new Map<number, number>();
  const order: number[] = [];
  const visit = (nt: number) => {
    if (ntMap.has(nt)) return;
    ntMap.set(nt, order.length);
    order.push(nt);
  };
  visit(cfg.start);
  for (let i = 0; i < order.length; i++)
    for (const p of byLhs[order[i] as number] ?? [])
      for (const s of p.rhs) {
        if (!isTerminal(s)) visit(s);
        else if (!tMap.has(terminalOf(s))) tMap.set(terminalOf(s), tMap.size);
      }
  const mapSym = (s: number) =>
    isTerminal(s) ? terminalSym(tMap.get(terminalOf(s)) as number) : (ntMap.get(s) as number);
  const prods: Production[] = [];
  for (const nt of order)
    for (const p of byLhs[nt] ?? []) prods.push({ lhs: ntMap.get(nt) as number, rhs: p.rhs.map(mapSym) });
  const terminals = [...tMap.keys()].map((t) => cfg.terminals[t] as Uint32Array);
  return { names: order.map((nt) => cfg.names[nt] as string), start: 0, prods, terminals };
}
