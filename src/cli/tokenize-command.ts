import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { InvalidArgumentError } from "../errors.js";
import { openModel } from "../model/open-model.js";
import { tokenizerForModel } from "../model/tokenizer-for-model.js";

interface TokenizeFlags {
  model: string;
  text?: string;
  file?: string;
  addBos?: boolean;
  json?: boolean;
}

/** Registers `tokenflow tokenize`. */
export function registerTokenize(program: Command, out: (s: string) => void): void {
  program
    .command("tokenize")
    .description("tokenize a text (as one string, no BOS unless asked) with a model's tokenizer")
    .requiredOption("--model <path>", "GGUF file or Hugging Face directory")
    .option("--text <text>", "the text to tokenize")
    .option("--file <path>", "read the text from a file (UTF-8)")
    .option("--add-bos", "prepend the BOS token")
    .option("--json", 'print {"tokens":[...]}')
    .action(async (flags: TokenizeFlags) => {
      if ((flags.text === undefined) === (flags.file === undefined)) {
        throw new InvalidArgumentError("give exactly one of --text and --file", "text");
      }
      const text = flags.text ?? (await readFile(flags.file ?? "", "utf8"));
      const tokenizer = tokenizerForModel(await openModel(flags.model));
      const tokens = tokenizer.encode(text, { addBos: flags.addBos ?? false });
      if (flags.json) {
        out(`${JSON.stringify({ tokens })}\n`);
        return;
      }
      out(`${tokens.join(" ")}\n`);
      out(`(${tokens.length} tokens)\n`);
    });
}
