/**
 * JSON-Schema-Test-Suite (draft 2020-12) conformance: every group compiles or is refused by
 * keyword; a compiled schema must never accept an invalid instance (compact and, with flexible
 * whitespace, pretty-printed). Valid instances rejected are counted, not failed: the grammar
 * writes one spelling per value (and, past the any-order budget, one property order).
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UnsupportedSchemaError } from "../errors.js";
import { sharedPath } from "../test-support/shared-data.js";
import { compileForTest } from "./compile-for-test.js";
import { referenceAccepts } from "./front-end-reference-matcher.js";
import { compileJsonSchema, type JsonSchemaOptions } from "./json-schema-compiler.js";

const suiteDir = sharedPath("data/json-schema-test-suite");

interface SuiteGroup {
  description: string;
  schema: unknown;
  tests: { description: string; data: unknown; valid: boolean }[];
}

interface KeywordCounts {
  groups: number;
  compiled: number;
  refused: number;
  validAccepted: number;
  validRejected: number;
  invalidRejected: number;
  invalidAccepted: number;
  refusedBy: Record<string, number>;
}

function emptyCounts(): KeywordCounts {
  return {
    groups: 0,
    compiled: 0,
    refused: 0,
    validAccepted: 0,
    validRejected: 0,
    invalidRejected: 0,
    invalidAccepted: 0,
    refusedBy: {},
  };
}

interface Failure {
  file: string;
  group: string;
  test: string;
  text: string;
  recogniser: string;
}

function runGroup(
  file: string,
  group: SuiteGroup,
  options: JsonSchemaOptions,
  counts: KeywordCounts,
  failures: Failure[],
) {
  counts.groups++;
  let compiled: ReturnType<typeof compileJsonSchema>;
  try {
    compiled = compileJsonSchema(group.schema, options);
  } catch (e) {
    const message = (e as Error).message;
    const reason =
      e instanceof UnsupportedSchemaError
        ? e.keyword
        : /accepts no/.test(message)
          ? "(accepts nothing)"
          : message;
    counts.refused++;
    counts.refusedBy[reason] = (counts.refusedBy[reason] ?? 0) + 1;
    return;
  }
  counts.compiled++;
  const earley = compileForTest(compiled.ast);
  for (const t of group.tests) {
    const texts = [JSON.stringify(t.data)];
    if (options.whitespace === "flexible") texts.push(JSON.stringify(t.data, null, 2));
    for (const text of texts) {
      const byEarley = earley.accepts(text);
      const byReference = referenceAccepts(compiled.ast, text);
      const where = { file, group: group.description, test: t.description, text };
      if (byEarley !== byReference)
        failures.push({ ...where, recogniser: `earley ${byEarley} ≠ reference ${byReference}` });
      const accepted = byEarley || byReference;
      if (t.valid) accepted ? counts.validAccepted++ : counts.validRejected++;
      else if (accepted) {
        counts.invalidAccepted++;
        failures.push({ ...where, recogniser: "invalid instance accepted" });
      } else counts.invalidRejected++;
    }
  }
}

function runSuite(
  dir: string,
  options: JsonSchemaOptions,
): { table: Record<string, KeywordCounts>; failures: Failure[] } {
  const table: Record<string, KeywordCounts> = {};
  const failures: Failure[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const groups = JSON.parse(readFileSync(join(dir, file), "utf8")) as SuiteGroup[];
    const counts = emptyCounts();
    for (const group of groups) runGroup(file, group, options, counts, failures);
    table[file.replace(/\.json$/, "")] = counts;
  }
  return { table, failures };
}

function printTable(title: string, table: Record<string, KeywordCounts>): void {
  const rows = Object.fromEntries(
    Object.entries(table).map(([k, c]) => [
      k,
      {
        groups: c.groups,
        compiled: c.compiled,
        refused: c.refused,
        "valid ok": c.validAccepted,
        "valid rejected": c.validRejected,
        "invalid rejected": c.invalidRejected,
        "INVALID ACCEPTED": c.invalidAccepted,
        "refused by": Object.entries(c.refusedBy)
          .map(([r, n]) => `${r}:${n}`)
          .join(" "),
      },
    ]),
  );
  console.log(`JSON-Schema-Test-Suite, ${title}`);
  console.table(rows);
}

describe.skipIf(suiteDir === null)("JSON Schema front end: JSON-Schema-Test-Suite (draft 2020-12)", () => {
  const dir = suiteDir ?? "";

  it.each([
    ["compact", { whitespace: "compact" }],
    ["flexible", { whitespace: "flexible" }],
  ] as const)("never accepts an invalid instance (%s whitespace)", (title, options) => {
    const { table, failures } = runSuite(dir, options);
    printTable(title, table);
    const totals = Object.values(table).reduce(
      (acc, c) => ({
        compiled: acc.compiled + c.compiled,
        validAccepted: acc.validAccepted + c.validAccepted,
        invalidAccepted: acc.invalidAccepted + c.invalidAccepted,
      }),
      { compiled: 0, validAccepted: 0, invalidAccepted: 0 },
    );
    console.log(`${title}: totals ${JSON.stringify(totals)}`);
    if (failures.length > 0) console.log(JSON.stringify(failures.slice(0, 20), null, 1));
    expect(failures).toEqual([]);
    expect(totals.compiled).toBeGreaterThanOrEqual(200);
  });
});
