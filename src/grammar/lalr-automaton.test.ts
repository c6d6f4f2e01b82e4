import { describe, expect, it } from "vitest";
import { grammarForJsonObject, grammarFromJsonSchema } from "./front-ends.js";
import type { GrammarAst } from "./grammar-ast.js";
import { lowerGrammar } from "./lower.js";
import { buildLrAutomaton, type LrAutomaton } from "./lr-automaton.js";
import { analyzeGrammar, type LrGrammar } from "./lr-grammar.js";
import { normalizeCfg } from "./normalize-cfg.js";
import { jsonGrammar, randomGrammar, rng } from "./test-grammars.js";

/**
 * LALR(1) is canonical LR(1) with states of equal LR(0) core merged: per core, the reduce
 * lookaheads of the DeRemer-Pennello construction must equal the union of the canonical ones,
 * and shifts must go to states of the same core.
 */
function mergedCanonical(lr1: LrAutomaton): Map<string, Map<number, Set<number>>> {
  const g = lr1.grammar;
  const out = new Map<string, Map<number, Set<number>>>();
  for (let s = 0; s < lr1.numStates; s++) {
    const core = Array.from(lr1.kernel(s)).join(",");
    const acts = out.get(core) ?? new Map<number, Set<number>>();
    out.set(core, acts);
    for (let c = 0; c < g.numCols; c++) {
      const a = lr1.action[s * g.numCols + c] as number;
      if (a === 0) continue;
      const code = a > 0 ? 1 : a; // shift (any target), or reduce by production
      const set = acts.get(c) ?? new Set<number>();
      set.add(code);
      acts.set(c, set);
    }
  }
  return out;
}

function lalrActions(lalr: LrAutomaton): Map<string, Map<number, Set<number>>> {
  const g = lalr.grammar;
  const out = new Map<string, Map<number, Set<number>>>();
  for (let s = 0; s < lalr.numStates; s++) {
    const acts = new Map<number, Set<number>>();
    for (let c = 0; c < g.numCols; c++) {
      const a = lalr.action[s * g.numCols + c] as number;
      if (a !== 0) acts.set(c, new Set([a > 0 ? 1 : a]));
    }
    out.set(Array.from(lalr.kernel(s)).join(","), acts);
  }
  return out;
}

function analysed(ast: GrammarAst): LrGrammar {
  return analyzeGrammar(normalizeCfg(lowerGrammar(ast)));
}

function compare(g: LrGrammar): boolean {
  const lalr = buildLrAutomaton(g, "lalr1");
  const lr1 = buildLrAutomaton(g, "lr1");
  if (lr1.conflicts.length > 0) {
    expect(lalr.conflicts.length, "LALR has a conflict wherever LR(1) has").toBeGreaterThan(0);
    return false;
  }
  if (lalr.conflicts.length > 0) return false; // LALR-only (merge) conflicts are legitimate
  expect(lalrActions(lalr)).toEqual(mergedCanonical(lr1));
  return true;
}

describe("LALR(1) by DeRemer-Pennello", () => {
  it("equals canonical LR(1) merged by core, on random grammars", () => {
    const r = rng(11);
    let compared = 0;
    for (let k = 0; k < 200; k++) {
      let g: LrGrammar;
      try {
        g = analysed(randomGrammar(r));
      } catch {
        continue;
      }
      if (compare(g)) compared++;
    }
    expect(compared).toBeGreaterThan(40);
  });

  it("equals canonical LR(1) merged by core on the JSON grammars", () => {
    expect(compare(analysed(jsonGrammar()))).toBe(true);
    expect(compare(analysed(grammarForJsonObject({ whitespace: "flexible" })))).toBe(true);
    const schema = {
      type: "object",
      properties: { a: { type: "string", format: "date" }, b: { type: "array", items: { type: "integer" } } },
      required: ["a"],
    };
    expect(compare(analysed(grammarFromJsonSchema(schema, { whitespace: "flexible" }).ast))).toBe(true);
  });

  it("kernel lookaheads of the start state hold end of input", () => {
    const lalr = buildLrAutomaton(analysed(jsonGrammar()), "lalr1");
    const eof = lalr.grammar.eof;
    const la = lalr.kernelLookaheads[0]?.[0] as Uint32Array;
    expect(((la[eof >> 5] as number) >>> (eof & 31)) & 1).toBe(1);
  });
});
