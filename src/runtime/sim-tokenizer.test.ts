import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.js";
import { SIM_EOG_ID, simTokenizer } from "./sim-tokenizer.js";

describe("simTokenizer", () => {
  const tok = simTokenizer(128256);

  it("gives each id a short deterministic text and one special end-of-generation id", () => {
    expect(tok.vocabSize).toBe(128256);
    expect(tok.eogIds).toEqual([SIM_EOG_ID]);
    expect(tok.isEog(SIM_EOG_ID)).toBe(true);
    expect(tok.isEog(1)).toBe(false);
    expect(tok.pieceText(123)).toBe(" t123");
    expect(tok.decode([5, 17, 128255])).toBe(" t5 t17 t128255");
    expect(tok.decode([5, SIM_EOG_ID])).toBe(" t5<eog>");
    expect(tok.decode([5, SIM_EOG_ID], { skipSpecial: true })).toBe(" t5");
    expect(tok.decode([5, 6], { stripLeadingSpace: true })).toBe("t5 t6");
  });

  it("streams through a detokenizer equal to the one-shot decode", () => {
    const ids = [9, 99, SIM_EOG_ID, 999, 9999];
    const d = tok.createDetokenizer({ skipSpecial: true });
    let text = "";
    for (const id of ids) text += d.push(id);
    text += d.flush();
    expect(text).toBe(tok.decode(ids, { skipSpecial: true }));
    expect(d.numTokens).toBe(5);
  });

  it("rejects ids out of range and tiny vocabularies", () => {
    expect(() => tok.decode([128256])).toThrow(InvalidArgumentError);
    expect(() => tok.decode([-1])).toThrow(InvalidArgumentError);
    expect(() => simTokenizer(1)).toThrow(InvalidArgumentError);
  });
});
