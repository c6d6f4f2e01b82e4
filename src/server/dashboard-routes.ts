/**
 * The dashboard's routes: the page at `/` and its files under `/assets/` (public: they hold no
 * data), the live event stream `GET /v1/dashboard/events` and the playground's burst
 * `POST /v1/dashboard/burst` (under `/v1`, so an API key protects them like the rest of the API).
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError, InvalidArgumentError, UnsupportedError } from "../errors.js";
import { DashboardBurst, MAX_BURST_USERS } from "./dashboard-burst.js";
import { DashboardHub, type DashboardHubOptions } from "./dashboard-hub.js";
import { DashboardAssets, NOT_BUILT_HTML, type StaticAsset } from "./dashboard-static.js";
import { MAX_CONSUMPTION_RATE_TOK_PER_S } from "./generation-params.js";
import { RequestFields } from "./request-fields.js";
import type { ServerEngine } from "./server-engine.js";

/** Settings of the dashboard; every field has a default. */
export interface DashboardOptions {
  /** The server's API key: the burst's synthetic users send it. */
  readonly apiKey?: string | null;
  /** The built page (default: `dist/web/` of this checkout). */
  readonly assets?: DashboardAssets;
  readonly hub?: DashboardHubOptions;
}

/** What {@link registerDashboard} set up (tests look inside). */
export interface Dashboard {
  readonly hub: DashboardHub;
  readonly burst: DashboardBurst;
  readonly assets: DashboardAssets;
}

const DEFAULT_BURST_PROMPT = "Tell me a long story about a lighthouse keeper and a storm.";

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: StaticAsset): FastifyReply {
  reply.header("etag", asset.etag).header("cache-control", "no-cache").type(asset.contentType);
  if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
  const acceptsGzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
  reply.header("vary", "accept-encoding");
  if (asset.gzip && acceptsGzip) return reply.header("content-encoding", "gzip").send(asset.gzip);
  return reply.send(asset.body);
}

/** `http://host:port` of the server's own socket, for the burst's users (loopback for a wildcard bind). */
function ownBaseUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === "string")
    throw new UnsupportedError("the burst needs the server to listen on a TCP port");
  const { address: host, port } = address as AddressInfo;
  const target = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${target.includes(":") ? `[${target}]` : target}:${port}`;
}

function readBurst(body: unknown): {
  numUsers: number;
  rateTokPerS: number;
  maxTokens: number;
  prompt: string;
} {
  const f = new RequestFields(body ?? {});
  const spec = {
    numUsers: f.int("users", 16, { min: 1, max: MAX_BURST_USERS }),
    rateTokPerS: f.number("consumption_rate", 15, {
      min: 0,
      minExclusive: true,
      max: MAX_CONSUMPTION_RATE_TOK_PER_S,
    }),
    maxTokens: f.int("max_tokens", 256, { min: 1, max: 1 << 16 }),
    prompt: f.optString("prompt") ?? DEFAULT_BURST_PROMPT,
  };
  f.rejectUnknown();
  if (spec.prompt.length > 4000)
    throw new InvalidArgumentError("'prompt' is longer than 4000 characters", "prompt");
  return spec;
}

/** Registers the dashboard on `app` (one call from `createServer`). */
export function registerDashboard(
  app: FastifyInstance,
  engine: ServerEngine,
  options: DashboardOptions = {},
): Dashboard {
  const assets = options.assets ?? new DashboardAssets();
  const burst = new DashboardBurst(options.apiKey ?? null);
  const hub = new DashboardHub(engine, burst, {
    onError: (err) => app.log.error({ err }, "dashboard tick failed"),
    ...options.hub,
  });
  app.get("/", (request, reply) => {
    const page = assets.get("index.html");
    return page ? sendAsset(request, reply, page) : reply.code(503).type("text/html").send(NOT_BUILT_HTML);
  });
  app.get("/assets/*", (request, reply) => {
    const path = (request.params as { "*": string })["*"];
    const asset = path === "index.html" ? null : assets.get(path);
    if (!asset) throw new ApiError("not_found", `no such file: /assets/${path}`);
    return sendAsset(request, reply, asset);
  });
  app.get("/v1/dashboard/events", (_request, reply) => {
    reply.hijack();
    hub.add(reply.raw);
  });
  app.post("/v1/dashboard/burst", async (request) => {
    const spec = readBurst(request.body);
    const started = burst.start(ownBaseUrl(app), spec);
    return { object: "dashboard.burst", started, active: burst.stats?.numActive ?? 0 };
  });
  app.addHook("preClose", async () => {
    burst.abortAll();
    hub.closeAll();
  });
  return { hub, burst, assets };
}
