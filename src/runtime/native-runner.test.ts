/**
 * The native Runner's contract: pool geometry, outputs, and rejection (never a crash) of bad
 * configs and bad step inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenedModel, openModel } from "../model/open-model.js";
import type { TensorRef } from "../model/tensor-ref.js";
import { testModelPath } from "../test-support/test-models.js";
import type { NativeStepInput } from "./addon-types.js";
import { KV_BLOCK_TOKENS, MAX_TOP_LOGPROBS, NativeRunner, type RunnableModel } from "./native-runner.js";

const VOCAB = 32000;

/** A valid raw input: row 0 prefills 3 tokens into block 2, row 1 decodes position 20 (blocks 0, 1). */
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
    numTopLogprobs: Int32Array.from([5, 0]),
    outTokens: new Int32Array(rows),
    outLogprobs: new Float32Array(rows),
    outTopIds: new Int32Array(rows * MAX_TOP_LOGPROBS),
    outTopLogprobs: new Float32Array(rows * MAX_TOP_LOGPROBS),
  };
}

function withTensors(model: OpenedModel, edit: (tensors: Map<string, TensorRef>) => void): RunnableModel {
  const tensors = new Map(model.tensors);
  edit(tensors);
  return { spec: model.spec, tensors };
}

describe("NativeRunner", () => {
  let model: OpenedModel;
  let runner: NativeRunner;
  beforeAll(async () => {
    model = await openModel(await testModelPath("tinyF32"));
    runner = await NativeRunner.create(model, { kvCacheBytes: 1 << 20, numThreads: 2 });
  });
  afterAll(() => runner?.dispose());

  it("sizes the pool as floor(kvCacheBytes / blockBytes), a block holding all layers' K and V", () => {
    const s = model.spec;
    expect(runner.info.blockBytes).toBe(s.numLayers * 2 * s.numKvHeads * KV_BLOCK_TOKENS * s.headDim * 2);
    expect(runner.info.numBlocks).toBe(Math.floor((1 << 20) / runner.info.blockBytes));
    expect(runner.info.numThreads).toBe(2);
    expect(runner.info.vocabSize).toBe(VOCAB);
  });

  it("runs a mixed prefill + decode step and fills the outputs", async () => {
    const input = validInput();
    const logits = new Float32Array(2 * VOCAB);
    const r = await runner.stepRaw({ ...input, logitsOut: logits });
    expect(r.numSampled).toBe(2);
    expect(r.forwardMs).toBeGreaterThan(0);
    let argmax = 0;
    for (let i = 1; i < VOCAB; i++) if ((logits[i] as number) > (logits[argmax] as number)) argmax = i;
    expect(input.outTokens[0]).toBe(argmax);
    expect(input.outTopIds[0]).toBe(argmax);
    expect(input.outTopLogprobs[0]).toBeCloseTo(input.outLogprobs[0] as number, 6);
    expect(Array.from(input.outTopIds.subarray(5, MAX_TOP_LOGPROBS)).every((id) => id === -1)).toBe(true);
  });

  it("leaves unsampled rows at -1", async () => {
    const input = validInput();
    input.sample[0] = 0;
    await runner.stepRaw(input);
    expect(input.outTokens[0]).toBe(-1);
    expect(Number.isNaN(input.outLogprobs[0])).toBe(true);
    expect(input.outTokens[1]).toBeGreaterThanOrEqual(0);
  });

  it("samples reproducibly from (seed, step) and honours an allowed-token mask", async () => {
    const row = { tokens: [1, 450], contextLen: 2, blockTable: [5] };
    const sample = { temperature: 1.5, seed: 42n, stepIndex: 3 };
    const a = (await runner.step([{ ...row, sample }])).tokens[0];
    const b = (await runner.step([{ ...row, sample }])).tokens[0];
    expect(a).toBe(b);
    const mask = new Int32Array(Math.ceil(VOCAB / 32));
    mask[1234 >> 5] = 1 << (1234 & 31);
    expect((await runner.step([{ ...row, sample: { ...sample, mask } }])).tokens[0]).toBe(1234);
  });

  it("fills deferred masks while the forward pass runs and samples exactly as with up-front masks", async () => {
    const words = Math.ceil(VOCAB / 32);
    const rows = [
      {
        tokens: [1, 450, 7],
        contextLen: 3,
        blockTable: [5],
        sample: { temperature: 0.8, seed: 7n, stepIndex: 1 },
      },
      { tokens: [9], contextLen: 1, blockTable: [6], sample: { temperature: 0 } },
      {
        tokens: [3, 4],
        contextLen: 2,
        blockTable: [7],
        sample: { temperature: 1.2, seed: 9n, numTopLogprobs: 3 },
      },
    ];
    const allowed = [17, 450, 1234, 2000, 2001];
    const mask = new Int32Array(words);
    for (const id of allowed) mask[id >> 5] = (mask[id >> 5] as number) | (1 << (id & 31));
    const upFront = await runner.step(
      rows.map((r, i) => (i === 1 ? r : { ...r, sample: { ...r.sample, mask } })),
    );
    const expected = Array.from(upFront.tokens);
    const expectedTop = Array.from(upFront.topIds.subarray(40, 43));
    let calls = 0;
    const deferred = await runner.step(rows, {
      fillMasks: (m, has) => {
        calls++;
        expect(m.length).toBe(3 * words);
        expect(Array.from(has)).toEqual([0, 0, 0]);
        for (const r of [0, 2]) {
          m.set(mask, r * words);
          has[r] = 1;
        }
      },
    });
    expect(calls).toBe(1);
    expect(Array.from(deferred.tokens)).toEqual(expected);
    expect(Array.from(deferred.topIds.subarray(40, 43))).toEqual(expectedTop);
    expect(allowed).toContain(deferred.tokens[0]);
    expect(allowed).toContain(deferred.tokens[2]);
    expect(deferred.maskMs).toBeGreaterThanOrEqual(0);
    expect(deferred.forwardMs).toBeGreaterThan(0);
  });

  it("reports a throwing mask filler after the forward pass, leaving the runner usable", async () => {
    const row = { tokens: [1, 2], contextLen: 2, blockTable: [5], sample: {} };
    await expect(
      runner.step([row], {
        fillMasks: () => {
          throw new Error("matcher broke");
        },
      }),
    ).rejects.toThrow(/matcher broke/);
    await expect(runner.step([row])).resolves.toBeTruthy();
  });

  it("rejects sample() without a deferred step before it", async () => {
    await expect(runner.stepRaw(validInput())).resolves.toBeTruthy();
    const handle = (runner as unknown as { handle: { sample(i: NativeStepInput): Promise<unknown> } }).handle;
    await expect(handle.sample(validInput())).rejects.toThrow(/deferSampling/);
  });

  const bad: [string, (i: NativeStepInput) => void, RegExp][] = [
    [
      "a token id past the vocabulary",
      (i) => {
        i.tokens[1] = VOCAB;
      },
      /tokens\[1\].*vocabulary/,
    ],
    [
      "a negative token id",
      (i) => {
        i.tokens[0] = -1;
      },
      /tokens\[0\]/,
    ],
    [
      "a position that is not the row's next",
      (i) => {
        i.positions[3] = 7;
      },
      /positions\[3\]/,
    ],
    [
      "a negative position",
      (i) => {
        i.positions[0] = -1;
      },
      /positions\[0\]/,
    ],
    [
      "a block id outside the pool",
      (i) => {
        i.blockTables[3] = 1 << 30;
      },
      /blockTables\[3\].*outside the KV pool/,
    ],
    [
      "a negative block id",
      (i) => {
        i.blockTables[0] = -5;
      },
      /blockTables\[0\]/,
    ],
    [
      "a slot that disagrees with the block table",
      (i) => {
        i.slotMapping[3] = 99;
      },
      /slotMapping\[3\]/,
    ],
    [
      "rows that write the same slot",
      (i) => void i.blockTables.set([2, -1, 2, 2]),
      /slotMapping|same KV slot/,
    ],
    ["an empty row", (i) => void i.rowQueryStart.set([0, 0, 4]), /rowQueryStart.*empty/],
    [
      "query starts that do not end at numTokens",
      (i) => {
        i.numTokens = 3;
      },
      /rowQueryStart|tokens/,
    ],
    [
      "a context longer than its block table",
      (i) => {
        i.rowContextLen[1] = 40;
      },
      /rowContextLen\[1\]/,
    ],
    [
      "a context shorter than the row's tokens",
      (i) => {
        i.rowContextLen[0] = 2;
      },
      /rowContextLen\[0\]/,
    ],
    [
      "a too-short tokens array",
      (i) => {
        i.tokens = Int32Array.from([1, 2]);
      },
      /tokens has 2 elements/,
    ],
    [
      "a tokens array of the wrong type",
      (i) => {
        i.tokens = new Float32Array(4) as unknown as Int32Array;
      },
      /tokens must be an Int32Array/,
    ],
    [
      "a too-short block table array",
      (i) => {
        i.blockTables = new Int32Array(3);
      },
      /blockTables/,
    ],
    [
      "too many top logprobs",
      (i) => {
        i.numTopLogprobs[0] = 21;
      },
      /numTopLogprobs\[0\]/,
    ],
    [
      "a NaN temperature",
      (i) => {
        i.temperature[0] = Number.NaN;
      },
      /temperature\[0\]/,
    ],
    [
      "a decode row of several tokens",
      (i) => {
        i.rowIsDecode = Uint8Array.from([1, 0]);
      },
      /rowIsDecode\[0\]/,
    ],
    [
      "a too-short bitmask",
      (i) => Object.assign(i, { hasMask: Uint8Array.from([1, 0]), bitmask: new Int32Array(10) }),
      /bitmask/,
    ],
    [
      "history offsets past the history",
      (i) => Object.assign(i, { historyStart: Int32Array.from([0, 5, 9]), historyTokens: new Int32Array(4) }),
      /historyStart/,
    ],
    [
      "bias ids outside the vocabulary",
      (i) =>
        Object.assign(i, {
          biasStart: Int32Array.from([0, 1, 1]),
          biasIds: Int32Array.from([VOCAB]),
          biasValues: Float32Array.from([1]),
        }),
      /biasIds\[0\]/,
    ],
    [
      "a missing output array",
      (i) => {
        (i as Partial<NativeStepInput>).outTokens = undefined;
      },
      /outTokens/,
    ],
    [
      "a too-short logitsOut",
      (i) => {
        i.logitsOut = new Float32Array(VOCAB);
      },
      /logitsOut/,
    ],
    [
      "a fractional row count",
      (i) => {
        i.numRows = 1.5;
      },
      /numRows/,
    ],
  ];
  it.each(bad)("rejects %s with an error naming it", async (_what, mutate, message) => {
    const input = validInput();
    mutate(input);
    await expect(runner.stepRaw(input)).rejects.toThrow(message);
  });

  it("survives random corruption of every field (rejects or runs, never crashes)", async () => {
    let x = 7;
    const rand = (n: number) => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x % n;
    };
    const values = [-1, 0, 1, 2, 3, 15, 16, 17, 1 << 30, -(1 << 30), VOCAB];
    let rejected = 0;
    for (let iter = 0; iter < 300; iter++) {
      const input = validInput();
      const keys = [
        "tokens",
        "positions",
        "rowQueryStart",
        "rowContextLen",
        "blockTables",
        "slotMapping",
        "numTopLogprobs",
        "topK",
      ] as const;
      const arr = input[keys[rand(keys.length)] as (typeof keys)[number]];
      arr[rand(arr.length)] = values[rand(values.length)] as number;
      if (rand(4) === 0) input.numTokens = rand(6);
      await runner.stepRaw(input).catch((err: unknown) => {
        expect(err).toBeInstanceOf(Error);
        rejected++;
      });
    }
    expect(rejected).toBeGreaterThan(100);
    await expect(runner.stepRaw(validInput())).resolves.toBeTruthy();
  });

  it("rejects a second step while one is in flight", async () => {
    const first = runner.stepRaw(validInput());
    await expect(runner.stepRaw(validInput())).rejects.toThrow(/already running/);
    await first;
  });

  it("rejects bad configs with the problem named", async () => {
    const ok = { kvCacheBytes: 1 << 20 };
    const without = withTensors(model, (t) => t.delete("blk.1.ffn_up.weight"));
    await expect(NativeRunner.create(without, ok)).rejects.toThrow(/blk\.1\.ffn_up\.weight/);
    const wrongShape = withTensors(model, (t) => {
      const ref = t.get("blk.0.attn_q.weight") as TensorRef;
      t.set(ref.name, { ...ref, shape: [32, 128] });
    });
    await expect(NativeRunner.create(wrongShape, ok)).rejects.toThrow(/attn_q\.weight has shape/);
    const missingFile = withTensors(model, (t) => {
      const ref = t.get("output_norm.weight") as TensorRef;
      t.set(ref.name, { ...ref, file: "/nonexistent/model.gguf" });
    });
    await expect(NativeRunner.create(missingFile, ok)).rejects.toThrow(/cannot open/);
    const pastEnd = withTensors(model, (t) => {
      const ref = t.get("token_embd.weight") as TensorRef;
      t.set(ref.name, { ...ref, offsetBytes: ref.offsetBytes + 1e9 });
    });
    await expect(NativeRunner.create(pastEnd, ok)).rejects.toThrow(/outside/);
    await expect(NativeRunner.create(model, { kvCacheBytes: 100 })).rejects.toThrow(
      /smaller than one KV block/,
    );
  });

  it("rejects steps after dispose, and dispose is idempotent", async () => {
    const r = await NativeRunner.create(model, { kvCacheBytes: 1 << 20 });
    r.dispose();
    r.dispose();
    await expect(r.stepRaw(validInput())).rejects.toThrow(/disposed/);
  });
});
