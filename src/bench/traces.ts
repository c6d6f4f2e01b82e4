/**
 * Trace replay for `--workload trace:PATH`: the Azure LLM inference CSV
 * (`TIMESTAMP,ContextTokens,GeneratedTokens`, timestamps like `2023-11-16 18:17:03.9799600`)
 * and the Mooncake JSONL (`timestamp` in ms, `input_length`, `output_length`), cut to
 * `--trace-window START:DURATION` and compressed by `--trace-speedup`.
 */
import { readFile } from "node:fs/promises";
import { InvalidArgumentError } from "../errors.js";

/** One request of a trace: seconds since the trace's first request, and its lengths (≥ 1). */
export interface TraceRow {
  readonly timeS: number;
  readonly inputLen: number;
  readonly outputLen: number;
}

/** Which part of a trace to replay, and how fast. */
export interface TraceReplay {
  /** Window start, seconds after the trace's first request (default 0). */
  readonly windowStartS: number;
  /** Window length in trace seconds; `null` = to the end. */
  readonly windowDurationS: number | null;
  /** Arrival gaps are divided by this (> 0; default 1). */
  readonly speedup: number;
}

/** Parses `--trace-window START:DURATION` (seconds, START ≥ 0, DURATION > 0). */
export function parseTraceWindow(raw: string): { startS: number; durationS: number } {
  const m = /^\s*([0-9.]+)\s*:\s*([0-9.]+)\s*$/.exec(raw);
  const startS = Number(m?.[1]);
  const durationS = Number(m?.[2]);
  if (!m || !Number.isFinite(startS) || !Number.isFinite(durationS) || durationS <= 0)
    throw new InvalidArgumentError(
      `--trace-window must be START:DURATION in seconds (e.g. 600:120), got "${raw}"`,
      "trace-window",
    );
  return { startS, durationS };
}

const AZURE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

/** Seconds since the epoch of an Azure trace timestamp (UTC; sub-ms digits kept). */
function azureSeconds(raw: string, where: string): number {
  const m = AZURE_TIME.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(`${where}: bad TIMESTAMP "${raw}"`, "workload");
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000 + Number(`0${m[7] ?? ""}`);
}

function length(raw: unknown, where: string, field: string): number {
  const n = Number(raw);
  if (raw === undefined || raw === null || raw === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`${where}: ${field} must be a non-negative number`, "workload");
  return Math.max(1, Math.round(n));
}

function parseAzureCsv(text: string, path: string): TraceRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const cols = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"].map((c) => header.indexOf(c));
  if (cols.some((c) => c < 0))
    throw new InvalidArgumentError(
      `${path}: expected a header TIMESTAMP,ContextTokens,GeneratedTokens, got "${lines[0] ?? ""}"`,
      "workload",
    );
  const [ct, ci, co] = cols as [number, number, number];
  return lines.slice(1).map((line, i) => {
    const f = line.split(",");
    const where = `${path}:${i + 2}`;
    return {
      timeS: azureSeconds(f[ct] ?? "", where),
      inputLen: length(f[ci], where, "ContextTokens"),
      outputLen: length(f[co], where, "GeneratedTokens"),
    };
  });
}

function parseMooncakeJsonl(text: string, path: string): TraceRow[] {
  const rows: TraceRow[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    const where = `${path}:${i + 1}`;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new InvalidArgumentError(`${where}: not a JSON line`, "workload");
    }
    const ms = Number(o.timestamp);
    if (typeof o.timestamp !== "number" || !Number.isFinite(ms))
      throw new InvalidArgumentError(`${where}: timestamp (ms) must be a number`, "workload");
    rows.push({
      timeS: ms / 1000,
      inputLen: length(o.input_length, where, "input_length"),
      outputLen: length(o.output_length, where, "output_length"),
    });
  }
  return rows;
}

/**
 * Parses a trace's text (format detected from its first character: `{` = Mooncake JSONL, else
 * Azure CSV). Rows come back sorted by time, relative to the first request.
 */
export function parseTrace(text: string, path: string): TraceRow[] {
  const isJsonl = text.trimStart().startsWith("{");
  const rows = isJsonl ? parseMooncakeJsonl(text, path) : parseAzureCsv(text, path);
  if (rows.length === 0) throw new InvalidArgumentError(`${path}: the trace has no requests`, "workload");
  rows.sort((a, b) => a.timeS - b.timeS);
  const t0 = (rows[0] as TraceRow).timeS;
  return rows.map((r) => ({ ...r, timeS: r.timeS - t0 }));
}

/** Reads and parses a trace file (see {@link parseTrace}). */
export async function readTrace(path: string): Promise<TraceRow[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InvalidArgumentError(`cannot read trace ${path}: ${(err as Error).message}`, "workload");
  }
  return parseTrace(text, path);
}

/**
 * The rows inside the replay window, with arrival times in seconds after the window's start
 * divided by the speedup (so the first replayed request may arrive after 0).
 */
export function replayTrace(rows: readonly TraceRow[], replay: TraceReplay): TraceRow[] {
  if (!(replay.speedup > 0))
    throw new InvalidArgumentError("--trace-speedup must be a positive number", "trace-speedup");
  const start = replay.windowStartS;
  const end = replay.windowDurationS === null ? Number.POSITIVE_INFINITY : start + replay.windowDurationS;
  const picked = rows
    .filter((r) => r.timeS >= start && r.timeS < end)
    .map((r) => ({ ...r, timeS: (r.timeS - start) / replay.speedup }));
  if (picked.length === 0)
    throw new InvalidArgumentError(
      `the trace window ${start}:${replay.windowDurationS ?? "end"} s holds no requests`,
      "trace-window",
    );
  return picked;
}
