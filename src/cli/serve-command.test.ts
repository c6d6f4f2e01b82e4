import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { testModelPath } from "../test-support/test-models.js";
import { main } from "./main.js";
import { cacheDir, ensureDefaultModel, parseBytes, type ServeFlags, startServe } from "./serve-command.js";

const dir = mkdtempSync(join(tmpdir(), "tokenflow-serve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function flags(over: Partial<ServeFlags> = {}): Promise<ServeFlags> {
  return {
    model: await testModelPath("tinyF32"),
    host: "127.0.0.1",
    port: 0,
    maxNumSeqs: 8,
    maxNumBatchedTokens: 256,
    kvCacheMemory: 4 << 20,
    maxQueue: 16,
    scheduler: "fcfs",
    threads: 2,
    shutdownGraceMs: 2000,
    logLevel: "silent",
    ...over,
  };
}

describe("tokenflow serve", () => {
  it("serves a model file, prints the URL and the model, and stops cleanly", async () => {
    let out = "";
    const running = await startServe(await flags({ apiKey: "k" }), (s) => {
      out += s;
    });
    expect(out).toContain(`OpenAI API at ${running.url}/v1`);
    expect(out).toContain(`serving ${running.modelName} (llama`);
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: "k", maxRetries: 0 });
    const r = await client.chat.completions.create({
      model: running.modelName,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 4,
    });
    expect(r.choices[0]?.message.role).toBe("assistant");
    await running.stop();
  }, 60_000);

  it("runs until SIGTERM, drains, and exits 0", async () => {
    const model = await testModelPath("tinyF32");
    let out = "";
    const exit = main(
      [
        "node",
        "tokenflow",
        "serve",
        "--model",
        model,
        "--port",
        "0",
        "--kv-cache-memory",
        "4M",
        "--log-level",
        "silent",
      ],
      (s) => {
        out += s;
      },
    );
    const started = Date.now();
    while (!out.includes("OpenAI API at") && Date.now() - started < 30_000)
      await new Promise((r) => setTimeout(r, 20));
    const url = /OpenAI API at (\S+)\/v1/.exec(out)?.[1];
    expect(url).toBeDefined();
    const res = await fetch(`${url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "Hello", max_tokens: 50, ignore_eos: true, stream: true }),
    });
    const body = res.text();
    process.emit("SIGTERM");
    expect(await exit).toBe(0);
    expect(await body).toContain("data: [DONE]");
    expect(out).toContain("stopped");
  }, 60_000);

  it("creates the default model once, deterministically, in the cache directory", async () => {
    let out = "";
    const log = (s: string) => {
      out += s;
    };
    const path = await ensureDefaultModel(log, "tiny", dir);
    expect(existsSync(path)).toBe(true);
    expect(out).toContain("creating the default model");
    out = "";
    expect(await ensureDefaultModel(log, "tiny", dir)).toBe(path);
    expect(out).toBe("");
  }, 60_000);

  it("finds the cache directory and parses byte counts", () => {
    expect(cacheDir({ XDG_CACHE_HOME: "/x/cache" })).toBe("/x/cache/tokenflow");
    expect(cacheDir({})).toMatch(/\.cache\/tokenflow$/);
    expect(parseBytes("268435456")).toBe(268435456);
    expect(parseBytes("256M")).toBe(256 * 2 ** 20);
    expect(parseBytes("1.5GiB")).toBe(1.5 * 2 ** 30);
    expect(() => parseBytes("lots")).toThrow(/kv-cache-memory/);
  });
});
