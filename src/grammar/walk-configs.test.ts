import { describe, expect, it } from "vitest";
import { Dpda } from "./dpda.js";
import { DpdaStack } from "./dpda-stack.js";
import { g } from "./grammar-ast.js";
import { lowerGrammar } from "./lower.js";
import { buildLrAutomaton } from "./lr-automaton.js";
import { analyzeGrammar } from "./lr-grammar.js";
import { normalizeCfg } from "./normalize-cfg.js";
import { WalkConfigs } from "./walk-configs.js";

const B = 0x62;

/** S → a S b | a b, with the stack after `aa`: the second `b` reduces and reads below the top. */
function setup() {
  const rules = new Map([["S", g.alt(g.seq(g.lit("a"), g.ref("S"), g.lit("b")), g.lit("ab"))]]);
  const lr = buildLrAutomaton(analyzeGrammar(normalizeCfg(lowerGrammar({ rules, start: "S" }))), "lr1");
  const dpda = new Dpda(lr);
  const st = new DpdaStack(dpda, 100);
  for (const b of [0x61, 0x61]) expect(st.step(b)).toBe(true);
  return { cfgs: new WalkConfigs(dpda), st };
}

describe("WalkConfigs read tracking", () => {
  it("nextTracked lowers lowWater by what a memoised step read; next leaves it", () => {
    const { cfgs, st } = setup();
    const root = cfgs.begin(st.stack, st.sp, 0, st.maxDepth);
    const afterB = cfgs.next(root, B);
    expect(afterB).toBeGreaterThan(0);
    const top = cfgs.depthOf(afterB) - 1;
    cfgs.lowWater = top;
    const afterBB = cfgs.next(afterB, B); // computed: reduces S → a b
    expect(afterBB).toBeGreaterThan(0);
    const readTo = cfgs.lowWater;
    expect(readTo).toBeLessThan(top);
    cfgs.lowWater = top;
    expect(cfgs.next(afterB, B)).toBe(afterBB); // memoised: no trace of what it read
    expect(cfgs.lowWater).toBe(top);
    expect(cfgs.nextTracked(afterB, B)).toBe(afterBB);
    expect(cfgs.lowWater).toBe(readTo);
  });
});
