/**
 * The fastify app of tokenflow's OpenAI-compatible API: routes, authentication, body limits,
 * the one error handler, metrics, and graceful shutdown.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { ApiError } from "../errors.js";
import { ActiveStreams } from "./active-streams.js";
import { handleChat } from "./chat-route.js";
import { handleCompletion } from "./completions-route.js";
import { handleConsumed } from "./consumed-route.js";
import { registerDashboard } from "./dashboard-routes.js";
import { errorResponse } from "./error-response.js";
import type { ServedModel } from "./served-model.js";
import type { ServerContext } from "./server-context.js";
import type { ServerEngine } from "./server-engine.js";
import { ServerMetrics } from "./server-metrics.js";
import type { ConstraintCompiler } from "./structured-output.js";

/** Server settings; every field has a default. */
export interface ServerOptions {
  /** When set, `/v1/*` requires `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | null;
  /** Largest request body; larger ones get 413. Default 4 MiB. */
  readonly bodyLimitBytes?: number;
  /** Largest `n`. Default 16. */
  readonly maxN?: number;
  /** Most stop strings / stop token ids per request. Default 16. */
  readonly maxStops?: number;
  /** Grammar compiler for `response_format` / `structured_outputs`; `null` refuses them. */
  readonly compiler?: ConstraintCompiler | null;
  /** fastify's logger setting (pino JSON). Default off. */
  readonly logger?: FastifyServerOptions["logger"];
}

/** What {@link createServer} needs. */
export interface CreateServerArgs {
  readonly engine: ServerEngine;
  readonly model: ServedModel;
  readonly options?: ServerOptions;
}

/** A created server. Call `app.listen()` to serve, or `app.inject()` in tests. */
export interface TokenflowServer {
  readonly app: FastifyInstance;
  readonly metrics: ServerMetrics;
  /** Whether {@link shutdown} has begun. */
  readonly isDraining: () => boolean;
  /**
   * Stops accepting requests (new ones get 503), lets in-flight generations finish for up to
   * `graceMs`, aborts the rest (their streams end with finish_reason `abort`), closes the server.
   */
  shutdown(graceMs: number): Promise<void>;
}

const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** A constant-time check of `Authorization: Bearer <key>`. */
function bearerMatches(header: string | undefined, keyDigest: Buffer): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return m?.[1] !== undefined && timingSafeEqual(digest(m[1].trim()), keyDigest);
}

function registerHooks(app: FastifyInstance, options: ServerOptions, isDraining: () => boolean): void {
  const keyDigest = options.apiKey ? digest(options.apiKey) : null;
  app.addHook("onRequest", async (request, reply) => {
    if (isDraining()) {
      reply.header("connection", "close");
      if (request.url.startsWith("/v1/")) {
        throw new ApiError("server_shutting_down", "the server is shutting down", { retryAfterS: 5 });
      }
    }
    if (
      keyDigest &&
      request.url.startsWith("/v1/") &&
      !bearerMatches(request.headers.authorization, keyDigest)
    ) {
      throw new ApiError(
        "invalid_api_key",
        "missing or incorrect API key: send 'Authorization: Bearer <key>'",
      );
    }
  });
  app.setErrorHandler((err, request, reply) => {
    const r = errorResponse(err);
    if (r.status >= 500) request.log.error({ err }, "request failed");
    return reply.code(r.status).headers(r.headers).send(r.body);
  });
  app.setNotFoundHandler((request) => {
    throw new ApiError("not_found", `no such endpoint: ${request.method} ${request.url.split("?")[0]}`);
  });
  // Any content type is read as JSON (curl -d sends form encoding), with the usual checks.
  app.addContentTypeParser("*", { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));
}

function registerRoutes(app: FastifyInstance, ctx: ServerContext, isDraining: () => boolean): void {
  app.post("/v1/completions", (request, reply) => handleCompletion(ctx, request, reply));
  app.post("/v1/chat/completions", (request, reply) => handleChat(ctx, request, reply));
  app.post("/v1/streams/:id/consumed", (request) => handleConsumed(ctx, request));
  app.get("/v1/models", async () => ({
    object: "list",
    data: [
      {
        id: ctx.model.name,
        object: "model",
        created: ctx.model.createdS,
        owned_by: "tokenflow",
        root: ctx.model.name,
        parent: null,
        max_model_len: ctx.model.contextLength,
      },
    ],
  }));
  app.get("/health", async (_request, reply) =>
    isDraining() ? reply.code(503).send({ status: "shutting_down" }) : { status: "ok" },
  );
  app.get("/metrics", async (_request, reply) =>
    reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  );
}

/** Builds the app (not yet listening). */
export async function createServer(args: CreateServerArgs): Promise<TokenflowServer> {
  const options = args.options ?? {};
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    logger: options.logger ?? false,
    // Our onRequest hook answers 503 in OpenAI form while draining (fastify's would not be).
    return503OnClosing: false,
    forceCloseConnections: "idle",
  });
  let draining = false;
  const isDraining = () => draining;
  const metrics = new ServerMetrics(args.engine, args.model.name);
  const ctx: ServerContext = {
    engine: args.engine,
    model: args.model,
    metrics,
    limits: { maxN: options.maxN ?? 16, maxStops: options.maxStops ?? 16 },
    compiler: options.compiler ?? null,
    streams: new ActiveStreams(),
  };
  registerHooks(app, options, isDraining);
  registerRoutes(app, ctx, isDraining);
  registerDashboard(app, ctx.engine, { apiKey: options.apiKey ?? null });
  app.addHook("onClose", async () => metrics.dispose());
  await app.ready();
  return {
    app,
    metrics,
    isDraining,
    async shutdown(graceMs: number) {
      if (draining) return;
      draining = true;
      const closed = app.close();
      await args.engine.stop(graceMs);
      // Streams have ended; drop keep-alive sockets that would hold close() open.
      const timer = setTimeout(() => app.server.closeAllConnections(), 1000);
      await closed;
      clearTimeout(timer);
    },
  };
}
