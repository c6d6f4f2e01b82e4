/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core against a real
 * server (tiny test model, native CPU runtime, TokenFlow scheduling with a small device KV cache
 * and a host tier, so a burst makes requests pause). Writes screenshots and prints their paths.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../engine/engine.js";
import { TokenFlowPolicy } from "../scheduler/tokenflow-policy.js";
import { DashboardAssets } from "./dashboard-static.js";
import { type RunningTestServer, startRealEngineServer, startTestServer } from "./test-server.js";

/** Debian's Chromium (`apt-get install chromium`, done by .ci/run); override with CHROMIUM_PATH. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Where screenshots go (printed by the test). */
const SCREENSHOT_DIR = join(tmpdir(), "tokenflow-dashboard-test");

/** Flags for a headless Chromium on a machine without network (and as root). */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];

function missing(): string | null {
  if (!existsSync(CHROMIUM))
    return `${CHROMIUM} (install Debian's chromium: apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (!new DashboardAssets().isBuilt) return "dist/web (build the dashboard: npm run build)";
  return null;
}

const why = missing();
if (why) console.warn(`SKIPPING the dashboard browser test: missing ${why}`);

describe.skipIf(why !== null)("dashboard in Chromium", () => {
  let server: RunningTestServer<Engine>;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const errors: string[] = [];

  beforeAll(async () => {
    // 64 device blocks of 16 tokens: a burst of 24 readers does not fit, so TokenFlow pauses some.
    server = await startRealEngineServer({}, 256 << 10, "tinyF32", {
      policy: new TokenFlowPolicy(),
      hostKvBytes: 8 << 20,
    });
    profile = mkdtempSync(join(tmpdir(), "tokenflow-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 1100 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await server?.server.shutdown(0);
    await server?.close();
  });

  it("loads with live data and no console errors", async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.textContent("#conn"), { timeout: 10_000 }).toBe("live");
    await expect.poll(() => page.textContent("#model")).toBe("tiny-test");
    // The charts are uPlot canvases.
    expect(await page.locator("#chart-throughput canvas").count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it("streams a chat reply at the reading rate and shows the request with its buffer bar", async () => {
    await page.fill("#rate", "20");
    await page.fill("#prompt", "Once upon a time");
    await page.fill("#max-tokens", "120");
    await page.click("#send");
    const replyLength = async () => (await page.textContent("#reply"))?.length ?? 0;
    await expect.poll(replyLength, { timeout: 15_000 }).toBeGreaterThan(0);
    const early = await replyLength();
    // The pacer reveals 20 tok/s: the text keeps growing after it has all arrived.
    await expect.poll(replyLength, { timeout: 10_000 }).toBeGreaterThan(early);
    const mine = page.locator("#requests tr.mine");
    await expect.poll(() => mine.count(), { timeout: 10_000 }).toBe(1);
    expect(await mine.locator("td.buf .bar i").count()).toBe(1);
    expect(await page.textContent("#my-stats")).toMatch(/TTFT \d+ ms/);
    expect(errors).toEqual([]);
  });

  it("asks for the API key once when the server has one, then goes live", async () => {
    const keyed = await startTestServer({ apiKey: "sesame" });
    const other = await context.newPage();
    const pageErrors: string[] = [];
    other.on("pageerror", (e) => pageErrors.push(e.message));
    try {
      await other.goto(`${keyed.url}/`);
      await other.waitForSelector("#key-form:not([hidden])", { timeout: 10_000 });
      await other.fill("#key", "sesame");
      await other.click("#key-form button");
      await expect.poll(() => other.textContent("#conn"), { timeout: 10_000 }).toBe("live");
      // Reloading does not ask again: the key is remembered.
      await other.reload();
      await expect.poll(() => other.textContent("#conn"), { timeout: 10_000 }).toBe("live");
      expect(await other.isHidden("#key-form")).toBe(true);
      expect(pageErrors).toEqual([]);
    } finally {
      await other.close();
      await keyed.close();
    }
  });

  it("a burst makes paused requests appear (TokenFlow, host tier) and a screenshot is written", async () => {
    await page.fill("#rate", "8");
    await page.fill("#burst-n", "24");
    await page.fill("#max-tokens", "200");
    await page.click("#burst");
    await expect
      .poll(() => page.textContent("#burst-status"), { timeout: 10_000 })
      .toMatch(/started 24 users/);
    const paused = page.locator("#requests .state.s-paused");
    await expect.poll(() => paused.count(), { timeout: 20_000, interval: 100 }).toBeGreaterThan(0);
    expect(await page.locator("#requests tr.burst").count()).toBeGreaterThan(0);
    const first = join(SCREENSHOT_DIR, "dashboard-burst.png");
    await page.screenshot({ path: first, fullPage: true });
    await page.waitForTimeout(2500);
    const later = join(SCREENSHOT_DIR, "dashboard-burst-later.png");
    await page.screenshot({ path: later, fullPage: true });
    console.log(`dashboard screenshots: ${first} ${later}`);
    expect(existsSync(first)).toBe(true);
    expect(errors).toEqual([]);
  });
});
