import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_TOKENFLOW_PARAMS } from "../scheduler/tokenflow-params.js";
import { TokenFlowPolicy } from "../scheduler/tokenflow-policy.js";
import { testModelPath } from "../test-support/test-models.js";
import { main } from "./main.js";
import { cacheDir, ensureDefaultModel, parseBytes, type ServeFlags, startServe } from "./serve-command.js";
import { parseByteOption, parseNumberOption, policyFromFlags } from "./serve-scheduler.js";

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
    hostKvMemory: 0,
    defaultConsumptionRate: 20,
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
    expect(out).toContain("scheduler fcfs, no host KV tier");
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

describe("tokenflow serve: scheduling flags", () => {
  it("serves with --scheduler tokenflow and a host tier, and reports both", async () => {
    let out = "";
    const running = await startServe(
      await flags({
        scheduler: "tokenflow",
        hostKvMemory: 2 << 20,
        defaultConsumptionRate: 12.5,
        scheduleIntervalMs: 200,
        bufferSafetyFactor: 3,
      }),
      (s) => {
        out += s;
      },
    );
    try {
      expect(out).toMatch(
        /scheduler tokenflow \(interval 200 ms, μ 3, default rate 12\.5 tok\/s\), host KV tier 2 MiB \(\d+ blocks\)/,
      );
      expect(Number(/host KV tier 2 MiB \((\d+) blocks/.exec(out)?.[1])).toBeGreaterThan(0);
      const res = await fetch(`${running.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "Hello", max_tokens: 4, consumption_rate: 8 }),
      });
      expect(res.status).toBe(200);
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toMatch(/tokenflow:num_requests_paused\{model_name="[^"]+"\} 0/);
    } finally {
      await running.stop();
    }
  }, 60_000);

  it("parses the flags on the command line and refuses bad values clearly", async () => {
    const model = await testModelPath("tinyF32");
    const run = async (...extra: string[]) => {
      let out = "";
      const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
        out += String(s);
        return true;
      });
      try {
        const argv = ["node", "tokenflow", "serve", "--model", model, "--port", "0", ...extra];
        const code = await main(argv, (s) => {
          out += s;
        });
        return { code, out };
      } finally {
        spy.mockRestore();
      }
    };
    const cases: [string[], RegExp][] = [
      [["--scheduler", "lifo"], /--scheduler must be one of fcfs, tokenflow, got "lifo"/],
      [["--host-kv-memory", "lots"], /--host-kv-memory must be a byte count/],
      [["--default-consumption-rate", "0"], /--default-consumption-rate must be a number > 0 and <= 1000/],
      [["--default-consumption-rate", "fast"], /--default-consumption-rate must be a number/],
      [["--schedule-interval-ms", "-5"], /--schedule-interval-ms must be a number > 0/],
      [["--buffer-safety-factor", "1e9"], /--buffer-safety-factor must be a number > 0 and <= 100/],
      [["--buffer-safety-factor", "2"], /--buffer-safety-factor applies to --scheduler tokenflow only/],
    ];
    for (const [args, message] of cases) {
      const { code, out } = await run(...args);
      expect(code, args.join(" ")).not.toBe(0);
      expect(out, args.join(" ")).toMatch(message);
    }
  }, 60_000);

  it("parses byte counts and numbers for the new flags", () => {
    expect(parseByteOption("host-kv-memory", 0)("0")).toBe(0);
    expect(parseByteOption("host-kv-memory", 0)("2G")).toBe(2 * 2 ** 30);
    expect(() => parseByteOption("host-kv-memory", 0)("-1")).toThrow(/--host-kv-memory/);
    expect(parseNumberOption("x", 0, 1000)("12.5")).toBe(12.5);
    expect(() => parseNumberOption("x", 0, 1000)("12abc")).toThrow(/--x must be a number/);
    expect(() => parseNumberOption("x", 0, 1000)("")).toThrow(/--x/);
  });

  it("builds the policy the flags name", () => {
    const base = { hostKvMemory: 0, defaultConsumptionRate: 7 } as const;
    expect(policyFromFlags({ ...base, scheduler: "fcfs" }).name).toBe("fcfs");
    const tf = policyFromFlags({ ...base, scheduler: "tokenflow", bufferSafetyFactor: 4 });
    expect(tf).toBeInstanceOf(TokenFlowPolicy);
    expect((tf as TokenFlowPolicy).params).toMatchObject({
      defaultConsumptionRateTokPerS: 7,
      bufferSafetyFactor: 4,
      scheduleIntervalMs: DEFAULT_TOKENFLOW_PARAMS.scheduleIntervalMs,
    });
  });
});
