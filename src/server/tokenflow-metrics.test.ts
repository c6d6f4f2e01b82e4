/**
 * The `tokenflow:` series on the fake engine: present (zeros) without any TokenFlow activity,
 * preemptions and resumptions counted by mode, per-request paused time observed at finish, and
 * the pause tracker's intervals on a fake clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../test-support/until.js";
import { RequestPauseTracker } from "./request-pause-tracker.js";
import { type RunningTestServer, startTestServer, TEST_MODEL_NAME } from "./test-server.js";

const M = TEST_MODEL_NAME;
let t: RunningTestServer | null = null;

afterEach(async () => {
  await t?.close();
  t = null;
});

async function scrape(): Promise<string> {
  return (await fetch(`${t?.url}/metrics`)).text();
}

/** The value of one exposition line (`name{labels} value`), or NaN when absent. */
function seriesValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

const L = `model_name="${M}"`;

describe("tokenflow: metrics on the fake engine", () => {
  it("exports every series, at zero, before anything happened", async () => {
    t = await startTestServer();
    const text = await scrape();
    for (const series of [
      `tokenflow:num_preemptions_total{${L},mode="recompute"}`,
      `tokenflow:num_preemptions_total{${L},mode="swap"}`,
      `tokenflow:num_preemptions_total{${L},mode="hybrid"}`,
      `tokenflow:num_resumptions_total{${L},mode="reload"}`,
      `tokenflow:num_resumptions_total{${L},mode="hybrid"}`,
      `tokenflow:num_resumptions_total{${L},mode="recompute"}`,
      `tokenflow:num_requests_paused{${L}}`,
      `tokenflow:host_kv_cache_usage_perc{${L}}`,
      `tokenflow:kv_transfer_bytes_total{${L},kind="write_through"}`,
      `tokenflow:kv_transfer_bytes_total{${L},kind="evict"}`,
      `tokenflow:kv_transfer_bytes_total{${L},kind="load"}`,
      `tokenflow:kv_transfer_bandwidth_bytes_per_second{${L},direction="store"}`,
      `tokenflow:kv_transfer_bandwidth_bytes_per_second{${L},direction="load"}`,
      `tokenflow:host_full_fallbacks_total{${L}}`,
      `tokenflow:request_paused_seconds_count{${L}}`,
      `tokenflow:request_stall_seconds_count{${L}}`,
      `tokenflow:buffer_seconds_count{${L}}`,
      `vllm:num_preemptions_total{${L}}`,
    ]) {
      expect(seriesValue(text, series), series).toBe(0);
    }
  });

  it("counts preemptions and resumptions by mode and observes paused time at finish", async () => {
    t = await startTestServer({}, { tokenDelayMs: 5 });
    const done = fetch(`${t.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: M, prompt: "x", max_tokens: 40 }),
    });
    await until(() => (t?.engine.submitted.length ?? 0) === 1);
    const id = t.engine.submitted[0]?.id as string;
    t.engine.simulatePreemption(id, "swap");
    await new Promise((r) => setTimeout(r, 60));
    t.engine.simulateResumption(id, "reload");
    t.engine.simulatePreemption(id, "recompute");
    expect((await done).status).toBe(200);
    const text = await scrape();
    expect(seriesValue(text, `tokenflow:num_preemptions_total{${L},mode="swap"}`)).toBe(1);
    expect(seriesValue(text, `tokenflow:num_preemptions_total{${L},mode="recompute"}`)).toBe(1);
    expect(seriesValue(text, `tokenflow:num_resumptions_total{${L},mode="reload"}`)).toBe(1);
    expect(seriesValue(text, `vllm:num_preemptions_total{${L}}`)).toBe(2);
    expect(seriesValue(text, `tokenflow:request_paused_seconds_count{${L}}`)).toBe(1);
    // At least the 60 ms between the swap and the reload; the recompute closed at the next token.
    const paused = seriesValue(text, `tokenflow:request_paused_seconds_sum{${L}}`);
    expect(paused).toBeGreaterThanOrEqual(0.055);
    expect(paused).toBeLessThan(1);
    expect(seriesValue(text, `tokenflow:request_stall_seconds_count{${L}}`)).toBe(1);
  });
});

describe("RequestPauseTracker", () => {
  it("sums intervals closed by resumes or tokens, and an open one at finish", () => {
    const p = new RequestPauseTracker();
    p.onToken("a", 0);
    expect(p.numTracked).toBe(0);
    p.onPreempted("a", 0);
    p.onPreempted("a", 100); // preempted again while recomputing: the interval keeps its start
    p.onResumed("a", 250);
    p.onToken("a", 300);
    p.onPreempted("a", 300);
    p.onToken("a", 340);
    p.onPreempted("a", 340);
    expect(p.finish("a", 400)).toBe(250 + 40 + 60);
    expect(p.finish("b", 400)).toBe(0);
    expect(p.numTracked).toBe(0);
  });
});
