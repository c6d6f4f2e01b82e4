/**
 * `tokenflow bench serve`: a serving benchmark with bursts, Poisson/Gamma arrivals or trace
 * replay, simulated readers, and user-facing metrics (TTFT, stalls, rebuffering, effective
 * throughput, QoE), against an HTTP server or an in-process engine (cpu, sim or mock runtime).
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { parseSlo } from "../bench/aggregate-metrics.js";
import { parseWorkloadSpec } from "../bench/arrivals.js";
import { parseSchedulers, SCHEDULER_NAMES } from "../bench/bench-schedulers.js";
import { type BenchServeOptions, runBenchServe } from "../bench/bench-serve.js";
import { formatBenchTable } from "../bench/bench-serve-table.js";
import type { BenchReport } from "../bench/bench-types.js";
import type { PromptSource } from "../bench/exact-prompts.js";
import { parseLengthDist } from "../bench/length-dist.js";
import { parseRates } from "../bench/readers.js";
import { parseTraceWindow } from "../bench/traces.js";
import { InvalidArgumentError } from "../errors.js";
import { parseChoice, parseIntOption } from "./parse.js";
import { parseBytes } from "./serve-command.js";

/** Flags of `bench serve` as commander parses them. */
export interface BenchServeFlags {
  target?: string;
  runtime?: "cpu" | "sim" | "mock";
  model?: string;
  profile?: string;
  threads?: number;
  kvCacheMemory?: number;
  hostKvMemory?: number;
  modelName?: string;
  apiKey?: string;
  tokenizer?: string;
  vocabSize?: number;
  workload: string;
  numRequests?: number;
  inputLen?: string;
  outputLen?: string;
  traceWindow?: string;
  traceSpeedup: string;
  rates: string;
  prompts: string;
  textPrompts?: boolean;
  schedulers: string;
  slo?: string;
  qoeTtft: number;
  jsonSchema?: string;
  constrainedFraction: string;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  seed: number;
  out?: string;
  json?: boolean;
}

/** The ShareGPT prompts in the shared data directory (`$TOKENFLOW_SHARED`, else `../shared`). */
function shareGptPath(): string {
  return resolve(process.env.TOKENFLOW_SHARED ?? "../shared", "data/prompts/sharegpt-v3-filtered-1000.json");
}

function promptSource(raw: string): PromptSource {
  if (raw === "synthetic") return { kind: "synthetic" };
  return { kind: "texts", path: raw === "sharegpt" ? shareGptPath() : raw };
}

function fraction(raw: string, flag: string): number {
  const f = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(f) || f < 0 || f > 1)
    throw new InvalidArgumentError(`--${flag} must be a number in [0, 1], got "${raw}"`, flag);
  return f;
}

function targetOf(f: BenchServeFlags): BenchServeOptions["target"] {
  if ((f.target === undefined) === (f.runtime === undefined))
    throw new InvalidArgumentError("give exactly one of --target URL or --runtime cpu|sim|mock", "target");
  if (f.target !== undefined)
    return {
      kind: "http",
      url: f.target,
      modelName: f.modelName ?? null,
      apiKey: f.apiKey ?? null,
      tokenizer: f.tokenizer ?? null,
      vocabSize: f.vocabSize ?? null,
    };
  if (f.runtime === "cpu") {
    if (!f.model) throw new InvalidArgumentError("--runtime cpu needs --model PATH", "model");
    return {
      kind: "cpu",
      modelPath: f.model,
      threads: f.threads ?? null,
      kvCacheBytes: f.kvCacheMemory ?? null,
      hostKvBytes: f.hostKvMemory ?? 0,
    };
  }
  if (f.runtime === "sim") {
    if (!f.profile) throw new InvalidArgumentError("--runtime sim needs --profile NAME", "profile");
    return { kind: "sim", profile: f.profile };
  }
  return { kind: "mock" };
}

async function readSchema(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new InvalidArgumentError(`--json-schema ${path}: ${(err as Error).message}`, "json-schema");
  }
}

/** Turns parsed flags into {@link BenchServeOptions} (all validation errors are InvalidArgumentError). */
export async function benchServeOptions(f: BenchServeFlags): Promise<BenchServeOptions> {
  const window = f.traceWindow ? parseTraceWindow(f.traceWindow) : null;
  const speedup = Number(f.traceSpeedup);
  if (!Number.isFinite(speedup) || speedup <= 0)
    throw new InvalidArgumentError(
      `--trace-speedup must be a positive number, got "${f.traceSpeedup}"`,
      "trace-speedup",
    );
  return {
    target: targetOf(f),
    workload: parseWorkloadSpec(f.workload),
    numRequests: f.numRequests ?? null,
    inputLen: f.inputLen ? parseLengthDist(f.inputLen, "input-len") : null,
    outputLen: f.outputLen ? parseLengthDist(f.outputLen, "output-len") : null,
    rates: parseRates(f.rates),
    seed: f.seed,
    traceReplay: { windowStartS: window?.startS ?? 0, windowDurationS: window?.durationS ?? null, speedup },
    schedulers: parseSchedulers(f.schedulers),
    slo: f.slo ? parseSlo(f.slo) : null,
    qoeTtftTargetS: f.qoeTtft / 1000,
    jsonSchema: f.jsonSchema ? await readSchema(f.jsonSchema) : null,
    constrainedFraction: fraction(f.constrainedFraction, "constrained-fraction"),
    prompts: promptSource(f.prompts),
    textPrompts: f.textPrompts ?? false,
    maxNumSeqs: f.maxNumSeqs,
    maxNumBatchedTokens: f.maxNumBatchedTokens,
  };
}

/** Writes `--out DIR` through the report writer (loaded only when asked for: it pulls in charting). */
async function writeReport(dir: string, report: BenchReport): Promise<string[]> {
  const { writeBenchReport } = await import("../bench/bench-report.js");
  return writeBenchReport(dir, report);
}

/** Runs `bench serve` with parsed flags, printing JSON or a table to `out`. */
export async function runBenchServeCommand(
  flags: BenchServeFlags,
  out: (s: string) => void,
): Promise<BenchReport> {
  const report = await runBenchServe(await benchServeOptions(flags));
  if (flags.out) {
    const files = await writeReport(flags.out, report);
    if (!flags.json) out(`wrote ${files.join(", ")}\n`);
  }
  if (flags.json)
    out(`${JSON.stringify({ workload: report.workload, runs: report.runs.map((r) => r.summary) })}\n`);
  else out(formatBenchTable(report));
  return report;
}

/** Options choosing and configuring the target. */
function addTargetOptions(cmd: Command): Command {
  return cmd
    .option("--target <url>", "an OpenAI-compatible server to stream /v1/completions from")
    .option(
      "--runtime <kind>",
      "in-process engine: cpu (real time), sim or mock (virtual time)",
      parseChoice("runtime", ["cpu", "sim", "mock"] as const),
    )
    .option("--model <path>", "model file for --runtime cpu")
    .option("--profile <name>", "simulated GPU profile for --runtime sim, e.g. h200-llama3-8b")
    .option("--threads <n>", "compute threads for --runtime cpu", parseIntOption("threads", 1, 1024))
    .option("--kv-cache-memory <bytes>", "KV cache for --runtime cpu, e.g. 256M", parseBytes)
    .option(
      "--host-kv-memory <bytes>",
      "host KV tier for --runtime cpu, e.g. 1G (default 0: none)",
      parseBytes,
    )
    .option("--model-name <id>", "model id sent to --target (default: the first of /v1/models)")
    .option("--api-key <key>", "bearer token for --target")
    .option(
      "--tokenizer <name|path>",
      "for --target: llama2, llama3, qwen3 or a model path (ShareGPT/text prompts)",
    )
    .option(
      "--vocab-size <n>",
      "for --target without --tokenizer: synthetic ids stay below it",
      parseIntOption("vocab-size", 4, 1 << 24),
    );
}

/** Options of the workload: arrivals, lengths, readers, prompts. */
function addWorkloadOptions(cmd: Command): Command {
  return cmd
    .option("--workload <spec>", "burst:N, poisson:RATE, gamma:RATE:CV or trace:PATH", "burst:16")
    .option(
      "--num-requests <n>",
      "requests of poisson/gamma (default 100); cap for traces",
      parseIntOption("num-requests", 1, 10_000_000),
    )
    .option("--input-len <dist>", "N, normal:MEAN:STD or uniform:LO:HI (default 512; traces: the trace's)")
    .option("--output-len <dist>", "N, normal:MEAN:STD or uniform:LO:HI (default 256; traces: the trace's)")
    .option("--trace-window <start:duration>", "replay only this window of the trace (seconds)")
    .option("--trace-speedup <x>", "divide trace arrival gaps by x", "1")
    .option("--rates <mix>", "reader tokens/s: 20, or a mix like 15:0.4,20:0.6", "20")
    .option("--prompts <source>", "synthetic, sharegpt, or a ShareGPT-format JSON file", "synthetic")
    .option("--text-prompts", "send text prompts (re-tokenizing to exactly the input length) to --target");
}

/** Options of the runs and of the output. */
function addRunOptions(cmd: Command): Command {
  return cmd
    .option(
      "--schedulers <list>",
      `policies to compare, in order: ${SCHEDULER_NAMES.join(", ")} (labels only for --target)`,
      "fcfs",
    )
    .option("--slo <spec>", "request SLOs for goodput, e.g. ttft:1000,tpot:50 (ms)")
    .option(
      "--qoe-ttft <ms>",
      "Andes QoE: expected time to first token",
      parseIntOption("qoe-ttft", 0, 3_600_000),
      1300,
    )
    .option("--json-schema <file>", "constrain requests to this JSON Schema (grammar overhead)")
    .option("--constrained-fraction <f>", "share of requests with the schema", "1")
    .option(
      "--max-num-seqs <n>",
      "in-process: most running sequences",
      parseIntOption("max-num-seqs", 1, 65536),
      256,
    )
    .option(
      "--max-num-batched-tokens <n>",
      "in-process: token budget per step",
      parseIntOption("max-num-batched-tokens", 1, 1 << 20),
      2048,
    )
    .option(
      "--seed <n>",
      "seed of the workload (and of the simulator)",
      parseIntOption("seed", 0, 2 ** 31 - 1),
      0,
    )
    .option("--out <dir>", "write report.json, report.md and SVG charts here")
    .option("--json", "print one JSON object: {workload, runs: [summary, ...]}");
}

/** Registers `tokenflow bench serve` under the `bench` command group. */
export function registerBenchServe(bench: Command, out: (s: string) => void): void {
  const cmd = bench
    .command("serve")
    .description("serving benchmark: bursts, arrivals or traces, simulated readers, user-facing metrics");
  addRunOptions(addWorkloadOptions(addTargetOptions(cmd))).action(async (flags: BenchServeFlags) => {
    await runBenchServeCommand(flags, out);
  });
}
