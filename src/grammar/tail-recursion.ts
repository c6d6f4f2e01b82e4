/**
 * Cycle breaking for right recursion, done on the grammar: a tail-recursive nonterminal
 * `A → α1 A | … | αk A | β1 | … | βm` (A at the end of some alternatives) is rewritten, without
 * changing its language (A = (α1|…|αk)* (β1|…|βm), Arden's rule), into the left-recursive
 *
 *   A → βj | L βj        L → αi | L αi        (L fresh; no ε-production added)
 *
 * In the LR automaton a left-recursive loop reduces each lap as it completes, so the DPDA stack
 * stays one lap deep however long the list is: the same effect as Pre³'s back-edges that pop a
 * whole lap, but exact by construction. The rewrite can introduce LR(1) conflicts the original
 * did not have; the compiler then keeps the original grammar (deeper stacks, same language).
 */

import type { ByteCfg, Production } from "./byte-cfg.js";

/** The rewritten grammar, or null when no nonterminal is tail-recursive. */
export function rewriteTailRecursion(cfg: ByteCfg): ByteCfg | null {
  const names = [...cfg.names];
  const byLhs: Production[][] = cfg.names.map(() => []);
  for (const p of cfg.prods) byLhs[p.lhs]?.push(p);
  const extra: Production[][] = [];
  let changed = false;
  byLhs.forEach((prods, a) => {
    const laps = prods.filter((p) => p.rhs.length >= 2 && p.rhs[p.rhs.length - 1] === a);
    const exits = prods.filter((p) => p.rhs[p.rhs.length - 1] !== a);
    if (laps.length === 0 || exits.length === 0) return;
    const l = names.length;
    names.push(`${cfg.names[a]}#laps`);
    const next: Production[] = [];
    for (const e of exits) next.push(e, { lhs: a, rhs: [l, ...e.rhs] });
    byLhs[a] = next;
    const lProds: Production[] = [];
    for (const p of laps) {
      const alpha = p.rhs.slice(0, -1);
      lProds.push({ lhs: l, rhs: alpha }, { lhs: l, rhs: [l, ...alpha] });
    }
    extra.push(lProds);
    changed = true;
  });
  if (!changed) return null;
  const prods = [...byLhs.flat(), ...extra.flat()];
  return { names, start: cfg.start, prods, terminals: cfg.terminals };
}
