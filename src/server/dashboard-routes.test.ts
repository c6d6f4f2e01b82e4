import { mkdtempSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DashboardFrame, DashboardHello, DashboardMessage } from "./dashboard-frame.js";
import { registerDashboard } from "./dashboard-routes.js";
import { DashboardAssets } from "./dashboard-static.js";
import { type RunningTestServer, startTestServer } from "./test-server.js";

let running: RunningTestServer | null = null;
afterEach(async () => {
  await running?.close();
  running = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads dashboard messages until `until` holds (or `timeoutMs` passes), then drops the
 * connection (node:http, so that nothing is left open behind the test).
 */
function readEvents(
  url: string,
  until: (msgs: DashboardMessage[]) => boolean,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<DashboardMessage[]> {
  return new Promise((resolve, reject) => {
    const msgs: DashboardMessage[] = [];
    const req = get(`${url}/v1/dashboard/events`, { headers }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
      let pending = "";
      res.setEncoding("utf8");
      res.on("data", (text: string) => {
        pending += text;
        for (let end = pending.indexOf("\n\n"); end >= 0; end = pending.indexOf("\n\n")) {
          msgs.push(JSON.parse(pending.slice(0, end).replace(/^data: /, "")) as DashboardMessage);
          pending = pending.slice(end + 2);
        }
        if (until(msgs)) finish();
      });
    });
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      req.destroy();
      resolve(msgs);
    };
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function expectWellFormedFrame(f: DashboardFrame): void {
  expect(f.type).toBe("frame");
  expect(Number.isFinite(f.point.tMs)).toBe(true);
  for (const k of ["outputTokPerS", "effectiveTokPerS", "numStalled"] as const)
    expect(f.point[k]).toBeGreaterThanOrEqual(0);
  expect(Object.keys(f.point.preemptionsPerS).sort()).toEqual(["hybrid", "recompute", "swap"]);
  expect(f.tiers.device.usage).toBeGreaterThanOrEqual(0);
  expect(f.tiers.device.usage).toBeLessThanOrEqual(1);
  expect(typeof f.counts.numRunning).toBe("number");
  expect(f.tickCostMs).toBeGreaterThanOrEqual(0);
  for (const r of f.rows) {
    expect(typeof r.id).toBe("string");
    expect(["queued", "prefilling", "running", "paused", "reloading", "recomputing", "finished"]).toContain(
      r.state,
    );
    expect(r.bufferSec).toBeGreaterThanOrEqual(0);
  }
}

const frames = (msgs: DashboardMessage[]) => msgs.filter((m): m is DashboardFrame => m.type === "frame");

describe("dashboard page", () => {
  it("serves the built page at / and its files under /assets, gzipped, with ETags", async (ctx) => {
    if (!new DashboardAssets().isBuilt) {
      console.warn("SKIPPED: dist/web is not built (run `npm run build`)");
      ctx.skip();
    }
    running = await startTestServer();
    const page = await fetch(`${running.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('src="/assets/js/main.js"');
    const js = await fetch(`${running.url}/assets/uPlot.iife.min.js`, {
      headers: { "accept-encoding": "gzip" },
    });
    expect(js.status).toBe(200);
    expect(js.headers.get("content-encoding")).toBe("gzip");
    const etag = js.headers.get("etag") ?? "";
    const again = await fetch(`${running.url}/assets/uPlot.iife.min.js`, {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect((await fetch(`${running.url}/assets/../package.json`)).status).toBe(404);
    expect((await fetch(`${running.url}/assets/nope.js`)).status).toBe(404);
  });

  it("says how to build the page when dist/web is missing", async () => {
    const app = Fastify();
    const engine = { events: { on() {}, off() {} } } as never;
    registerDashboard(app, engine, { assets: new DashboardAssets(mkdtempSync(join(tmpdir(), "tf-web-"))) });
    const res = await app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain("npm run build");
    await app.close();
  });
});

describe("dashboard event stream", () => {
  it("sends a hello, then well-formed frames that show a streaming request", async () => {
    running = await startTestServer({}, { tokenDelayMs: 20 });
    const url = running.url;
    const chat = fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 60, stream: true }),
    }).then((r) => r.text());
    const msgs = await readEvents(url, (m) =>
      frames(m).some((f) => f.rows.some((r) => r.state === "running")),
    );
    await chat;
    const hello = msgs[0] as DashboardHello;
    expect(hello.type).toBe("hello");
    expect(hello.tickMs).toBe(250);
    expect(hello.notes.effectiveThroughput).toMatch(/max_tokens/);
    const fs = frames(msgs);
    expect(fs.length).toBeGreaterThan(0);
    for (const f of fs) expectWellFormedFrame(f);
    const row = fs.at(-1)?.rows.find((r) => r.state === "running");
    expect(row?.id).toMatch(/^chatcmpl-[0-9a-f]+-0$/);
  });

  it("does no work while no client is connected, and stops when the last one leaves", async () => {
    running = await startTestServer();
    const snapshot = vi.spyOn(running.engine, "snapshot");
    await sleep(600);
    expect(snapshot).not.toHaveBeenCalled();
    const msgs = await readEvents(running.url, (m) => frames(m).length >= 2);
    expect(frames(msgs)).toHaveLength(2);
    expect(snapshot.mock.calls.length).toBeGreaterThanOrEqual(2);
    await sleep(300); // the server notices the disconnect
    const calls = snapshot.mock.calls.length;
    await sleep(700);
    expect(snapshot.mock.calls.length).toBe(calls);
  });

  it("shares one snapshot per tick between all clients", async () => {
    running = await startTestServer();
    const snapshot = vi.spyOn(running.engine, "snapshot");
    const [a, b] = await Promise.all([
      readEvents(running.url, (m) => frames(m).length >= 4),
      readEvents(running.url, (m) => frames(m).length >= 4),
    ]);
    const ticksA = frames(a).map((f) => f.point.tMs);
    const ticksB = frames(b).map((f) => f.point.tMs);
    expect(ticksA.filter((t) => ticksB.includes(t)).length).toBeGreaterThanOrEqual(2);
    // Two clients for four-ish ticks: about one snapshot per tick, not one per client per tick.
    expect(snapshot.mock.calls.length).toBeLessThanOrEqual(6);
  });
});

describe("dashboard with an API key", () => {
  it("keeps the page public and the live data and burst behind the key", async (ctx) => {
    running = await startTestServer({ apiKey: "sesame" });
    const { url } = running;
    expect((await fetch(`${url}/v1/dashboard/events`)).status).toBe(401);
    const burst = await fetch(`${url}/v1/dashboard/burst`, { method: "POST", body: "{}" });
    expect(burst.status).toBe(401);
    const msgs = await readEvents(url, (m) => frames(m).length >= 1, { authorization: "Bearer sesame" });
    expect(msgs[0]?.type).toBe("hello");
    if (!new DashboardAssets().isBuilt) {
      console.warn("SKIPPED (rest): dist/web is not built (run `npm run build`)");
      ctx.skip();
    }
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await fetch(`${url}/assets/js/main.js`)).status).toBe(200);
  });
});

describe("dashboard burst", () => {
  it("starts N synthetic streaming users at the chosen reading rate, with the server's key", async () => {
    running = await startTestServer({ apiKey: "k" });
    const engine = running.engine;
    const res = await fetch(`${running.url}/v1/dashboard/burst`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({ users: 3, consumption_rate: 40, max_tokens: 5 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: "dashboard.burst", started: 3 });
    for (let i = 0; i < 100 && engine.submitted.length < 3; i++) await sleep(20);
    expect(engine.submitted).toHaveLength(3);
    for (const r of engine.submitted) {
      expect(r.consumptionRateTokPerS).toBe(40);
      expect(r.maxTokens).toBe(5);
    }
    const msgs = await readEvents(running.url, (m) => frames(m).some((f) => (f.burst?.numDone ?? 0) === 3), {
      authorization: "Bearer k",
    });
    expect(frames(msgs).at(-1)?.burst).toMatchObject({ numDone: 3, numFailed: 0, numActive: 0 });
  });

  it("refuses a bad burst with a 400 naming the field", async () => {
    running = await startTestServer();
    const res = await fetch(`${running.url}/v1/dashboard/burst`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ users: 0 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("users");
  });
});
