/**
 * Transfer inputs the native runner must refuse (naming the field) without ever crashing, the
 * locks that keep the copy thread from racing the forward pass, and dispose with copies queued.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenedModel, openModel } from "../model/open-model.js";
import { testModelPath } from "../test-support/test-models.js";
import type { NativeRunner as NativeRunnerHandle, NativeStepInput } from "./addon-types.js";
import { MAX_TOP_LOGPROBS, NativeRunner, type RunnerRow } from "./native-runner.js";
import type { KvTransfer } from "./runtime.js";

const MIB = 1 << 20;
const handleOf = (r: NativeRunner) => (r as unknown as { handle: NativeRunnerHandle }).handle;

/**
 * A valid raw input: row 0 prefills 3 tokens into block 2, row 1 decodes position 20 (reads
 * blocks 0 and 1, writes block 1); transfer 7 stores device block 5 into host block 0.
 */
function validInput(): NativeStepInput {
  const rows = 2;
  return {
    numRows: rows,
    numTokens: 4,
    maxBlocksPerRow: 2,
    tokens: Int32Array.from([1, 450, 4996, 17354]),
    positions: Int32Array.from([0, 1, 2, 20]),
    rowQueryStart: Int32Array.from([0, 3, 4]),
    rowContextLen: Int32Array.from([3, 21]),
    blockTables: Int32Array.from([2, -1, 0, 1]),
    slotMapping: Int32Array.from([32, 33, 34, 16 + 4]),
    rowIsDecode: Uint8Array.from([0, 1]),
    sample: Uint8Array.from([1, 1]),
    temperature: new Float32Array(rows),
    topP: new Float32Array(rows).fill(1),
    minP: new Float32Array(rows),
    repetitionPenalty: new Float32Array(rows).fill(1),
    presencePenalty: new Float32Array(rows),
    frequencyPenalty: new Float32Array(rows),
    topK: new Int32Array(rows),
    seed: new BigUint64Array(rows),
    stepIndex: new Int32Array(rows),
    numTopLogprobs: new Int32Array(rows),
    outTokens: new Int32Array(rows),
    outLogprobs: new Float32Array(rows),
    outTopIds: new Int32Array(rows * MAX_TOP_LOGPROBS),
    outTopLogprobs: new Float32Array(rows * MAX_TOP_LOGPROBS),
    numTransfers: 1,
    transferIds: Int32Array.from([7]),
    transferIsLoad: Uint8Array.from([0]),
    transferStart: Int32Array.from([0, 1]),
    transferDeviceBlocks: Int32Array.from([5]),
    transferHostBlocks: Int32Array.from([0]),
  };
}

/** Replaces the input's transfers with `list` of [id, isLoad, device blocks, host blocks]. */
function withTransfers(i: NativeStepInput, list: [number, 0 | 1, number[], number[]][]): void {
  i.numTransfers = list.length;
  i.transferIds = Int32Array.from(list.map((t) => t[0]));
  i.transferIsLoad = Uint8Array.from(list.map((t) => t[1]));
  i.transferStart = Int32Array.from([
    0,
    ...list.map((_, k) => list.slice(0, k + 1).flatMap((t) => t[2]).length),
  ]);
  i.transferDeviceBlocks = Int32Array.from(list.flatMap((t) => t[2]));
  i.transferHostBlocks = Int32Array.from(list.flatMap((t) => t[3]));
}

const side = (block: number): RunnerRow => ({ tokens: [1, 2], contextLen: 2, blockTable: [block] });
const reading = (block: number): RunnerRow => ({ tokens: [3], contextLen: 17, blockTable: [block, 9] });
const transfer = (id: number, dir: "store" | "load", d: number[], h: number[]): KvTransfer => ({
  id,
  direction: dir,
  deviceBlocks: d,
  hostBlocks: h,
});

describe("native transfer validation", () => {
  let model: OpenedModel;
  let runner: NativeRunner;
  beforeAll(async () => {
    model = await openModel(await testModelPath("tinyF32"));
    runner = await NativeRunner.create(model, { kvCacheBytes: MIB, hostKvBytes: MIB, numThreads: 2 });
  });
  afterAll(() => runner?.dispose());

  const bad: [string, (i: NativeStepInput) => void, RegExp][] = [
    [
      "missing ids",
      (i) => {
        i.transferIds = undefined;
      },
      /transferIds is required/,
    ],
    [
      "ids of the wrong type",
      (i) => {
        i.transferIds = new Float32Array(1) as never;
      },
      /transferIds must be an Int32Array/,
    ],
    [
      "a fractional count",
      (i) => {
        i.numTransfers = 0.5;
      },
      /numTransfers must be an integer/,
    ],
    [
      "a direction flag of 2",
      (i) => {
        i.transferIsLoad = Uint8Array.from([2]);
      },
      /transferIsLoad\[0\]/,
    ],
    [
      "starts not from 0",
      (i) => {
        i.transferStart = Int32Array.from([1, 1]);
      },
      /transferStart\[0\] must be 0/,
    ],
    [
      "an empty transfer",
      (i) => {
        i.transferStart = Int32Array.from([0, 0]);
      },
      /transferStart must be strictly/,
    ],
    [
      "starts past the block lists",
      (i) => {
        i.transferStart = Int32Array.from([0, 9]);
      },
      /transferDeviceBlocks has 1/,
    ],
    ["a short host list", (i) => void withTransfers(i, [[7, 0, [5, 6], [0]]]), /transferHostBlocks has 1/],
    [
      "a device block past the pool",
      (i) => {
        i.transferDeviceBlocks = Int32Array.from([1 << 20]);
      },
      /transferDeviceBlocks\[0\] = 1048576 is outside the KV pool/,
    ],
    [
      "a negative device block",
      (i) => {
        i.transferDeviceBlocks = Int32Array.from([-1]);
      },
      /transferDeviceBlocks\[0\]/,
    ],
    [
      "a host block past the tier",
      (i) => {
        i.transferHostBlocks = Int32Array.from([99999]);
      },
      /transferHostBlocks\[0\] = 99999 is outside the host KV pool/,
    ],
    [
      "a repeated id",
      (i) =>
        withTransfers(i, [
          [7, 0, [5], [0]],
          [7, 0, [6], [1]],
        ]),
      /transferIds holds 7 twice/,
    ],
    [
      "two stores into one host block",
      (i) =>
        withTransfers(i, [
          [7, 0, [5], [0]],
          [8, 0, [6], [0]],
        ]),
      /transferHostBlocks\[1\] \(store 8\): host block 0 is the target of store 7/,
    ],
    [
      "two loads into one device block",
      (i) => withTransfers(i, [[7, 1, [5, 5], [0, 1]]]),
      /transferDeviceBlocks\[1\] \(load 7\): device block 5 is the target of load 7/,
    ],
    [
      "a load of a host block stored in the same step",
      (i) =>
        withTransfers(i, [
          [7, 0, [5], [3]],
          [8, 1, [6], [3]],
        ]),
      /transferHostBlocks\[1\] \(load 8\): host block 3 is the target of store 7/,
    ],
    [
      "a load into a block a store reads",
      (i) =>
        withTransfers(i, [
          [7, 0, [5], [3]],
          [8, 1, [5], [4]],
        ]),
      /transferDeviceBlocks\[1\] \(load 8\): device block 5 is read by store 7/,
    ],
    [
      "a load into a block a row reads",
      (i) => withTransfers(i, [[7, 1, [0], [3]]]),
      /load 7 targets device block 0, which this step's rows read or write \(blockTables\[2\]\)/,
    ],
    [
      "a load into a block a row writes",
      (i) => withTransfers(i, [[7, 1, [2], [3]]]),
      /load 7 targets device block 2.*blockTables\[0\]/,
    ],
    [
      "a store of a block a row writes",
      (i) => withTransfers(i, [[7, 0, [1], [3]]]),
      /store 7 reads device block 1, which this step writes \(slotMapping\[3\]\)/,
    ],
    [
      "a step without rows or transfers",
      (i) => Object.assign(i, { numRows: 0, numTokens: 0, numTransfers: 0 }),
      /numRows is 0/,
    ],
  ];
  it.each(bad)("rejects %s, naming the field", async (_what, mutate, message) => {
    const input = validInput();
    mutate(input);
    await expect(runner.stepRaw(input)).rejects.toThrow(message);
    const ok = await runner.stepRaw(validInput());
    const ids = [...ok.completedTransferIds, ...(await runner.flushTransfers()).completedTransferIds];
    expect(ids).toEqual([7]);
  });

  it("holds a store's blocks until its completion is reported", async () => {
    const h = handleOf(runner);
    h.holdTransfersForTest(true);
    try {
      const first = await runner.step([side(2)], { transfers: [transfer(1, "store", [10], [0])] });
      expect(first.completedTransferIds).toEqual([]);
      await expect(runner.step([side(10)])).rejects.toThrow(
        /slotMapping\[0\] writes device block 10, which store 1 still reads/,
      );
      const again = [transfer(1, "store", [11], [1])];
      await expect(runner.step([side(2)], { transfers: again })).rejects.toThrow(
        /transferIds\[0\] = 1 is already in flight/,
      );
      const intoHost = [transfer(2, "store", [11], [0])];
      await expect(runner.step([side(2)], { transfers: intoHost })).rejects.toThrow(
        /host block 0 is the target of store 1 in flight/,
      );
      const readHost = [transfer(2, "load", [11], [0])];
      await expect(runner.step([side(2)], { transfers: readHost })).rejects.toThrow(
        /host block 0 is the target of store 1 in flight/,
      );
      const overwrite = [transfer(2, "load", [10], [5])];
      await expect(runner.step([side(2)], { transfers: overwrite })).rejects.toThrow(
        /device block 10 is read by store 1 in flight/,
      );
      expect((await runner.step([reading(10)])).completedTransferIds).toEqual([]); // reading is fine
    } finally {
      h.holdTransfersForTest(false);
    }
    expect((await runner.flushTransfers()).completedTransferIds).toEqual([1]);
    await expect(runner.step([side(10)])).resolves.toBeTruthy();
  });

  it("holds a load's blocks until its completion is reported", async () => {
    const h = handleOf(runner);
    h.holdTransfersForTest(true);
    try {
      await runner.step([side(2)], { transfers: [transfer(3, "load", [12], [0])] });
      await expect(runner.step([reading(12)])).rejects.toThrow(
        /blockTables\[0\] = 12: device block 12 is the target of load 3/,
      );
      const storeIt = [transfer(4, "store", [12], [6])];
      await expect(runner.step([side(2)], { transfers: storeIt })).rejects.toThrow(
        /device block 12 is the target of load 3 in flight/,
      );
      const overwriteSource = [transfer(4, "store", [13], [0])];
      await expect(runner.step([side(2)], { transfers: overwriteSource })).rejects.toThrow(
        /host block 0 is read by load 3 in flight/,
      );
      const twice = [transfer(4, "load", [14], [0])]; // two loads may read one host block
      expect((await runner.step([side(2)], { transfers: twice })).completedTransferIds).toEqual([]);
    } finally {
      h.holdTransfersForTest(false);
    }
    expect([...(await runner.flushTransfers()).completedTransferIds].sort()).toEqual([3, 4]);
    await expect(runner.step([reading(12)])).resolves.toBeTruthy();
  });

  it("survives random corruption of the transfer fields (rejects or runs, never crashes)", async () => {
    let x = 99;
    const rand = (k: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 16) % k;
    };
    const values = [-1, 0, 1, 2, 3, 5, 15, 16, 255, 256, 1 << 30, -(1 << 30)];
    const keys = [
      "transferIds",
      "transferIsLoad",
      "transferStart",
      "transferDeviceBlocks",
      "transferHostBlocks",
    ] as const;
    let rejected = 0;
    for (let iter = 0; iter < 300; iter++) {
      const input = validInput();
      withTransfers(input, [
        [7, 0, [5, 6], [0, 1]],
        [8, 1, [7], [2]],
      ]);
      for (let k = 1 + rand(2); k > 0; k--) {
        const arr = input[keys[rand(keys.length)] as (typeof keys)[number]] as Int32Array;
        arr[rand(arr.length)] = values[rand(values.length)] as number;
      }
      if (rand(5) === 0) input.numTransfers = values[rand(values.length)] as number;
      await runner.stepRaw(input).then(
        () => runner.flushTransfers(),
        (err: unknown) => {
          expect(err).toBeInstanceOf(Error);
          rejected++;
        },
      );
    }
    expect(rejected).toBeGreaterThan(100);
    await expect(runner.stepRaw(validInput())).resolves.toBeTruthy();
    await runner.flushTransfers();
  });

  it("keeps completions a failed step had collected for the next report", async () => {
    const h = handleOf(runner);
    h.holdTransfersForTest(true);
    await runner.step([side(2)], { transfers: [transfer(30, "store", [20], [20])] });
    h.holdTransfersForTest(false);
    await new Promise((resolve) => setTimeout(resolve, 30)); // the one-block copy lands meanwhile
    const fillMasks = () => {
      throw new Error("matcher broke");
    };
    await expect(runner.step([{ ...side(2), sample: {} }], { fillMasks })).rejects.toThrow(/matcher broke/);
    const next = await runner.step([side(2)]);
    const ids = [...next.completedTransferIds, ...(await runner.flushTransfers()).completedTransferIds];
    expect(ids).toEqual([30]);
  });

  it("rejects flushTransfers while a step is in flight", async () => {
    const step = runner.step([side(2)]);
    await expect(runner.flushTransfers()).rejects.toThrow(/already running/);
    await step;
  });
});

describe("native transfer engine dispose", () => {
  let model: OpenedModel;
  beforeAll(async () => {
    model = await openModel(await testModelPath("tinyF32"));
  });
  const make = () =>
    NativeRunner.create(model, { kvCacheBytes: 32 * MIB, hostKvBytes: 32 * MIB, numThreads: 1 });
  const everything = (r: NativeRunner) => {
    const n = r.info.numBlocks;
    const blocks = Array.from({ length: n - 100 }, (_, i) => 100 + i);
    return [
      transfer(1, "store", blocks, blocks),
      transfer(2, "load", [50, 51], [0, 1]),
      transfer(3, "store", [60], [5]),
    ];
  };

  it("abandons held copies and rejects a waiting flush", async () => {
    const r = await make();
    handleOf(r).holdTransfersForTest(true);
    await r.step([side(0)], { transfers: everything(r) });
    const flush = r.flushTransfers();
    r.dispose();
    await expect(flush).rejects.toThrow(/disposed/);
    await expect(r.stepRaw(validInput())).rejects.toThrow(/disposed/);
  });

  it("stops a copy thread in the middle of its queue while a step runs", async () => {
    const r = await make();
    const step = r.step([side(0)], { transfers: everything(r) });
    r.dispose();
    await step.catch(() => undefined);
    const waiting = await make();
    handleOf(waiting).holdTransfersForTest(true);
    const rowless = waiting.step([], { transfers: everything(waiting) });
    waiting.dispose();
    await expect(rowless).resolves.toBeTruthy(); // the waiting row-less step wakes up
  });
});
