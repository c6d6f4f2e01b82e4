import type { Command } from "commander";
import { InvalidArgumentError } from "../errors.js";
import type { SupportedDType } from "../model/ggml-types.js";
import { convertLlama2c } from "../model/llama2c-convert.js";
import { makeModel } from "../model/make-model.js";
import { type MakeArch, type ModelShape, PRESETS, type VocabName } from "../model/presets.js";
import { VOCAB_NAMES } from "../model/vocab-sources.js";
import { parseChoice, parseIntOption } from "./parse.js";

interface MakeModelFlags {
  preset?: string;
  arch?: MakeArch;
  vocab?: VocabName;
  dim?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  ffn?: number;
  maxContext?: number;
  dtype?: string;
  format: "gguf" | "hf";
  seed: number;
  out: string;
  fromLlama2c?: string;
  json?: boolean;
}

const DTYPES = ["f32", "f16", "bf16", "q8_0"] as const;

/** The preset (default `tiny`) with every explicit flag applied on top. */
function shapeFromFlags(flags: MakeModelFlags): ModelShape {
  const presetName = flags.preset ?? "tiny";
  const preset = PRESETS[presetName];
  if (!preset) {
    throw new InvalidArgumentError(
      `unknown preset "${presetName}" (known: ${Object.keys(PRESETS).join(", ")})`,
      "preset",
    );
  }
  const explicitHeads = flags.heads !== undefined || flags.dim !== undefined;
  return {
    ...preset,
    arch: flags.arch ?? preset.arch,
    vocab: flags.vocab ?? preset.vocab,
    dim: flags.dim ?? preset.dim,
    layers: flags.layers ?? preset.layers,
    heads: flags.heads ?? preset.heads,
    kvHeads: flags.kvHeads ?? flags.heads ?? preset.kvHeads,
    headDim: explicitHeads ? undefined : preset.headDim,
    ffn: flags.ffn ?? preset.ffn,
    maxContext: flags.maxContext ?? preset.maxContext,
    dtype: (flags.dtype?.toUpperCase() as SupportedDType | undefined) ?? preset.dtype,
  };
}

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e3).toFixed(1)} kB`;
}

/** Registers `tokenflow make-model`. */
export function registerMakeModel(program: Command, out: (s: string) => void): void {
  const archs: readonly MakeArch[] = ["llama", "qwen2", "qwen3"];
  program
    .command("make-model")
    .description("write a model with seeded random weights and a real vocabulary (GGUF or Hugging Face)")
    .option("--preset <name>", `shape preset: ${Object.keys(PRESETS).join(", ")} (default tiny)`)
    .option("--arch <arch>", "llama | qwen2 | qwen3", parseChoice("arch", archs))
    .option("--vocab <name>", VOCAB_NAMES.join(" | "), parseChoice("vocab", VOCAB_NAMES))
    .option("--dim <n>", "hidden size", parseIntOption("dim", 8, 65536))
    .option("--layers <n>", "number of layers", parseIntOption("layers", 1, 1024))
    .option("--heads <n>", "attention heads", parseIntOption("heads", 1, 1024))
    .option("--kv-heads <n>", "key/value heads", parseIntOption("kv-heads", 1, 1024))
    .option("--ffn <n>", "feed-forward width", parseIntOption("ffn", 1, 1 << 20))
    .option("--max-context <n>", "context length", parseIntOption("max-context", 16, 1 << 24))
    .option("--dtype <type>", DTYPES.join(" | "), parseChoice("dtype", DTYPES))
    .option("--format <fmt>", "gguf | hf", parseChoice("format", ["gguf", "hf"] as const), "gguf")
    .option("--seed <n>", "weight seed", parseIntOption("seed", 0, 0xffffffff), 0)
    .option("--from-llama2c <path>", "convert a llama2.c checkpoint (e.g. stories260K.bin) to GGUF")
    .option("--json", "print the result as JSON")
    .requiredOption("--out <path>", "output file (gguf) or directory (hf)")
    .action(async (flags: MakeModelFlags) => {
      const started = performance.now();
      const made = flags.fromLlama2c
        ? await convertLlama2c(
            flags.fromLlama2c,
            flags.out,
            (flags.dtype?.toUpperCase() ?? "F32") as SupportedDType,
          )
        : await makeModel({
            shape: shapeFromFlags(flags),
            format: flags.format,
            seed: flags.seed,
            out: flags.out,
          });
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) {
        out(
          `${JSON.stringify({ path: made.path, numParams: made.numParams, sizeBytes: made.sizeBytes, spec: made.spec })}\n`,
        );
        return;
      }
      const s = made.spec;
      out(
        `wrote ${made.path}: ${s.architecture}, ${(made.numParams / 1e6).toFixed(2)}M params, ${formatBytes(made.sizeBytes)}, ` +
          `dim ${s.dim}, ${s.numLayers} layers, ${s.numHeads}/${s.numKvHeads} heads, vocab ${s.vocabSize} (${seconds.toFixed(1)} s)\n`,
      );
    });
}
