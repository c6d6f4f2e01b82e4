import { describe, expect, it } from "vitest";
import { StopStringHoldback } from "./stop-strings.js";

function feed(stops: string[], pieces: string[]) {
  const h = new StopStringHoldback(stops);
  const emitted: string[] = [];
  for (const p of pieces) {
    const r = h.push(p);
    emitted.push(r.text);
    if (r.stop !== null) return { emitted, stop: r.stop, rest: "" };
  }
  return { emitted, stop: null, rest: h.flush() };
}

describe("StopStringHoldback", () => {
  it("cuts before a stop string split across pieces, never emitting part of it", () => {
    expect(feed(["STOP"], ["ab S", "T", "OP", "x"])).toEqual({
      emitted: ["ab ", "", ""],
      stop: "STOP",
      rest: "",
    });
  });

  it("holds only the longest suffix that prefixes a stop string", () => {
    expect(feed(["aab"], ["a", "a", "a", "b"])).toEqual({
      emitted: ["", "", "a", ""],
      stop: "aab",
      rest: "",
    });
    expect(feed(["abc"], ["xab", "d"])).toEqual({ emitted: ["x", "abd"], stop: null, rest: "" });
  });

  it("picks the earliest of several stop strings", () => {
    expect(feed(["world", "lo w"], ["hello world"])).toEqual({ emitted: ["hel"], stop: "lo w", rest: "" });
  });

  it("flushes held text when the stream ends without a stop", () => {
    expect(feed(["</end>"], ["done </e"])).toEqual({ emitted: ["done "], stop: null, rest: "</e" });
  });

  it("passes text through without stop strings", () => {
    expect(feed([], ["a", "b"])).toEqual({ emitted: ["a", "b"], stop: null, rest: "" });
  });
});
