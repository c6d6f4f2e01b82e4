import { prngUnit } from "../test-support/prng.js";

/**
 * Grammars and generators shared by the grammar tests: a JSON grammar written as a GrammarAst,
 * random JSON documents, random small grammars, random derivations of a byte CFG and mutations.
 * Test support only (deterministic with a seeded PRNG).
 */

import { TokenFlag, type TokenizerInfo } from "../model/tokenizer-info.js";
import { type ByteCfg, type ByteSet, hasByte, isTerminal, prodsByLhs, terminalOf } from "./byte-cfg.js";
import { type GrammarAst, type GrammarExpr, g } from "./grammar-ast.js";

/** Seeded generator of floats in [0, 1) (shared test PRNG). */
export const rng = prngUnit;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** JSON (RFC 8259) with whitespace, as a GrammarAst; the number rule has no overlapping classes. */
export function jsonGrammar(): GrammarAst {
  const ws = g.ref("ws");
  const digits = g.rep(g.cls([[0x30, 0x39]]), 1, null);
  return {
    start: "root",
    rules: new Map<string, GrammarExpr>([
      ["root", g.seq(ws, g.ref("value"), ws)],
      [
        "value",
        g.alt(
          g.ref("object"),
          g.ref("array"),
          g.ref("string"),
          g.ref("number"),
          g.lit("true"),
          g.lit("false"),
          g.lit("null"),
        ),
      ],
      [
        "object",
        g.seq(
          g.lit("{"),
          ws,
          g.rep(g.seq(g.ref("member"), g.rep(g.seq(ws, g.lit(","), ws, g.ref("member")), 0, null), ws), 0, 1),
          g.lit("}"),
        ),
      ],
      ["member", g.seq(g.ref("string"), ws, g.lit(":"), ws, g.ref("value"))],
      [
        "array",
        g.seq(
          g.lit("["),
          ws,
          g.rep(g.seq(g.ref("value"), g.rep(g.seq(ws, g.lit(","), ws, g.ref("value")), 0, null), ws), 0, 1),
          g.lit("]"),
        ),
      ],
      ["string", g.seq(g.lit('"'), g.rep(g.ref("char"), 0, null), g.lit('"'))],
      [
        "char",
        g.alt(
          g.cls(
            [
              [0x22, 0x22],
              [0x5c, 0x5c],
              [0, 0x1f],
            ],
            true,
          ),
          g.seq(
            g.lit("\\"),
            g.alt(
              g.cls([
                [0x22, 0x22],
                [0x5c, 0x5c],
                [0x2f, 0x2f],
                [0x62, 0x62],
                [0x66, 0x66],
                [0x6e, 0x6e],
                [0x72, 0x72],
                [0x74, 0x74],
              ]),
              g.seq(
                g.lit("u"),
                g.rep(
                  g.cls([
                    [0x30, 0x39],
                    [0x41, 0x46],
                    [0x61, 0x66],
                  ]),
                  4,
                  4,
                ),
              ),
            ),
          ),
        ),
      ],
      [
        "number",
        g.seq(
          g.rep(g.lit("-"), 0, 1),
          g.alt(g.lit("0"), g.seq(g.cls([[0x31, 0x39]]), g.rep(g.cls([[0x30, 0x39]]), 0, null))),
          g.rep(g.seq(g.lit("."), digits), 0, 1),
          g.rep(
            g.seq(
              g.cls([
                [0x45, 0x45],
                [0x65, 0x65],
              ]),
              g.rep(
                g.cls([
                  [0x2b, 0x2b],
                  [0x2d, 0x2d],
                ]),
                0,
                1,
              ),
              digits,
            ),
            0,
            1,
          ),
        ),
      ],
      [
        "ws",
        g.rep(
          g.cls([
            [0x20, 0x20],
            [0x09, 0x0a],
            [0x0d, 0x0d],
          ]),
          0,
          null,
        ),
      ],
    ]),
  };
}

/** A random JSON value (nested up to `depth`). */
export function randomJson(r: () => number, depth = 3): unknown {
  const k = Math.floor(r() * (depth > 0 ? 8 : 5));
  const words = ["a", "bc", "name", "é", "日本", "x\ny", 'q"t', "\\", "😀", ""];
  switch (k) {
    case 0:
      return Math.floor(r() * 2000) - 1000;
    case 1:
      return Number((r() * 100 - 50).toFixed(3));
    case 2:
      return pick(r, words);
    case 3:
      return pick(r, [true, false, null]);
    case 4:
      return r() < 0.5 ? 1e21 * r() : -0.5;
    case 5:
    case 6: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[pick(r, words)] = randomJson(r, depth - 1);
      return o;
    }
    default:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth - 1));
  }
}

/** A random JSON document text: compact, pretty-printed, or with stray whitespace. */
export function randomJsonText(r: () => number): string {
  const v = randomJson(r);
  const mode = Math.floor(r() * 3);
  if (mode === 0) return JSON.stringify(v);
  if (mode === 1) return JSON.stringify(v, null, 2);
  return ` ${JSON.stringify(v, null, "\t").replace(/,/g, " ,")}\n`;
}

/** Mutates bytes: deletes, inserts or replaces a few positions with bytes from `alphabet`. */
export function mutate(r: () => number, bytes: Uint8Array, alphabet: readonly number[]): Uint8Array {
  const out = Array.from(bytes);
  for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
    const at = Math.floor(r() * (out.length + 1));
    const op = Math.floor(r() * 3);
    if (op === 0 && out.length > 0) out.splice(Math.min(at, out.length - 1), 1);
    else if (op === 1) out.splice(at, 0, pick(r, alphabet));
    else if (out.length > 0) out[Math.min(at, out.length - 1)] = pick(r, alphabet);
  }
  return Uint8Array.from(out);
}

/** A random derivation of `cfg` (normalised), at most about `maxBytes` long; null if it ran away. */
export function randomSentence(r: () => number, cfg: ByteCfg, maxBytes = 60): Uint8Array | null {
  const byLhs = prodsByLhs(cfg);
  const out: number[] = [];
  const todo: number[] = [cfg.start];
  let steps = 0;
  while (todo.length > 0) {
    if (++steps > 2000) return null;
    const sym = todo.pop() as number;
    if (isTerminal(sym)) {
      const set = cfg.terminals[terminalOf(sym)] as ByteSet;
      const bytes: number[] = [];
      for (let b = 0; b < 256; b++) if (hasByte(set, b)) bytes.push(b);
      out.push(pick(r, bytes));
      continue;
    }
    const prods = byLhs[sym] ?? [];
    // Past the length budget prefer the shortest alternative, so derivations end.
    const choice =
      out.length + todo.length > maxBytes
        ? (prods
            .slice()
            .sort((a, b) => (cfg.prods[a]?.rhs.length ?? 0) - (cfg.prods[b]?.rhs.length ?? 0))[0] as number)
        : pick(r, prods);
    const rhs = cfg.prods[choice]?.rhs ?? [];
    for (let i = rhs.length - 1; i >= 0; i--) todo.push(rhs[i] as number);
  }
  return Uint8Array.from(out);
}

/** A random small grammar over the bytes a, b, c (and a class), with recursion and repetition. */
export function randomGrammar(r: () => number): GrammarAst {
  const names = ["root", "r1", "r2", "r3"];
  const expr = (depth: number): GrammarExpr => {
    const k = Math.floor(r() * (depth > 0 ? 8 : 4));
    switch (k) {
      case 0:
        return g.lit(pick(r, ["a", "b", "c", "ab", "ca"]));
      case 1:
        return g.cls(pick(r, [[[0x61, 0x62]], [[0x62, 0x63]], [[0x63, 0x63]]] as [number, number][][]));
      case 2:
        return g.ref(pick(r, names.slice(1)));
      case 3:
        return g.lit(pick(r, ["a", "b", "c"]));
      case 4:
        return g.seq(expr(depth - 1), expr(depth - 1));
      case 5:
        return g.alt(expr(depth - 1), expr(depth - 1));
      case 6:
        return g.rep(expr(depth - 1), pick(r, [0, 1]), pick(r, [1, 2, null]));
      default:
        return g.seq(g.lit(pick(r, ["a", "b", "c"])), expr(depth - 1), g.lit(pick(r, ["a", "b", "c"])));
    }
  };
  const rules = new Map<string, GrammarExpr>();
  for (const n of names) rules.set(n, g.alt(expr(2), g.lit(pick(r, ["a", "b", "c"]))));
  return { rules, start: "root" };
}

/**
 * A token mask computed token by token (the brute-force oracle of the mask tests): end-of-
 * generation tokens iff `complete`, other special and unused tokens never, and each text token
 * iff `accepts(id, bytes)`.
 */
export function bruteForceMask(
  info: TokenizerInfo,
  complete: boolean,
  accepts: (id: number, bytes: Uint8Array) => boolean,
): Int32Array {
  const mask = new Int32Array((info.vocabSize + 31) >> 5);
  for (let id = 0; id < info.vocabSize; id++) {
    const flags = info.tokenFlags[id] ?? 0;
    let ok: boolean;
    if (flags & TokenFlag.EOG) ok = complete;
    else if (flags & (TokenFlag.SPECIAL | TokenFlag.UNUSED)) ok = false;
    else ok = accepts(id, info.bytes.subarray(info.offsets[id], info.offsets[id + 1]));
    if (ok) mask[id >> 5] = (mask[id >> 5] as number) | (1 << (id & 31));
  }
  return mask;
}
