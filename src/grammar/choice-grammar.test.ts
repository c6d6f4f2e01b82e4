import { describe, expect, it } from "vitest";
import { GrammarError } from "../errors.js";
import { compileForTest } from "./compile-for-test.js";
import { grammarFromChoices, grammarFromRegex } from "./front-ends.js";

describe("grammarFromChoices", () => {
  it("accepts exactly the listed strings, prefixes of each other included", () => {
    const g = compileForTest(grammarFromChoices(["yes", "no", "no way", "", "yes"]));
    for (const s of ["yes", "no", "no way", ""]) expect(g.accepts(s), s).toBe(true);
    for (const s of ["ye", "yes ", "no wa", "maybe"]) expect(g.accepts(s), s).toBe(false);
    expect(g.isViablePrefix("no w")).toBe(true);
  });

  it("refuses an empty list", () => {
    expect(() => grammarFromChoices([])).toThrowError(GrammarError);
  });
});

describe("grammarFromRegex", () => {
  it("lowers through the compiler with whole-string semantics", () => {
    const g = compileForTest(grammarFromRegex("^(?<y>\\d{4})-\\d\\d$"));
    expect(g.accepts("2024-05")).toBe(true);
    expect(g.accepts("2024-5")).toBe(false);
  });
});
