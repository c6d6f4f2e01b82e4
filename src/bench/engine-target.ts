/**
 * In-process target: the real engine, scheduler and KV manager on a cpu, sim or mock runtime,
 * a fresh engine and runtime per run. Requests are greedy with `ignoreEos` and
 * `maxTokens = outputLen`; constrained ones carry the `--json-schema` grammar, compiled once and
 * matched per request as the server does (GrammarCompiler over the tokenizer's info →
 * `{ compiled }` constraint → one GrammarMatcher per request).
 */
import { Engine } from "../engine/engine.js";
import type { GenerationRequest, OutputConstraint, SamplingOptions } from "../engine/engine-types.js";
import { InvalidArgumentError } from "../errors.js";
import type { CompiledGrammar } from "../grammar/compiled-grammar.js";
import { grammarFromJsonSchema } from "../grammar/front-ends.js";
import { GrammarCompiler } from "../grammar/grammar-compiler.js";
import { GrammarMatcher } from "../grammar/grammar-matcher.js";
import type { Clock } from "../runtime/runtime.js";
import { pumpRealTime, pumpVirtual } from "./arrival-pump.js";
import { schedulerSetup } from "./bench-schedulers.js";
import type { BenchTarget, TargetRun } from "./bench-target.js";
import type { BenchRequest } from "./bench-types.js";
import { EngineRecorder, ObservedRuntime } from "./engine-recorder.js";
import { type InProcessRuntimes, type InProcessSpec, openInProcess } from "./in-process-runtimes.js";

/** Options of {@link EngineTarget}. */
export interface EngineTargetOptions {
  readonly spec: InProcessSpec;
  readonly seed: number;
  readonly maxNumSeqs: number;
  /** Base token budget per step (`fcfs-nochunk` raises it). */
  readonly maxNumBatchedTokens: number;
  /** JSON Schema of constrained requests (`null` = none). */
  readonly jsonSchema: unknown;
}

/** Greedy sampling, every other option neutral. */
const BENCH_SAMPLING: SamplingOptions = {
  temperature: 0,
  topP: 1,
  topK: 0,
  minP: 0,
  seed: 0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  logitBias: new Map(),
  topLogprobs: null,
};

/** Runs workloads on an engine inside this process. */
export class EngineTarget implements BenchTarget {
  readonly isSchedulerChosen = true;

  private constructor(
    private readonly runtimes: InProcessRuntimes,
    private readonly constraint: OutputConstraint | null,
    private readonly options: EngineTargetOptions,
  ) {}

  /** Opens the runtime (model or simulator) and compiles the constraint, if any. */
  static async create(options: EngineTargetOptions): Promise<EngineTarget> {
    const runtimes = await openInProcess(options.spec, options.seed, options.maxNumSeqs);
    let constraint: OutputConstraint | null = null;
    if (options.jsonSchema !== null && options.jsonSchema !== undefined) {
      if (!runtimes.tokenizer)
        throw new InvalidArgumentError(
          `--json-schema needs a runtime with a real tokenizer (not ${options.spec.kind})`,
          "json-schema",
        );
      const compiler = new GrammarCompiler(runtimes.tokenizer.info);
      constraint = {
        compiled: compiler.compile(
          grammarFromJsonSchema(options.jsonSchema, { propertyOrder: "schema" }).ast,
        ),
      };
    }
    return new EngineTarget(runtimes, constraint, options);
  }

  /** The opened runtime's tokenizer, vocabulary and limits (for building prompts). */
  get opened(): InProcessRuntimes {
    return this.runtimes;
  }

  get description(): Record<string, unknown> {
    return {
      ...this.runtimes.description,
      maxNumSeqs: this.options.maxNumSeqs,
      maxNumBatchedTokens: this.options.maxNumBatchedTokens,
    };
  }

  async run(requests: readonly BenchRequest[], scheduler: string): Promise<TargetRun> {
    const inst = await this.runtimes.create();
    const runtime = new ObservedRuntime(inst.runtime);
    try {
      const engine = this.createEngine(runtime, inst.clock, scheduler, requests.length);
      const originMs = inst.clock.now();
      const recorder = new EngineRecorder(engine, runtime, inst.clock, originMs);
      const submit = (req: BenchRequest) => {
        recorder.track(req);
        try {
          engine.submit(this.generationRequest(req));
          recorder.submitted();
        } catch (err) {
          recorder.refused(req.id, err);
        }
      };
      if (inst.virtualClock)
        await pumpVirtual(engine, inst.virtualClock, originMs, requests, recorder, submit);
      else await pumpRealTime(inst.clock, originMs, requests, recorder, submit);
      await engine.stop();
      recorder.detach();
      return {
        timelines: recorder.timelinesOf(requests),
        preemptions: recorder.preemptions,
        engine: recorder.engineStats(),
      };
    } finally {
      runtime.dispose();
    }
  }

  async close(): Promise<void> {}

  /** A fresh engine on `runtime` with scheduler `name`'s policy and budget. */
  private createEngine(runtime: ObservedRuntime, clock: Clock, name: string, numRequests: number): Engine {
    const setup = schedulerSetup(name, runtime.info, this.options.maxNumBatchedTokens);
    return new Engine({
      runtime,
      tokenizer: this.runtimes.engineTokenizer,
      clock,
      maxNumSeqs: this.options.maxNumSeqs,
      maxNumBatchedTokens: setup.maxNumBatchedTokens,
      maxNumWaiting: Math.max(4096, numRequests),
      ...(this.runtimes.maxModelLen ? { maxModelLen: this.runtimes.maxModelLen } : {}),
      policy: setup.policy,
      constraintMatcherFactory: (c) => new GrammarMatcher(c.compiled as CompiledGrammar),
      randomSeed: () => this.options.seed,
    });
  }

  private generationRequest(req: BenchRequest): GenerationRequest {
    return {
      id: req.id,
      promptTokens: req.promptTokens,
      sampling: BENCH_SAMPLING,
      maxTokens: req.outputLen,
      minTokens: 0,
      stop: [],
      stopTokenIds: [],
      ignoreEos: true,
      constraint: req.isConstrained ? this.constraint : null,
      consumptionRateTokPerS: req.rateTokPerS,
    };
  }
}
