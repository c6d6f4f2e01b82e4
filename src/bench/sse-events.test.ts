import { describe, expect, it } from "vitest";
import { sseEvents, tokenTimesFromChunks } from "./sse-events.js";

async function collect(parts: string[]): Promise<string[]> {
  const enc = new TextEncoder();
  async function* body() {
    for (const p of parts) yield enc.encode(p);
  }
  const out: string[] = [];
  for await (const e of sseEvents(body())) out.push(e);
  return out;
}

describe("sseEvents", () => {
  it("yields each event's data once its blank line arrived, across arbitrary splits", async () => {
    const stream = 'data: {"a":1}\n\n: comment\n\ndata: {"b":\ndata: 2}\r\n\r\ndata: [DONE]\n\n';
    const expected = ['{"a":1}', '{"b":\n2}', "[DONE]"];
    expect(await collect([stream])).toEqual(expected);
    const bytes = [...stream];
    expect(await collect(bytes)).toEqual(expected);
    expect(await collect([stream.slice(0, 7), stream.slice(7, 30), stream.slice(30)])).toEqual(expected);
  });

  it("yields a final event without its blank line at the end of the body", async () => {
    expect(await collect(["data: x\n\ndata: y"])).toEqual(["x", "y"]);
  });
});

describe("tokenTimesFromChunks", () => {
  it("counts one token per chunk when usage agrees or is absent", () => {
    expect(tokenTimesFromChunks([1, 2, 3], 3, 4)).toEqual([1, 2, 3]);
    expect(tokenTimesFromChunks([1, 2, 3], null, 4)).toEqual([1, 2, 3]);
    expect(tokenTimesFromChunks([1, 2, 3], 2, 4)).toEqual([1, 2, 3]);
  });

  it("spreads extra usage tokens evenly over the chunks", () => {
    expect(tokenTimesFromChunks([1, 2, 3], 5, 4)).toEqual([1, 2, 2, 3, 3]);
    expect(tokenTimesFromChunks([1, 2], 6, 4)).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it("puts tokens at the finish time when no chunk had text", () => {
    expect(tokenTimesFromChunks([], 2, 4)).toEqual([4, 4]);
    expect(tokenTimesFromChunks([], null, 4)).toEqual([]);
  });
});
