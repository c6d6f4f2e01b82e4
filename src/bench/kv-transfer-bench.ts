/**
 * KV transfer bandwidth of the native CPU runtime: store (device → host) and load (host →
 * device) GB/s, alone and while forward passes run on the thread pool, median of several runs.
 * Bandwidth is bytes over the copy thread's time for the transfer.
 *
 *   npx vite-node src/bench/kv-transfer-bench.ts [model.gguf] [--mib 128] [--runs 5] [--threads N]
 *
 * Without a model it uses the generated `benchShaped` test model (the bench preset's layer
 * shape, 4 layers). A script, not a test: it prints, and asserts nothing.
 */
import { openModel } from "../model/open-model.js";
import { NativeRunner, type RunnerRow, type StepOptions } from "../runtime/native-runner.js";
import type { TransferReport } from "../runtime/native-transfers.js";
import type { KvTransfer } from "../runtime/runtime.js";
import { testModelPath } from "../test-support/test-models.js";

interface BenchArgs {
  readonly modelPath: string | null;
  readonly mib: number;
  readonly runs: number;
  readonly threads: number;
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const value = (flag: string, fallback: number) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
  return {
    modelPath: positional[0] ?? null,
    mib: value("--mib", 128),
    runs: value("--runs", 5),
    threads: value("--threads", 2),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);

/**
 * Runs `transfers` alone (a row-less step issues them, a flush waits) or with `busy` prefill
 * steps until all are reported; returns their bytes, copy-thread time and the steps run.
 */
async function timeTransfers(
  runner: NativeRunner,
  transfers: readonly KvTransfer[],
  busy: RunnerRow | null,
): Promise<{ bytes: number; copyMs: number; numSteps: number }> {
  const reports: TransferReport[] = [];
  let numSteps = 0;
  if (busy) {
    const pending = new Set(transfers.map((t) => t.id));
    let opts: StepOptions = { transfers };
    while (pending.size > 0) {
      const r = await runner.step([busy], opts);
      opts = {};
      numSteps++;
      reports.push(r);
      for (const id of r.completedTransferIds) pending.delete(id);
    }
  } else {
    reports.push(await runner.step([], { transfers }));
    reports.push(await runner.flushTransfers());
  }
  const bytes = reports.reduce((s, r) => s + r.transferBytes, 0);
  const copyMs = reports.reduce((s, r) => s + r.transferMs, 0);
  return { bytes, copyMs, numSteps };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const model = await openModel(args.modelPath ?? (await testModelPath("benchShaped")));
  const bytes = args.mib * 2 ** 20;
  const runner = await NativeRunner.create(model, {
    kvCacheBytes: 2 * bytes + 2 ** 24,
    hostKvBytes: bytes,
    numThreads: args.threads,
  });
  const { blockBytes, numBlocks } = runner.info;
  const n = Math.floor(bytes / blockBytes);
  const device = range(numBlocks - n, n); // clear of the busy row's blocks
  const host = range(0, n);
  const shuffled = range(0, n).map((i) => (i * 7919) % n); // no two neighbours consecutive
  const chunk = Array.from({ length: 256 }, (_, i) => (i * 31 + 7) % 1000);
  const busy: RunnerRow = { tokens: chunk, contextLen: chunk.length, blockTable: range(0, 16) };
  let id = 0;
  const cases: [string, () => KvTransfer[], RunnerRow | null][] = [
    ["store", () => [{ id: id++, direction: "store", deviceBlocks: device, hostBlocks: host }], null],
    ["load", () => [{ id: id++, direction: "load", deviceBlocks: device, hostBlocks: host }], null],
    [
      "store (per-block copies)",
      () => [{ id: id++, direction: "store", deviceBlocks: device, hostBlocks: shuffled }],
      null,
    ],
    [
      "store + forward passes",
      () => [{ id: id++, direction: "store", deviceBlocks: device, hostBlocks: host }],
      busy,
    ],
    [
      "load + forward passes",
      () => [{ id: id++, direction: "load", deviceBlocks: device, hostBlocks: host }],
      busy,
    ],
  ];
  console.log(
    `kv-transfer-bench: ${args.mib} MiB per transfer (${n} blocks of ${blockBytes} B), ` +
      `${runner.info.numThreads} compute threads, isa ${runner.info.isa}, median of ${args.runs} runs`,
  );
  for (const [, make] of cases.slice(0, 2)) await timeTransfers(runner, make(), null); // touch every page once
  for (const [name, make, row] of cases) {
    const gbps: number[] = [];
    const steps: number[] = [];
    for (let i = 0; i < args.runs; i++) {
      const r = await timeTransfers(runner, make(), row);
      gbps.push(r.bytes / (r.copyMs * 1e6));
      steps.push(r.numSteps);
    }
    const during = row ? `  (${median(steps)} forward passes of ${chunk.length} tokens meanwhile)` : "";
    console.log(`${name.padEnd(26)} ${median(gbps).toFixed(2).padStart(7)} GB/s${during}`);
  }
  runner.dispose();
}

await main();
