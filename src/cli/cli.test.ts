import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "./main.js";

const dir = mkdtempSync(join(tmpdir(), "tokenflow-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in-process and captures stdout. */
async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await main(["node", "tokenflow", ...args], (s) => {
    out += s;
  });
  return { code, out };
}

describe("tokenflow CLI", () => {
  const model = join(dir, "tiny.gguf");

  it("make-model writes the tiny preset and reports it", async () => {
    const { code, out } = await run("make-model", "--preset", "tiny", "--out", model, "--json");
    expect(code).toBe(0);
    const made = JSON.parse(out);
    expect(made.spec.dim).toBe(64);
    expect(made.spec.vocabSize).toBe(32000);
    expect(made.numParams).toBeGreaterThan(4_000_000);
  });

  it("inspect lists the spec and every tensor with type and shape", async () => {
    const { code, out } = await run("inspect", "--model", model, "--json");
    expect(code).toBe(0);
    const info = JSON.parse(out);
    expect(info.format).toBe("gguf");
    expect(info.spec.architecture).toBe("llama");
    expect(info.tensors).toContainEqual({
      name: "blk.0.attn_q.weight",
      type: "F32",
      shape: [64, 64],
      sizeBytes: 64 * 64 * 4,
    });
    const text = await run("inspect", "--model", model);
    expect(text.out).toContain("token_embd.weight");
  });

  it("tokenize prints ids, with BOS only when asked, from --text or --file", async () => {
    const plain = JSON.parse(
      (await run("tokenize", "--model", model, "--text", "Hello world", "--json")).out,
    );
    const bos = JSON.parse(
      (await run("tokenize", "--model", model, "--text", "Hello world", "--add-bos", "--json")).out,
    );
    expect(plain.tokens.length).toBeGreaterThan(0);
    expect(plain.tokens[0]).not.toBe(1);
    expect(bos.tokens).toEqual([1, ...plain.tokens]);
    const file = join(dir, "prompt.txt");
    writeFileSync(file, "Hello world");
    expect(JSON.parse((await run("tokenize", "--model", model, "--file", file, "--json")).out)).toEqual(
      plain,
    );
  });

  it("rejects bad flags and bad files with an error code, not a crash", async () => {
    expect((await run("make-model", "--dim", "abc", "--out", join(dir, "x.gguf"))).code).toBe(1);
    expect((await run("make-model", "--dtype", "q4_k", "--out", join(dir, "x.gguf"))).code).not.toBe(0);
    expect((await run("make-model", "--preset", "huge", "--out", join(dir, "x.gguf"))).code).toBe(1);
    expect((await run("tokenize", "--model", model)).code).toBe(1);
    const junk = join(dir, "junk.gguf");
    writeFileSync(junk, "GGUF\u0003\u0000\u0000\u0000garbage");
    expect((await run("inspect", "--model", junk)).code).toBe(1);
    expect((await run("inspect", "--model", join(dir, "missing.gguf"))).code).toBe(1);
  });
});
