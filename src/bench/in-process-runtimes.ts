/**
 * Runtimes for in-process targets, one fresh instance per run so runs do not share state:
 * - `cpu`: the native CPU runtime on a model file, real time (what `serve` builds, minus HTTP);
 * - `sim`: the simulated GPU (`SimRuntime`, a built-in profile) on a VirtualClock, with the
 *   simulated tokenizer (no encoder: synthetic prompt ids, no grammar constraints);
 * - `mock`: the mock runtime with a simple cost model on a VirtualClock (smoke tests).
 */
import type { EngineTokenizer } from "../engine/engine-options.js";
import { createTestTokenizer } from "../engine/test-tokenizer.js";
import { openModel } from "../model/open-model.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { tokenizerForModel } from "../model/tokenizer-for-model.js";
import { kvBytesFor } from "../runtime/generate.js";
import { MockRuntime } from "../runtime/mock-runtime.js";
import { NativeRuntime } from "../runtime/native-runtime.js";
import { type Clock, type Runtime, systemClock, VirtualClock } from "../runtime/runtime.js";
import { simProfile } from "../runtime/sim-profiles.js";
import { SimRuntime } from "../runtime/sim-runtime.js";
import { simTokenizer } from "../runtime/sim-tokenizer.js";

/** Which in-process runtime to run. */
export type InProcessSpec =
  | {
      readonly kind: "cpu";
      readonly modelPath: string;
      readonly threads: number | null;
      readonly kvCacheBytes: number | null;
      /** Host KV tier (0 = none). */
      readonly hostKvBytes?: number;
    }
  | { readonly kind: "sim"; readonly profile: string }
  | {
      readonly kind: "mock";
      /** KV blocks of 16 tokens (default {@link MOCK_NUM_BLOCKS}). */
      readonly numBlocks?: number;
      /** Simulated step time (default {@link mockStepMs}). */
      readonly stepMs?: (numTokens: number, numRows: number) => number;
    };

/** A runtime for one run, with the clock it runs on (`virtualClock` set for virtual time). */
export interface RuntimeInstance {
  readonly runtime: Runtime;
  readonly clock: Clock;
  readonly virtualClock: VirtualClock | null;
}

/** An opened in-process target: tokenizers, limits, and a factory of fresh runtimes. */
export interface InProcessRuntimes {
  readonly description: Record<string, unknown>;
  readonly engineTokenizer: EngineTokenizer;
  /** A full tokenizer (prompts from text, grammar constraints); `null` for sim and mock. */
  readonly tokenizer: Tokenizer | null;
  readonly vocabSize: number;
  /** The model's context length, `null` = unlimited (the KV pool still limits). */
  readonly maxModelLen: number | null;
  create(): Promise<RuntimeInstance>;
}

/** KV blocks of the mock runtime by default (16 tokens each: 32k tokens). */
export const MOCK_NUM_BLOCKS = 2048;
/** Vocabulary of the mock runtime (the engine's test tokenizer). */
const MOCK_VOCAB = 128;

/** The mock's cost model: 5 ms per step + 20 µs per token + 50 µs per row (arbitrary, GPU-like shape). */
export function mockStepMs(numTokens: number, numRows: number): number {
  return 5 + 0.02 * numTokens + 0.05 * numRows;
}

function openSim(profileName: string, seed: number): InProcessRuntimes {
  const profile = simProfile(profileName);
  const create = async (): Promise<RuntimeInstance> => {
    const clock = new VirtualClock();
    return { runtime: SimRuntime.create(profile, { clock, seed }), clock, virtualClock: clock };
  };
  return {
    description: {
      kind: "sim",
      profile: profile.name,
      device: profile.deviceName,
      model: profile.model.name,
      kvCacheBytes: profile.kvCacheBytes,
      hostKvBytes: profile.hostKvBytes,
      maxBatchTokens: profile.maxBatchTokens,
    },
    engineTokenizer: simTokenizer(profile.model.vocabSize),
    // The simulated vocabulary has no encoder or grammar info: prompts are synthetic ids.
    tokenizer: null,
    vocabSize: profile.model.vocabSize,
    maxModelLen: profile.contextLength,
    create,
  };
}

async function openCpu(
  spec: Extract<InProcessSpec, { kind: "cpu" }>,
  maxNumSeqs: number,
): Promise<InProcessRuntimes> {
  const opened = await openModel(spec.modelPath);
  const tokenizer = tokenizerForModel(opened);
  const m = opened.spec;
  // As `serve`: room for max-num-seqs full contexts, at most 256 MiB, at least one context.
  const kvCacheBytes =
    spec.kvCacheBytes ??
    Math.max(
      kvBytesFor(m, 1, m.contextLength),
      Math.min(256 * 2 ** 20, kvBytesFor(m, maxNumSeqs, m.contextLength)),
    );
  const create = async (): Promise<RuntimeInstance> => ({
    runtime: await NativeRuntime.create(opened, {
      kvCacheBytes,
      ...(spec.hostKvBytes ? { hostKvBytes: spec.hostKvBytes } : {}),
      ...(spec.threads ? { numThreads: spec.threads } : {}),
    }),
    clock: systemClock,
    virtualClock: null,
  });
  return {
    description: {
      kind: "cpu",
      model: opened.path,
      architecture: m.architecture,
      kvCacheBytes,
      hostKvBytes: spec.hostKvBytes ?? 0,
    },
    engineTokenizer: tokenizer,
    tokenizer,
    vocabSize: m.vocabSize,
    maxModelLen: m.contextLength,
    create,
  };
}

function openMock(spec: Extract<InProcessSpec, { kind: "mock" }>): InProcessRuntimes {
  const numBlocks = spec.numBlocks ?? MOCK_NUM_BLOCKS;
  const stepMs = spec.stepMs ?? mockStepMs;
  return {
    description: { kind: "mock", numBlocks, blockTokens: 16 },
    engineTokenizer: createTestTokenizer(),
    tokenizer: null,
    vocabSize: MOCK_VOCAB,
    maxModelLen: null,
    create: async () => {
      const clock = new VirtualClock();
      return {
        runtime: new MockRuntime({ numBlocks, vocabSize: MOCK_VOCAB, clock, stepMs }),
        clock,
        virtualClock: clock,
      };
    },
  };
}

/** Opens the in-process runtime `spec` (loads the model or the simulator once). */
export async function openInProcess(
  spec: InProcessSpec,
  seed: number,
  maxNumSeqs: number,
): Promise<InProcessRuntimes> {
  if (spec.kind === "sim") return openSim(spec.profile, seed);
  if (spec.kind === "cpu") return openCpu(spec, maxNumSeqs);
  return openMock(spec);
}
