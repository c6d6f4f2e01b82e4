/**
 * Test support: JSON Schemas picked from JSONSchemaBench (../shared) that both our grammar
 * front end and ajv compile, and the closing tokens that make a random model finish values.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Ajv, ValidateFunction } from "ajv";
import { grammarFromJsonSchema, type JsonSchemaOptions } from "../grammar/front-ends.js";
import type { Tokenizer } from "../model/tokenizer.js";

/** A schema picked for an end-to-end test, with its ajv validator. */
export interface PickedSchema {
  readonly id: string;
  readonly schema: Record<string, unknown>;
  readonly validate: ValidateFunction;
}

/**
 * The first `perSplit` schemas of each split (file order) that both our front end (with
 * `options`) and `ajv` compile; the skipped ones are counted per reason in `skipped`.
 */
export async function pickBenchSchemas(
  dir: string,
  ajv: Ajv,
  splits: readonly string[],
  perSplit: number,
  skipped: Record<string, number> = {},
  options: JsonSchemaOptions = {},
): Promise<PickedSchema[]> {
  const picked: PickedSchema[] = [];
  for (const split of splits) {
    const lines = (await readFile(join(dir, `${split}.jsonl`), "utf8")).split("\n").filter(Boolean);
    let n = 0;
    for (const line of lines) {
      if (n === perSplit) break;
      const row = JSON.parse(line) as { id: string; schema: Record<string, unknown> };
      try {
        grammarFromJsonSchema(row.schema, options);
      } catch {
        skipped.refusedByOurs = (skipped.refusedByOurs ?? 0) + 1;
        continue;
      }
      const { $schema: _ignored, ...forAjv } = row.schema;
      let validate: ValidateFunction;
      try {
        validate = ajv.compile(forAjv);
      } catch {
        skipped.refusedByAjv = (skipped.refusedByAjv ?? 0) + 1;
        continue;
      }
      picked.push({ id: row.id, schema: row.schema, validate });
      n++;
    }
  }
  return picked;
}

/**
 * Ids of tokens made only of `"`, `}`, `]` and `,`: under a JSON mask they are allowed exactly
 * when a value may end, so a bias on them makes a random model (which otherwise repeats one
 * token forever inside a string or a number) finish its values.
 */
export function closingTokenIds(tokenizer: Tokenizer): number[] {
  const ids: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const bytes = tokenizer.info.tokenBytes(id);
    if (bytes.length > 0 && bytes.every((b) => b === 0x22 || b === 0x7d || b === 0x5d || b === 0x2c))
      ids.push(id);
  }
  return ids;
}
