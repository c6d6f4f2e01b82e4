import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { twoRunReport } from "../test-support/bench-report-fixture.js";
import { writeBenchReport } from "./bench-report.js";

/**
 * Checks that `xml` is one well-formed element tree: every tag closes in order, attributes are
 * quoted, nothing but whitespace around the root. Returns the root's name.
 */
function checkWellFormed(xml: string): string {
  const stack: string[] = [];
  let root: string | null = null;
  const text = xml.replace(/^<\?xml[^>]*\?>/, "").trim();
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
  let at = 0;
  while (at < text.length) {
    const lt = text.indexOf("<", at);
    if (lt < 0) break;
    if (stack.length === 0 && text.slice(at, lt).trim() !== "")
      throw new Error(`text outside the root at ${at}`);
    tag.lastIndex = lt;
    const m = tag.exec(text);
    if (!m) throw new Error(`malformed tag at ${lt}: ${text.slice(lt, lt + 40)}`);
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}> at ${lt}`);
    } else if (!selfClosing) {
      if (stack.length === 0) {
        if (root !== null) throw new Error("two roots");
        root = name as string;
      }
      stack.push(name as string);
    } else if (stack.length === 0) {
      throw new Error("self-closing root");
    }
    at = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.at(-1)}>`);
  return root ?? "";
}

describe("writeBenchReport", () => {
  let dir: string;
  let paths: string[];
  const report = twoRunReport();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tokenflow-report-"));
    paths = await writeBenchReport(join(dir, "out"), report);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes every file into the directory it creates", async () => {
    expect(paths.map((p) => basename(p))).toEqual([
      "report.json",
      "report.md",
      "report.html",
      "ttft-cdf.svg",
      "throughput.svg",
      "timeline-1-fcfs.svg",
      "timeline-2-tokenflow.svg",
    ]);
    for (const p of paths) expect(p.startsWith(join(dir, "out"))).toBe(true);
    expect(JSON.parse(await readFile(paths[0] as string, "utf8"))).toEqual(report);
  });

  it("writes SVG charts that parse as SVG and name their series", async () => {
    const svgs = await Promise.all(paths.filter((p) => p.endsWith(".svg")).map((p) => readFile(p, "utf8")));
    for (const svg of svgs) {
      expect(svg.startsWith("<svg")).toBe(true);
      expect(checkWellFormed(svg)).toBe("svg");
      expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    }
    for (const name of ["fcfs", "tokenflow"]) expect(svgs[0]).toContain(`>${name}</text>`);
    expect(svgs[1]).toContain(">effective</text>");
    expect(() => checkWellFormed("<svg><g></svg></g>")).toThrow();
  });

  it("writes Markdown that links every chart", async () => {
    const md = await readFile(join(dir, "out", "report.md"), "utf8");
    for (const p of paths.filter((q) => q.endsWith(".svg"))) expect(md).toContain(`](${basename(p)})`);
    expect(md).toContain("| ttft_s.mean | 2 | 0.5 | 0.25× |");
  });

  it("writes a static HTML page with the tables and the charts inlined", async () => {
    const html = await readFile(join(dir, "out", "report.html"), "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<svg[\s>]/g)).toHaveLength(4);
    expect(html).not.toMatch(/<script|<link|<img|src=|href="http/i);
    expect(html).toContain(
      '<td class="metric">ttft_s.mean</td><td>2</td><td>0.5</td><td class="better">0.25×</td>',
    );
    expect(html).toContain(
      '<td class="metric">effective_throughput_tok_s</td><td>600</td><td>2400</td><td class="better">4.00×</td>',
    );
    expect(html).toContain("<td>kind</td><td>burst</td>");
    expect(checkWellFormed(html.replace(/^<!doctype html>/, "").replace(/<meta[^>]*>/g, ""))).toBe("html");
  });
});
