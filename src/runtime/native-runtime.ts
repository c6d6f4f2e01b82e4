import { UnsupportedError } from "../errors.js";
import type { OpenedModel } from "../model/open-model.js";
import { NativeRunner, type NativeRunnerOptions, type RunnableModel } from "./native-runner.js";
import type { Runtime, RuntimeInfo, RuntimeStepInput, RuntimeStepOutput } from "./runtime.js";

/** The native CPU runtime behind the {@link Runtime} interface (wraps a {@link NativeRunner}). */
export class NativeRuntime implements Runtime {
  readonly kind = "native-cpu";
  readonly info: RuntimeInfo;
  private disposed = false;

  private constructor(readonly runner: NativeRunner) {
    const i = runner.info;
    this.info = {
      numBlocks: i.numBlocks,
      blockTokens: i.blockTokens,
      blockBytes: i.blockBytes,
      vocabSize: i.vocabSize,
      maxBatchTokens: i.maxBatchTokens,
    };
  }

  /** Maps `model` natively and sizes its KV pool (`options.kvCacheBytes`). */
  static async create(
    model: RunnableModel | OpenedModel,
    options: NativeRunnerOptions,
  ): Promise<NativeRuntime> {
    return new NativeRuntime(await NativeRunner.create(model, options));
  }

  step(input: RuntimeStepInput): Promise<RuntimeStepOutput> {
    if (input.transfers?.length)
      return Promise.reject(new UnsupportedError(`the ${this.kind} runtime has no host KV tier`));
    // The runner's output arrays are views valid until its next step, as the interface allows.
    return this.runner.step(input.rows, input.fillMasks ? { fillMasks: input.fillMasks } : {});
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.dispose();
  }
}
