/**
 * The benchmark's peer: what a Node developer would build today to serve a GGUF model with
 * node-llama-cpp. One model, one context with N sequences, requests served first come, first
 * served behind an OpenAI-compatible streaming API (`POST /v1/completions`, `GET /v1/models`,
 * `GET /health`), so `tokenflow bench serve --target` can compare it with tokenflow on the same
 * machine and model. node-llama-cpp is a development dependency, loaded only here.
 */
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { basename, extname } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import type { Llama, LlamaContext, LlamaModel } from "node-llama-cpp";
import { ApiError, InvalidArgumentError, UnsupportedError } from "../errors.js";
import { errorResponse } from "../server/error-response.js";
import { handlePeerCompletion, type PeerRuntime } from "./peer-completions.js";
import type { PeerModelLimits } from "./peer-request.js";
import { SequencePool } from "./peer-sequence-pool.js";

/** Settings of {@link startPeerServer}. */
export interface PeerServerOptions {
  /** GGUF file to serve. */
  readonly modelPath: string;
  /** Parallel sequences in the one context (requests beyond wait in a FIFO queue). */
  readonly sequences: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 8081 (tokenflow's own server defaults to 8080); 0 picks a free port. */
  readonly port?: number;
  /**
   * Compute threads; default `availableParallelism()`, one per core like tokenflow's own runtime. (Left to
   * itself, node-llama-cpp picks a thread count that collapses decoding here: 3 s per token on
   * the bench model on a 2-core machine, against 70 ms with 2 threads.)
   */
  readonly threads?: number;
  /** Tokens per sequence (prompt plus output); default the model's, at most 4096. */
  readonly contextSize?: number;
}

/** A listening peer server. */
export interface PeerServer {
  /** Base URL, e.g. `http://127.0.0.1:8081` (the API is under `/v1`). */
  readonly url: string;
  readonly app: FastifyInstance;
  /** Tokens per sequence actually allocated. */
  readonly contextSize: number;
  readonly sequences: number;
  /** Aborts requests in flight, stops listening, frees the context and the model. */
  close(): Promise<void>;
}

/** Default tokens per sequence: enough for the paper's prompts plus outputs. */
const DEFAULT_MAX_CONTEXT = 4096;
/** How long `close` waits for aborted generations to reach their next token. */
const DRAIN_LIMIT_MS = 5000;

async function loadLlama(): Promise<Llama> {
  let lib: typeof import("node-llama-cpp");
  try {
    lib = await import("node-llama-cpp");
  } catch (err) {
    throw new UnsupportedError(
      "the peer server needs the node-llama-cpp package, a development dependency of tokenflow: " +
        "install the development dependencies (npm install, without --omit=dev)",
      { cause: err },
    );
  }
  return lib.getLlama({
    gpu: false,
    build: "never",
    logLevel: lib.LlamaLogLevel.error,
    usePrebuiltBinaries: true,
  });
}

function vocabSizeOf(model: LlamaModel): number {
  const tokens = model.fileInfo.metadata?.tokenizer?.ggml?.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0) {
    throw new UnsupportedError(`${model.filename ?? "the model"} has no tokenizer vocabulary`);
  }
  return tokens.length;
}

function limitsOf(model: LlamaModel, contextSize: number): PeerModelLimits {
  return {
    vocabSize: vocabSizeOf(model),
    contextSize,
    tokenize(text: string): number[] {
      const tokens: number[] = model.tokenize(text, false);
      const bos = model.tokens.bos;
      return model.tokens.shouldPrependBosToken && bos !== null ? [bos, ...tokens] : tokens;
    },
  };
}

function buildApp(runtime: PeerRuntime, sequences: number): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 16 * 1024 * 1024 });
  app.setErrorHandler((err, _request, reply) => {
    const r = errorResponse(err);
    return reply.code(r.status).headers(r.headers).send(r.body);
  });
  app.setNotFoundHandler((request) => {
    throw new ApiError("not_found", `no such endpoint: ${request.method} ${request.url.split("?")[0]}`);
  });
  app.addContentTypeParser("*", { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));
  app.post("/v1/completions", (request, reply) => handlePeerCompletion(runtime, request, reply));
  app.get("/v1/models", async () => ({
    object: "list",
    data: [
      {
        id: runtime.modelName,
        object: "model",
        created: Math.floor(Date.now() / 1000),
        owned_by: "node-llama-cpp",
        max_model_len: runtime.limits.contextSize,
      },
    ],
  }));
  app.get("/health", async () => ({
    status: "ok",
    sequences,
    free: runtime.pool.numFree,
    queued: runtime.pool.numWaiting,
    completed: runtime.stats.numCompleted,
    aborted: runtime.stats.numAborted,
  }));
  return app;
}

/** Waits (up to `DRAIN_LIMIT_MS`) until aborted requests have stopped using their sequences. */
async function drain(runtime: PeerRuntime): Promise<void> {
  const deadline = performance.now() + DRAIN_LIMIT_MS;
  while ((runtime.active.size > 0 || runtime.pool.numResetting > 0) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function createContext(model: LlamaModel, opts: PeerServerOptions): Promise<LlamaContext> {
  const contextSize = opts.contextSize ?? Math.min(model.trainContextSize, DEFAULT_MAX_CONTEXT);
  return model.createContext({
    sequences: opts.sequences,
    contextSize,
    threads: opts.threads ?? availableParallelism(),
  });
}

/**
 * Loads the model, creates the context and starts listening.
 * @throws UnsupportedError when node-llama-cpp is not installed; InvalidArgumentError on bad
 *   options or when the address is taken.
 */
export async function startPeerServer(opts: PeerServerOptions): Promise<PeerServer> {
  if (!Number.isSafeInteger(opts.sequences) || opts.sequences < 1) {
    throw new InvalidArgumentError(
      `sequences must be a positive integer, got ${opts.sequences}`,
      "sequences",
    );
  }
  const llama = await loadLlama();
  const model = await llama.loadModel({ modelPath: opts.modelPath });
  let context: LlamaContext | null = null;
  try {
    context = await createContext(model, opts);
    const items = Array.from({ length: opts.sequences }, () => (context as LlamaContext).getSequence());
    const runtime: PeerRuntime = {
      model,
      modelName: basename(opts.modelPath, extname(opts.modelPath)),
      limits: limitsOf(model, context.contextSize),
      pool: new SequencePool(items, (s) => s.clearHistory()),
      active: new Set(),
      stats: { numCompleted: 0, numAborted: 0 },
    };
    const app = buildApp(runtime, opts.sequences);
    const host = opts.host ?? "127.0.0.1";
    try {
      await app.listen({ host, port: opts.port ?? 8081 });
    } catch (err) {
      throw new InvalidArgumentError(`cannot listen on ${host}:${opts.port}: ${(err as Error).message}`);
    }
    const port = (app.server.address() as AddressInfo).port;
    const ctx = context;
    return {
      url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
      app,
      contextSize: ctx.contextSize,
      sequences: opts.sequences,
      async close() {
        runtime.pool.close();
        for (const abort of runtime.active) abort.abort();
        await drain(runtime);
        await app.close();
        await ctx.dispose();
        await model.dispose();
      },
    };
  } catch (err) {
    await context?.dispose();
    await model.dispose();
    throw err;
  }
}
