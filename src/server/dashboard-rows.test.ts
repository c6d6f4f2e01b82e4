import { describe, expect, it } from "vitest";
import type { RequestSnapshot } from "../engine/engine-types.js";
import { DashboardRows, FINISHED_ROW_MS, MAX_ACTIVE_ROWS } from "./dashboard-rows.js";

const snap = (id: string, over: Partial<RequestSnapshot> = {}): RequestSnapshot => ({
  id,
  state: "running",
  rateTokPerS: 10,
  bufferSec: 2,
  numPromptTokens: 4,
  numGenerated: 30,
  numRead: 10,
  rebufferSec: 0,
  ttftMs: 12,
  numPreemptions: 0,
  ...over,
});

const noTag = () => null;

describe("DashboardRows", () => {
  it("shows active requests with their max tokens, then finished ones draining their buffers", () => {
    const rows = new DashboardRows();
    rows.build(0, [snap("a"), snap("b", { state: "paused" })], new Map([["a", 64]]), noTag);
    rows.finish(100, { id: "a", numOutputTokens: 40, ttftMs: 12, numPreemptions: 1 });
    const { rows: shown } = rows.build(1100, [snap("b", { state: "paused" })], null, noTag);
    expect(shown.map((r) => [r.id, r.state])).toEqual([
      ["b", "paused"],
      ["a", "finished"],
    ]);
    const a = shown[1];
    // 2 s buffered + 10 tokens made after the last snapshot (1 s at 10 tok/s), 1 s read since.
    expect(a?.bufferSec).toBeCloseTo(2, 9);
    expect(a?.numRead).toBe(20);
    expect(a?.maxTokens).toBe(64);
    expect(a?.numGenerated).toBe(40);
    expect(rows.build(100 + FINISHED_ROW_MS + 1, [], null, noTag).rows.map((r) => r.id)).toEqual(["b"]);
  });

  it("marks a request that vanished without a finish event as finished", () => {
    const rows = new DashboardRows();
    rows.build(0, [snap("a")], null, noTag);
    const { rows: shown } = rows.build(250, [], null, noTag);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.state).toBe("finished");
  });

  it("caps the rows and says how many it left out", () => {
    const rows = new DashboardRows();
    const many = Array.from({ length: MAX_ACTIVE_ROWS + 10 }, (_, i) => snap(`r${i}`));
    const { rows: shown, numHidden } = rows.build(0, many, null, (id) => (id === "r0" ? "burst" : null));
    expect(shown).toHaveLength(MAX_ACTIVE_ROWS);
    expect(numHidden).toBe(10);
    expect(shown[0]?.tag).toBe("burst");
  });
});
