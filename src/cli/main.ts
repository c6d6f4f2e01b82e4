import { Command, CommanderError } from "commander";
import { ServingError } from "../errors.js";
import { registerBench } from "./bench-command.js";
import { registerGenerate } from "./generate-command.js";
import { registerGrammar } from "./grammar-command.js";
import { registerInspect } from "./inspect-command.js";
import { registerMakeModel } from "./make-model-command.js";
import { registerServe } from "./serve-command.js";
import { registerTokenize } from "./tokenize-command.js";

/** Builds the `tokenflow` command tree. Output goes to the given writers (tests capture it). */
export function buildProgram(out: (s: string) => void): Command {
  const program = new Command("tokenflow")
    .description("A streaming LLM server with TokenFlow scheduling and Pre3 structured generation")
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (s) => process.stderr.write(s) });
  registerMakeModel(program, out);
  registerTokenize(program, out);
  registerInspect(program, out);
  registerGenerate(program, out);
  registerBench(program, out);
  registerServe(program, out);
  registerGrammar(program, out);
  return program;
}

/**
 * Runs the CLI with `argv` (as in `process.argv`) and returns the exit code. Errors a user can
 * cause print one clear line; anything else prints its stack.
 */
export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  try {
    await buildProgram(out).parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ServingError) {
      process.stderr.write(`tokenflow: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`tokenflow: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}
