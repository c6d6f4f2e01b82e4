/**
 * A warm-up of the mask code, run once when a server or benchmark starts: a few built-in
 * schemas are compiled and walked, so the first real requests do not pay for the JIT.
 *
 * V8 optimises a function with the paths it has seen taken. A path first taken later (the fork
 * of a GLR walk, a length bound counted inside a string, a partial walk's uncertain nodes)
 * deoptimises the whole walk: the rest of that mask, a whole-vocabulary walk, runs in baseline
 * code until the function is optimised again. A first GLR mask took 120 ms that way, against
 * 5 ms once warm. The schemas below take each of those paths.
 */

import { grammarFromJsonSchema } from "./front-ends.js";
import type { GrammarCompiler } from "./grammar-compiler.js";
import { GrammarMatcher } from "./grammar-matcher.js";
import type { VocabTrie } from "./vocab-trie.js";

/** Schemas and an instance of each (written as a model would, whitespace included). */
export const WARM_UP: readonly { readonly schema: unknown; readonly text: string }[] = [
  {
    // Keys and values of a plain object: string bodies with and without length bounds (one too
    // far ahead to count), numbers, an enum, an array, nesting.
    schema: {
      type: "object",
      properties: {
        name: { type: "string", maxLength: 12 },
        note: { type: "string", maxLength: 200 },
        tags: { type: "array", items: { type: "string" }, maxItems: 4 },
        count: { type: "integer", minimum: 0 },
        ratio: { type: "number" },
        kind: { enum: ["alpha", "beta"] },
        child: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
      },
      required: ["name", "count"],
      additionalProperties: false,
    },
    text: '{"name": "Ada L.", "note": "a \\"quoted\\" note, then text — ünïcode", "tags": ["x", "yz"], "count": 12, "ratio": -0.5e3, "kind": "beta", "child": {"ok": true}}',
  },
  {
    // Overlapping branches (GLR): configurations fork inside every key.
    schema: {
      type: "object",
      anyOf: [
        { properties: { include: { type: "array", items: { type: "string" } } } },
        { properties: { exclude: { type: "array", items: { type: "string" } } } },
      ],
    },
    text: '{"include": ["src/a.ts", "b"], "other": {"deep": [1, 2, {"k": null}]}, "exclude": []}',
  },
  {
    // Patterns and formats: string bodies from regular expressions.
    schema: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "string", pattern: "^[a-z]{2,8}-[0-9]{3}$" },
          at: { type: "string", format: "date-time" },
          url: { type: "string", format: "uri" },
        },
        required: ["id"],
      },
    },
    text: '[{"id": "abc-123", "at": "2024-05-06T07:08:09Z", "url": "https://example.com/a?b=c"}, {"id": "zz-999"}]',
  },
];

/** What the warm-up did (for logs and tests). */
export interface WarmUpReport {
  readonly masks: number;
  /** Walks that reached the end of their instance, complete (all of them, unless a bug). */
  readonly completed: number;
  readonly walks: number;
  /** The engine of each schema's grammar. */
  readonly engines: readonly string[];
  readonly ms: number;
}

/**
 * Compiles the built-in schemas with `compiler` (not kept in its cache) and walks each instance
 * twice, one mask per token, taking the longest token the mask allows at each step.
 */
export function warmUpGrammarEngine(compiler: GrammarCompiler): WarmUpReport {
  const t0 = performance.now();
  let masks = 0;
  let completed = 0;
  let walks = 0;
  const engines: string[] = [];
  for (const { schema, text } of WARM_UP) {
    const compiled = compiler.compileUncached(grammarFromJsonSchema(schema, { whitespace: "flexible" }).ast);
    engines.push(compiled.engine);
    const mask = new Int32Array(compiled.wordsPerRow);
    const bytes = new TextEncoder().encode(text);
    // The second walk meets the caches the first one filled.
    for (let pass = 0; pass < 2; pass++) {
      const matcher = new GrammarMatcher(compiled);
      walks++;
      let at = 0;
      while (at < bytes.length) {
        matcher.fillNextTokenMask(mask, 0);
        masks++;
        const next = longestAllowed(compiler.trie, bytes, at, mask);
        if (next === null || !matcher.acceptToken(next.id)) break;
        at += next.length;
      }
      matcher.fillNextTokenMask(mask, 0);
      masks++;
      if (at === bytes.length && matcher.isCompleted()) completed++;
    }
  }
  return { masks, completed, walks, engines, ms: performance.now() - t0 };
}

/** The longest token the mask allows that spells `bytes[at ..]`'s next bytes, or null. */
function longestAllowed(
  trie: VocabTrie,
  bytes: Uint8Array,
  at: number,
  mask: Int32Array,
): { id: number; length: number } | null {
  let best: { id: number; length: number } | null = null;
  let node = 0;
  for (let k = at; k < bytes.length; k++) {
    // Children of a node are the subtrees right after it, in byte order.
    let child = node + 1;
    while (child < (trie.subtreeEnd[node] as number) && trie.nodeByte[child] !== bytes[k])
      child = trie.subtreeEnd[child] as number;
    if (child >= (trie.subtreeEnd[node] as number)) break;
    node = child;
    for (let t = trie.tokenStart[node] as number; t < (trie.tokenStart[node + 1] as number); t++) {
      const id = trie.tokenIds[t] as number;
      if ((((mask[id >> 5] as number) >>> (id & 31)) & 1) === 1) best = { id, length: k - at + 1 };
    }
  }
  return best;
}
