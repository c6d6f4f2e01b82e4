import { describe, expect, it, vi } from "vitest";
import { UnsupportedError } from "../errors.js";

vi.mock("node-llama-cpp", () => {
  throw new Error("Cannot find package 'node-llama-cpp'");
});

describe("bench peer-server without node-llama-cpp", () => {
  it("fails with a clear message naming the missing development dependency", async () => {
    const { startPeerServer } = await import("./peer-server.js");
    const started = startPeerServer({ modelPath: "/nonexistent.gguf", sequences: 1, port: 0 });
    await expect(started).rejects.toBeInstanceOf(UnsupportedError);
    await expect(started).rejects.toThrow(/node-llama-cpp package, a development dependency/);
  });
});
