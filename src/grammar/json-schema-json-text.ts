/**
 * JSON text pieces shared by the JSON Schema front end: whitespace policy, strings (RFC 8259, with
 * escapes), numbers (no leading zeros), any JSON value, and the grammar of one literal value.
 *
 * Whitespace convention (keeps the grammar LR(1)-friendly): whitespace may follow a structural
 * token or a value inside a container, never precede one, and never surrounds the top-level value.
 */

import { type CodePointRange, type GrammarExpr, g } from "./grammar-ast.js";

/** How much whitespace the generated JSON may contain. */
export type JsonWhitespace = "compact" | "flexible";

/** Grammar-building state shared by the JSON Schema compiler and its helpers. */
export interface JsonGrammarContext {
  /** Rules built so far (owned by the compiler; helpers add to it). */
  readonly rules: Map<string, GrammarExpr>;
  readonly whitespace: JsonWhitespace;
  /** Flexible mode: most spaces/tabs after a newline (indentation). */
  readonly maxIndent: number;
}

/** Code points a JSON string may contain unescaped (no `"`, `\`, controls or surrogates). */
export const JSON_RAW_CHAR_RANGES: readonly CodePointRange[] = [
  [0x20, 0x21],
  [0x23, 0x5b],
  [0x5d, 0xd7ff],
  [0xe000, 0x10ffff],
];

const HEX = g.cls([
  [0x30, 0x39],
  [0x41, 0x46],
  [0x61, 0x66],
]);
const DIGIT = g.cls([[0x30, 0x39]]);
const DIGIT19 = g.cls([[0x31, 0x39]]);
const SIMPLE_ESCAPE = g.cls([
  [0x22, 0x22],
  [0x2f, 0x2f],
  [0x5c, 0x5c],
  [0x62, 0x62],
  [0x66, 0x66],
  [0x6e, 0x6e],
  [0x72, 0x72],
  [0x74, 0x74],
]);

/** Returns `ref(name)`, building the rule with `build` the first time. */
export function ensureRule(ctx: JsonGrammarContext, name: string, build: () => GrammarExpr): GrammarExpr {
  if (!ctx.rules.has(name)) {
    ctx.rules.set(name, g.alt()); // placeholder: lets recursive builders refer to the rule
    ctx.rules.set(name, build());
  }
  return g.ref(name);
}

/** The escapes `JSON.stringify` writes (controls, `"`, `\\`), one spelling per character. */
export const ESCAPE_SPELLINGS: readonly string[] = Array.from({ length: 0x20 }, (_, cp) =>
  String.fromCodePoint(cp),
)
  .concat(['"', "\\"])
  .map((ch) => JSON.stringify(ch).slice(1, -1));

/**
 * Any one of {@link ESCAPE_SPELLINGS}, as a rule shared by every string and key grammar in
 * `rules` (so the LR states inside escapes exist once, not once per context).
 */
export function escapeSpellingsRef(rules: Map<string, GrammarExpr>): GrammarExpr {
  if (!rules.has("json-escape-unit")) {
    // `\\` then one of `"\\bfnrt`, or `u00` and two lowercase hex digits naming a control that
    // has no short escape: exactly the 34 spellings of ESCAPE_SPELLINGS, as few LR states.
    const cls = (chars: string) => g.cls([...chars].map((c) => [c.charCodeAt(0), c.charCodeAt(0)] as const));
    const control = g.alt(g.seq(g.lit("0"), cls("01234567bef")), g.seq(g.lit("1"), cls("0123456789abcdef")));
    rules.set("json-escape-unit", g.seq(g.lit("\\"), g.alt(cls('"\\bfnrt'), g.seq(g.lit("u00"), control))));
  }
  return g.ref("json-escape-unit");
}

/** A sequence of the non-null items (one item stays itself; none is `empty`). */
export function seqOf(...items: (GrammarExpr | null)[]): GrammarExpr {
  const kept = items.filter((x): x is GrammarExpr => x !== null && x.kind !== "empty");
  if (kept.length === 0) return g.empty();
  return kept.length === 1 ? (kept[0] as GrammarExpr) : g.seq(...kept);
}

/** A choice of the items (one item stays itself). Zero items = the empty language. */
export function altOf(items: readonly GrammarExpr[]): GrammarExpr {
  return items.length === 1 ? (items[0] as GrammarExpr) : g.alt(...items);
}

/** The whitespace rule reference, or `null` in compact mode. */
export function wsExpr(ctx: JsonGrammarContext): GrammarExpr | null {
  if (ctx.whitespace === "compact") return null;
  return ensureRule(ctx, "ws", () =>
    g.rep(
      g.alt(
        g.lit(" "),
        g.seq(
          g.rep(g.lit("\r"), 0, 1),
          g.lit("\n"),
          g.rep(
            g.cls([
              [0x09, 0x09],
              [0x20, 0x20],
            ]),
            0,
            ctx.maxIndent,
          ),
        ),
      ),
      0,
      1,
    ),
  );
}

/** A structural token followed by optional whitespace. */
export function token(ctx: JsonGrammarContext, text: string): GrammarExpr {
  const ws = wsExpr(ctx);
  if (ws === null) return g.lit(text);
  // One shared rule per token: the positions inside it exist once in the LR automaton.
  const name = `json-token-${[...text].map((c) => c.charCodeAt(0).toString(16)).join("-")}`;
  return ensureRule(ctx, name, () => g.seq(g.lit(text), ws));
}

/** `: ` between a key and its value, whitespace on both sides (one shared rule when flexible). */
export function colonExpr(ctx: JsonGrammarContext): GrammarExpr {
  const ws = wsExpr(ctx);
  if (ws === null) return g.lit(":");
  return ensureRule(ctx, "json-colon", () => g.seq(ws, g.lit(":"), ws));
}

/** One character of a JSON string body: a raw character or any escape. */
export function jsonCharRef(ctx: JsonGrammarContext): GrammarExpr {
  return ensureRule(ctx, "json-char", () =>
    g.alt(
      g.cls(JSON_RAW_CHAR_RANGES),
      g.seq(g.lit("\\"), g.alt(SIMPLE_ESCAPE, g.seq(g.lit("u"), g.rep(HEX, 4, 4)))),
    ),
  );
}

/**
 * One code point of a JSON string body, for length-counted strings: `\u` escapes are either a
 * non-surrogate or a whole surrogate pair, so each unit is exactly one code point.
 */
export function jsonCodePointRef(ctx: JsonGrammarContext): GrammarExpr {
  const hex3 = g.rep(HEX, 3, 3);
  const hex2 = g.rep(HEX, 2, 2);
  const dD = g.cls([
    [0x44, 0x44],
    [0x64, 0x64],
  ]);
  const nonSurrogate = g.alt(
    g.seq(
      g.cls([
        [0x30, 0x39],
        [0x41, 0x43],
        [0x45, 0x46],
        [0x61, 0x63],
        [0x65, 0x66],
      ]),
      hex3,
    ),
    g.seq(dD, g.cls([[0x30, 0x37]]), hex2),
  );
  const high = g.seq(
    g.lit("\\u"),
    dD,
    g.cls([
      [0x38, 0x39],
      [0x41, 0x42],
      [0x61, 0x62],
    ]),
    hex2,
  );
  const low = g.seq(
    g.lit("\\u"),
    dD,
    g.cls([
      [0x43, 0x46],
      [0x63, 0x66],
    ]),
    hex2,
  );
  return ensureRule(ctx, "json-code-point", () =>
    g.alt(
      g.cls(JSON_RAW_CHAR_RANGES),
      g.seq(g.lit("\\"), g.alt(SIMPLE_ESCAPE, g.seq(g.lit("u"), nonSurrogate))),
      g.seq(high, low),
    ),
  );
}

/** Any JSON string. */
export function jsonStringRef(ctx: JsonGrammarContext): GrammarExpr {
  return ensureRule(ctx, "json-string", () =>
    g.seq(g.lit('"'), g.rep(jsonCharRef(ctx), 0, null), g.lit('"')),
  );
}

/** The digits of a non-negative integer without leading zeros: `0 | [1-9][0-9]*`. */
export const NATURAL: GrammarExpr = g.alt(g.lit("0"), g.seq(DIGIT19, g.rep(DIGIT, 0, null)));

/** Any JSON number. */
export function jsonNumberRef(ctx: JsonGrammarContext): GrammarExpr {
  const exponent = g.seq(
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
    g.rep(DIGIT, 1, null),
  );
  return ensureRule(ctx, "json-number", () =>
    g.seq(
      g.rep(g.lit("-"), 0, 1),
      NATURAL,
      g.rep(g.seq(g.lit("."), g.rep(DIGIT, 1, null)), 0, 1),
      g.rep(exponent, 0, 1),
    ),
  );
}

/** Any JSON integer written without fraction or exponent. */
export function jsonIntegerRef(ctx: JsonGrammarContext): GrammarExpr {
  return ensureRule(ctx, "json-integer", () => g.seq(g.rep(g.lit("-"), 0, 1), NATURAL));
}

/** `[ item ws ("," ws item ws)* ]` or `{ member ("," ws member)* }` bodies; `item` includes its ws. */
export function commaList(ctx: JsonGrammarContext, item: GrammarExpr): GrammarExpr {
  return g.seq(item, g.rep(g.seq(token(ctx, ","), item), 0, null));
}

/** Any JSON value (exact RFC 8259), as a rule reference. */
export function jsonValueRef(ctx: JsonGrammarContext): GrammarExpr {
  return ensureRule(ctx, "json-value", () => {
    const ws = wsExpr(ctx);
    const value = g.ref("json-value");
    const member = seqOf(jsonStringRef(ctx), ws, token(ctx, ":"), value, ws);
    const object = ensureRule(ctx, "json-object", () =>
      seqOf(token(ctx, "{"), g.rep(commaList(ctx, member), 0, 1), g.lit("}")),
    );
    const array = ensureRule(ctx, "json-array", () =>
      seqOf(token(ctx, "["), g.rep(commaList(ctx, seqOf(value, ws)), 0, 1), g.lit("]")),
    );
    return g.alt(
      object,
      array,
      jsonStringRef(ctx),
      jsonNumberRef(ctx),
      g.lit("true"),
      g.lit("false"),
      g.lit("null"),
    );
  });
}

/** Any JSON object (OpenAI `json_object` mode). */
export function jsonObjectRef(ctx: JsonGrammarContext): GrammarExpr {
  jsonValueRef(ctx);
  return g.ref("json-object");
}

/** The grammar of exactly one JSON value, serialised as `JSON.stringify` does (plus whitespace). */
export function literalValueExpr(ctx: JsonGrammarContext, value: unknown): GrammarExpr {
  if (ctx.whitespace === "compact" || value === null || typeof value !== "object") {
    return g.lit(JSON.stringify(value));
  }
  const ws = wsExpr(ctx);
  if (Array.isArray(value)) {
    if (value.length === 0) return g.lit("[]");
    const items = value.map((v, i) => seqOf(i > 0 ? token(ctx, ",") : null, literalValueExpr(ctx, v), ws));
    return seqOf(token(ctx, "["), ...items, g.lit("]"));
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return g.lit("{}");
  const members = entries.map(([k, v], i) =>
    seqOf(
      i > 0 ? token(ctx, ",") : null,
      g.lit(JSON.stringify(k)),
      ws,
      token(ctx, ":"),
      literalValueExpr(ctx, v),
      ws,
    ),
  );
  return seqOf(token(ctx, "{"), ...members, g.lit("}"));
}
