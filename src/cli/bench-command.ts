import type { Command } from "commander";
import { benchLlamaCppRuntime } from "../bench/runtime-bench-llama-cpp.js";
import { benchOursRuntime } from "../bench/runtime-bench-ours.js";
import type { RuntimeBenchOptions, RuntimeThroughput } from "../bench/runtime-bench-types.js";
import { openModel } from "../model/open-model.js";
import { registerBenchPeerServer } from "./bench-peer-command.js";
import { registerBenchServe } from "./bench-serve-command.js";
import { parseIntOption } from "./parse.js";

interface BenchRuntimeFlags {
  model: string;
  json?: boolean;
  threads?: number;
  repeat: number;
  promptTokens: number;
  decodeTokens: number;
  llamaCpp: boolean;
}

function ratios(ours: RuntimeThroughput, peer: RuntimeThroughput): RuntimeThroughput {
  const decode: Record<string, number> = {};
  for (const [k, v] of Object.entries(ours.decode)) decode[k] = v / (peer.decode[k] ?? Number.NaN);
  return { prefill: ours.prefill / peer.prefill, decode };
}

function table(ours: RuntimeThroughput, peer: RuntimeThroughput | null, promptTokens: number): string {
  const ratio = peer ? ratios(ours, peer) : null;
  const line = (name: string, a: number, b: number | undefined, r: number | undefined) =>
    `${name.padEnd(22)} ${a.toFixed(1).padStart(10)} ${(b?.toFixed(1) ?? "-").padStart(10)} ${(r?.toFixed(2) ?? "-").padStart(7)}\n`;
  let s = `${"tokens/s".padEnd(22)} ${"tokenflow".padStart(10)} ${"llama.cpp".padStart(10)} ${"ratio".padStart(7)}\n`;
  s += line(`prefill (${promptTokens} tokens)`, ours.prefill, peer?.prefill, ratio?.prefill);
  for (const [k, v] of Object.entries(ours.decode))
    s += line(`decode x${k}`, v, peer?.decode[k], ratio?.decode[k]);
  return s;
}

/** Registers `tokenflow bench runtime`. */
export function registerBench(program: Command, out: (s: string) => void): void {
  const bench = program.command("bench").description("benchmarks that print numbers");
  bench
    .command("runtime")
    .description(
      "prefill and batched-decode tokens/s of the native runtime and of llama.cpp on the same file",
    )
    .requiredOption("--model <path>", "GGUF file (llama.cpp reads GGUF only)")
    .option(
      "--threads <n>",
      "compute threads for both (default: all cores)",
      parseIntOption("threads", 1, 1024),
    )
    .option("--repeat <n>", "repetitions; medians are reported", parseIntOption("repeat", 1, 100), 3)
    .option("--prompt-tokens <n>", "prefill prompt length", parseIntOption("prompt-tokens", 1, 1 << 16), 512)
    .option(
      "--decode-tokens <n>",
      "decode steps timed per level",
      parseIntOption("decode-tokens", 1, 4096),
      32,
    )
    .option("--no-llama-cpp", "measure tokenflow only")
    .option("--json", "print one JSON object")
    .action(async (flags: BenchRuntimeFlags) => {
      const { cpus } = await import("node:os");
      const opts: RuntimeBenchOptions = {
        modelPath: flags.model,
        promptTokens: flags.promptTokens,
        concurrency: [1, 4, 16],
        decodeTokens: flags.decodeTokens,
        decodePromptTokens: 16,
        threads: flags.threads ?? cpus().length,
        repeat: flags.repeat,
        seed: 1,
      };
      const vocabSize = (await openModel(flags.model)).spec.vocabSize;
      const ours = await benchOursRuntime(opts);
      const peer = flags.llamaCpp ? await benchLlamaCppRuntime(opts, vocabSize) : null;
      if (flags.json) {
        out(`${JSON.stringify({ ours, llamacpp: peer, ratio: peer ? ratios(ours, peer) : null })}\n`);
        return;
      }
      out(table(ours, peer, opts.promptTokens));
    });
  registerBenchPeerServer(bench, out);
  registerBenchServe(bench, out);
}
