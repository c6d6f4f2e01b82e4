import type { Command } from "commander";
import { readBenchSchemas, runGrammarBench } from "../bench/grammar-bench.js";
import { oursBenchEngine } from "../bench/grammar-bench-ours.js";
import { formatGrammarBenchTable } from "../bench/grammar-bench-table.js";
import { xgrammarBenchEngine } from "../bench/grammar-bench-xgrammar.js";
import type { VocabName } from "../model/presets.js";
import { tokenizerFromTokenizerJson } from "../model/tokenizer.js";
import { loadPackagedTokenizer, VOCAB_NAMES } from "../model/vocab-sources.js";
import { parseChoice, parseIntOption } from "./parse.js";

interface GrammarBenchFlags {
  schemas: string;
  vocab: VocabName;
  limit?: number;
  peer?: "xgrammar";
  json?: boolean;
  progress?: boolean;
  schemaBudgetS?: number;
  stride?: number;
  bySplit?: boolean;
}

/** Registers `tokenflow grammar` (subcommand `bench`). */
export function registerGrammar(program: Command, out: (s: string) => void): void {
  const grammar = program.command("grammar").description("grammar engine tools");
  grammar
    .command("bench")
    .description(
      "JSON Schema coverage, soundness (false rejects/accepts) and mask latency on JSONSchemaBench-style JSONL",
    )
    .requiredOption(
      "--schemas <path>",
      "JSONL, one {schema, tests:[{valid, data}]} per line, or a directory of such files (one split each)",
    )
    .option(
      "--vocab <name>",
      `vocabulary (${VOCAB_NAMES.join(", ")})`,
      parseChoice("vocab", VOCAB_NAMES),
      "llama3",
    )
    .option("--limit <n>", "first n schemas only", parseIntOption("limit", 1, 1 << 30))
    .option("--stride <n>", "every n-th schema of each file (a sample)", parseIntOption("stride", 1, 1 << 20))
    .option("--by-split", 'with --json: add "splits", the counts per split')
    .option("--peer <name>", "also run a peer engine (xgrammar)", parseChoice("peer", ["xgrammar"] as const))
    .option("--json", 'print {"ours":R,"peer":R|null}')
    .option("--progress", "print progress to stderr")
    .option(
      "--schema-budget-s <s>",
      'seconds one schema\'s walks may take per engine; past it the schema counts as refused "timeout"',
      parseIntOption("schema-budget-s", 1, 1 << 20),
      60,
    )
    .action(async (flags: GrammarBenchFlags) => {
      const schemas = await readBenchSchemas(flags.schemas, flags.limit, flags.stride);
      const tokenizer = await loadTokenizer(flags.vocab);
      const ours = oursBenchEngine(tokenizer);
      const peer = flags.peer === "xgrammar" ? await xgrammarBenchEngine(tokenizer) : null;
      try {
        const result = await runGrammarBench({
          tokenizer,
          schemas,
          ours,
          peer,
          ...(flags.schemaBudgetS ? { schemaBudgetMs: flags.schemaBudgetS * 1000 } : {}),
          ...(flags.progress
            ? { onSchema: (done: number, total: number) => process.stderr.write(`\r${done}/${total}`) }
            : {}),
        });
        if (flags.progress) process.stderr.write("\n");
        out(
          flags.json
            ? `${JSON.stringify({ ours: result.ours, peer: result.peer, ...(flags.bySplit ? { splits: result.splits } : {}) })}\n`
            : formatGrammarBenchTable(result),
        );
      } finally {
        ours.dispose();
        peer?.dispose();
      }
    });
}

/** The packaged tokenizer of `name`; its parsed JSON is not kept (megabytes the GC would trace). */
async function loadTokenizer(name: VocabName) {
  const pkg = await loadPackagedTokenizer(name);
  return tokenizerFromTokenizerJson(pkg.tokenizerJson, pkg.tokenizerConfig);
}
