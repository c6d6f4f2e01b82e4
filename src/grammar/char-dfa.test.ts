import { describe, expect, it } from "vitest";
import { type CharDfa, lengthDfa, minimize, productDfa, wordsDfa } from "./char-dfa.js";
import { patternDfa } from "./json-schema-string-dfa.js";
import { regexDfa } from "./regex-dfa.js";
import { parseRegexSearch } from "./regex-parser.js";
import { rng } from "./test-grammars.js";

/** Runs `dfa` on `text`: the label reached, or -1 (rejected). */
function run(dfa: CharDfa, text: string): number {
  let s = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    const e = dfa.edges[s]?.find((x) => x.lo <= cp && cp <= x.hi);
    if (e === undefined) return -1;
    s = e.to;
  }
  return dfa.label[s] as number;
}

const ALPHABET = ["a", "b", "c", "-", "0", "é"];
const PIECES = ["a", "b", "[ab]", "c*", "(a|bc)", "[^a]", "b+", "a?", "-", "\\d", "é"];

function randomPattern(r: () => number): string {
  const n = 1 + Math.floor(r() * 4);
  let p = Array.from({ length: n }, () => PIECES[Math.floor(r() * PIECES.length)]).join("");
  if (r() < 0.4) p = `^${p}`;
  if (r() < 0.4) p = `${p}$`;
  return p;
}

function randomText(r: () => number): string {
  return Array.from({ length: Math.floor(r() * 6) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join(
    "",
  );
}

/** The number of equivalence classes of `dfa`'s states by naive Moore refinement (test oracle). */
function mooreCount(dfa: CharDfa): number {
  const n = dfa.edges.length;
  // Cut the code points where any edge starts or ends; compare targets per piece (-1: dead).
  const cuts = [...new Set(dfa.edges.flatMap((l) => l.flatMap((e) => [e.lo, e.hi + 1])))].sort(
    (a, b) => a - b,
  );
  const target = (s: number, cp: number) => dfa.edges[s]?.find((e) => e.lo <= cp && cp <= e.hi)?.to ?? -1;
  let block = Array.from({ length: n }, (_, s) => String(dfa.label[s]));
  for (;;) {
    const next = block.map(
      (b, s) =>
        `${b}|${cuts
          .map((cp) => {
            const t = target(s, cp);
            return t < 0 ? "x" : block[t];
          })
          .join(",")}`,
    );
    const ids = new Map<string, number>();
    const renamed = next.map((x) => {
      if (!ids.has(x)) ids.set(x, ids.size);
      return String(ids.get(x));
    });
    if (new Set(renamed).size === new Set(block).size) return ids.size;
    block = renamed;
  }
}

describe("character DFAs", () => {
  it("minimisation keeps the language, and no two states stay equivalent", () => {
    const r = rng(5);
    for (let k = 0; k < 150; k++) {
      const p = randomPattern(r);
      const raw = regexDfa(parseRegexSearch(p));
      expect(raw).not.toBeNull();
      const min = minimize(raw as CharDfa);
      const re = new RegExp(p, "u");
      for (let t = 0; t < 40; t++) {
        const text = randomText(r);
        expect(run(min, text) >= 0, `${p} on ${text}`).toBe(re.test(text));
      }
      expect(min.edges.length).toBeLessThanOrEqual((raw as CharDfa).edges.length);
      // Already minimal: naive refinement finds no two equivalent states.
      expect(mooreCount(min)).toBe(min.edges.length);
    }
  });

  it("products intersect, complement and label regions exactly", () => {
    const r = rng(9);
    for (let k = 0; k < 60; k++) {
      const [p, q] = [randomPattern(r), randomPattern(r)];
      const [a, b] = [patternDfa(p, false) as CharDfa, patternDfa(q, false) as CharDfa];
      const excluded = [randomText(r), randomText(r)];
      const parts = [
        { dfa: a, required: true },
        { dfa: b, required: false },
        { dfa: wordsDfa(excluded), required: false },
        { dfa: lengthDfa(1, 4), required: true },
      ];
      const dfa = productDfa(parts, (mask) => ((mask & 0b1111) === 0b1001 ? 0 : -1), 4000);
      const [rp, rq] = [new RegExp(p, "u"), new RegExp(q, "u")];
      for (let t = 0; t < 40; t++) {
        const text = randomText(r);
        const len = [...text].length;
        const want = rp.test(text) && !rq.test(text) && !excluded.includes(text) && len >= 1 && len <= 4;
        expect(run(dfa, text) >= 0, `${p} and not ${q} on ${text}`).toBe(want);
      }
      const regions = productDfa(
        [
          { dfa: a, required: false },
          { dfa: b, required: false },
        ],
        (mask) => mask,
        4000,
      );
      for (let t = 0; t < 20; t++) {
        const text = randomText(r);
        expect(run(regions, text)).toBe((rp.test(text) ? 1 : 0) | (rq.test(text) ? 2 : 0));
      }
    }
  });
});
