import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { InvalidArgumentError } from "../errors.js";
import {
  grammarFromChoices,
  grammarFromGbnf,
  grammarFromJsonSchema,
  grammarFromRegex,
} from "../grammar/front-ends.js";
import type { GrammarAst } from "../grammar/grammar-ast.js";
import { GrammarCompiler } from "../grammar/grammar-compiler.js";
import { GrammarMatcher } from "../grammar/grammar-matcher.js";
import { openModel } from "../model/open-model.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { tokenizerForModel } from "../model/tokenizer-for-model.js";
import { generateSequences, kvBytesFor, type SequenceConstraint } from "../runtime/generate.js";
import { NativeRunner } from "../runtime/native-runner.js";
import { parseIntOption } from "./parse.js";

interface GenerateFlags {
  model: string;
  prompt?: string;
  tokens?: string;
  maxTokens: number;
  temperature: number;
  seed: number;
  ignoreEos?: boolean;
  json?: boolean;
  threads?: number;
  jsonSchema?: string;
  grammar?: string;
  regex?: string;
  choices?: string;
}

/** The grammar of the constraint flags, or null when none is given (at most one may be). */
async function constraintGrammar(flags: GenerateFlags): Promise<GrammarAst | null> {
  const given = [flags.jsonSchema, flags.grammar, flags.regex, flags.choices].filter((f) => f !== undefined);
  if (given.length > 1)
    throw new InvalidArgumentError(
      "give at most one of --json-schema, --grammar, --regex and --choices",
      "grammar",
    );
  if (flags.jsonSchema !== undefined) {
    let schema: unknown;
    try {
      schema = JSON.parse(await readFile(flags.jsonSchema, "utf8"));
    } catch (err) {
      throw new InvalidArgumentError(
        `--json-schema ${flags.jsonSchema}: ${(err as Error).message}`,
        "json-schema",
      );
    }
    // Unenforceable keywords are refused by name (UnsupportedSchemaError), never dropped.
    return grammarFromJsonSchema(schema, { propertyOrder: "schema" }).ast;
  }
  if (flags.grammar !== undefined) return grammarFromGbnf(await readFile(flags.grammar, "utf8"));
  if (flags.regex !== undefined) return grammarFromRegex(flags.regex);
  if (flags.choices !== undefined) return grammarFromChoices(flags.choices.split(","));
  return null;
}

/** A matcher factory for `ast` over `tokenizer`'s vocabulary (compiled once). */
function constraintFactory(ast: GrammarAst, tokenizer: Tokenizer): () => SequenceConstraint {
  const compiled = new GrammarCompiler(tokenizer.info).compile(ast);
  return () => new GrammarMatcher(compiled);
}

function parseTemperature(raw: string): number {
  const t = Number(raw);
  if (!Number.isFinite(t) || t < 0 || t > 100)
    throw new InvalidArgumentError(`--temperature must be in [0, 100], got "${raw}"`, "temperature");
  return t;
}

function parseTokenList(raw: string, vocabSize: number): number[] {
  const ids = raw.split(",").map((s) => s.trim());
  return ids.map((s) => {
    const id = Number(s);
    if (!/^\d+$/.test(s) || id >= vocabSize) {
      throw new InvalidArgumentError(
        `--tokens: "${s}" is not a token id below the vocabulary size ${vocabSize}`,
        "tokens",
      );
    }
    return id;
  });
}

/** Registers `tokenflow generate`. */
export function registerGenerate(program: Command, out: (s: string) => void): void {
  program
    .command("generate")
    .description("generate from a prompt with the native runtime")
    .requiredOption("--model <path>", "GGUF file, Hugging Face directory or llama2.c checkpoint")
    .option("--prompt <text>", "prompt text (BOS added when the model asks for it)")
    .option("--tokens <ids>", "prompt token ids, comma-separated, used exactly as given")
    .option("--max-tokens <n>", "tokens to generate", parseIntOption("max-tokens", 0, 1 << 20), 64)
    .option("--temperature <t>", "0 = greedy", parseTemperature, 0)
    .option("--seed <n>", "sampling seed", parseIntOption("seed", 0, Number.MAX_SAFE_INTEGER), 0)
    .option("--threads <n>", "compute threads (default: all cores)", parseIntOption("threads", 1, 1024))
    .option("--ignore-eos", "keep generating past end-of-generation tokens")
    .option("--json", 'print {"tokens":[...],"text":"..."} (constrained: also "finish")')
    .option("--json-schema <file>", "constrain the output to JSON matching this JSON Schema file")
    .option("--grammar <file>", "constrain the output to this GBNF grammar (llama.cpp dialect)")
    .option("--regex <pattern>", "constrain the whole output to this regular expression")
    .option("--choices <a,b,c>", "constrain the output to one of these comma-separated strings")
    .action(async (flags: GenerateFlags) => {
      if ((flags.prompt === undefined) === (flags.tokens === undefined)) {
        throw new InvalidArgumentError("give exactly one of --prompt and --tokens", "prompt");
      }
      const ast = await constraintGrammar(flags);
      const model = await openModel(flags.model);
      const tokenizer = model.vocab || model.tokenizerJson ? tokenizerForModel(model) : null;
      if (ast && !tokenizer)
        throw new InvalidArgumentError("a constrained output needs the model's tokenizer", "grammar");
      const constraint = ast && tokenizer ? constraintFactory(ast, tokenizer) : null;
      const prompt =
        flags.tokens !== undefined
          ? parseTokenList(flags.tokens, model.spec.vocabSize)
          : (tokenizer ?? tokenizerForModel(model)).encode(flags.prompt ?? "", { addBos: model.spec.addBos });
      const total = prompt.length + flags.maxTokens;
      if (total > model.spec.contextLength) {
        throw new InvalidArgumentError(
          `prompt (${prompt.length}) + max tokens exceeds the context (${model.spec.contextLength})`,
          "max-tokens",
        );
      }
      const runner = await NativeRunner.create(model, {
        kvCacheBytes: kvBytesFor(model.spec, 1, total),
        ...(flags.threads ? { numThreads: flags.threads } : {}),
      });
      try {
        const eog = flags.ignoreEos ? new Set<number>() : new Set(model.spec.specialTokens.eogIds);
        const sampling = { temperature: flags.temperature, seed: flags.seed };
        const [seq] = await generateSequences(runner, [prompt], {
          maxTokens: flags.maxTokens,
          sampling,
          eogIds: eog,
          ...(constraint ? { constraint } : {}),
        });
        const tokens = seq?.tokens ?? [];
        const text = tokenizer
          ? tokenizer.decode(tokens, { skipSpecial: true, stripLeadingSpace: false })
          : "";
        const finish = constraint ? { finish: seq?.finish } : {};
        out(
          flags.json ? `${JSON.stringify({ tokens, text, ...finish })}\n` : `${text || tokens.join(" ")}\n`,
        );
      } finally {
        runner.dispose();
      }
    });
}
