import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sharedPath } from "../test-support/shared-data.js";
import { parseTrace, parseTraceWindow, readTrace, replayTrace } from "./traces.js";

const AZURE = `TIMESTAMP,ContextTokens,GeneratedTokens
2023-11-16 18:15:46.6805900,374,44
2023-11-16 18:15:50.9951690,396,109
2023-11-16 18:15:51.0000000,12,0
2023-11-16 18:16:46.6805900,800,5
`;
const MOONCAKE = `{"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1]}
{"timestamp": 2500, "input_length": 7322, "output_length": 490, "hash_ids": [0, 14]}
{"timestamp": 1000, "input_length": 10, "output_length": 7}
`;

describe("trace parsing", () => {
  it("reads the Azure CSV with sub-second timestamps relative to the first request", () => {
    const rows = parseTrace(AZURE, "azure.csv");
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({ timeS: 0, inputLen: 374, outputLen: 44 });
    expect(rows[1]?.timeS).toBeCloseTo(4.314579, 6);
    expect(rows[2]?.outputLen).toBe(1); // 0 generated tokens is clamped to 1
    expect(rows[3]?.timeS).toBeCloseTo(60, 6);
  });

  it("reads the Mooncake JSONL (ms) and sorts by time", () => {
    const rows = parseTrace(MOONCAKE, "mc.jsonl");
    expect(rows.map((r) => r.timeS)).toEqual([0, 1, 2.5]);
    expect(rows[1]).toEqual({ timeS: 1, inputLen: 10, outputLen: 7 });
  });

  it("rejects malformed traces naming the line", () => {
    expect(() => parseTrace("a,b,c\n1,2,3\n", "x.csv")).toThrow(/x.csv: expected a header/);
    expect(() => parseTrace("TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,1,2\n", "x.csv")).toThrow(
      /x.csv:2: bad TIMESTAMP/,
    );
    expect(() =>
      parseTrace('{"timestamp": "soon", "input_length": 1, "output_length": 1}\n', "m.jsonl"),
    ).toThrow(/m.jsonl:1: timestamp/);
    expect(() => parseTrace('{"timestamp": 1, "input_length": -4, "output_length": 1}\n', "m.jsonl")).toThrow(
      /input_length/,
    );
    expect(() => parseTrace("TIMESTAMP,ContextTokens,GeneratedTokens\n", "e.csv")).toThrow(/no requests/);
  });
});

describe("trace replay", () => {
  const rows = parseTrace(AZURE, "azure.csv");

  it("cuts a window and shifts it to start at 0", () => {
    const picked = replayTrace(rows, { windowStartS: 4, windowDurationS: 10, speedup: 1 });
    expect(picked.map((r) => r.inputLen)).toEqual([396, 12]);
    expect(picked[0]?.timeS).toBeCloseTo(0.314579, 6);
  });

  it("divides arrival times by the speedup", () => {
    const picked = replayTrace(rows, { windowStartS: 0, windowDurationS: null, speedup: 4 });
    expect(picked[3]?.timeS).toBeCloseTo(15, 6);
  });

  it("refuses an empty window and a bad speedup", () => {
    expect(() => replayTrace(rows, { windowStartS: 100, windowDurationS: 5, speedup: 1 })).toThrow(
      /holds no requests/,
    );
    expect(() => replayTrace(rows, { windowStartS: 0, windowDurationS: null, speedup: 0 })).toThrow(
      /speedup/,
    );
  });

  it("parses --trace-window", () => {
    expect(parseTraceWindow("600:120")).toEqual({ startS: 600, durationS: 120 });
    for (const bad of ["600", "a:b", "10:0", "-1:5"])
      expect(() => parseTraceWindow(bad), bad).toThrow(/--trace-window/);
  });
});

describe("trace files", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reads a file, and says which one it could not read", async () => {
    dir = await mkdtemp(join(tmpdir(), "tf-trace-"));
    await writeFile(join(dir, "t.jsonl"), MOONCAKE);
    expect(await readTrace(join(dir, "t.jsonl"))).toHaveLength(3);
    await expect(readTrace(join(dir, "missing.csv"))).rejects.toThrow(/cannot read trace/);
  });

  const azure = sharedPath("data/traces/azure-llm-2023-conv.csv");
  const mooncake = sharedPath("data/traces/mooncake-conversation.jsonl");
  it.skipIf(!azure || !mooncake)("replays the shared Azure and Mooncake traces", async () => {
    const conv = await readTrace(azure as string);
    expect(conv.length).toBeGreaterThan(19_000);
    expect(conv[conv.length - 1]?.timeS).toBeGreaterThan(3000); // about one hour
    const minute = replayTrace(conv, { windowStartS: 600, windowDurationS: 60, speedup: 2 });
    expect(minute.length).toBeGreaterThan(50);
    expect(Math.max(...minute.map((r) => r.timeS))).toBeLessThan(30);
    const mc = await readTrace(mooncake as string);
    expect(mc.length).toBeGreaterThan(12_000);
    expect(mc.every((r) => r.inputLen >= 1 && r.outputLen >= 1)).toBe(true);
  });
});
