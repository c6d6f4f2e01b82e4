import { UnsupportedError } from "../errors.js";
import type { OpenedModel } from "../model/open-model.js";
import { NativeRunner, type NativeRunnerOptions, type RunnableModel } from "./native-runner.js";
import type { Runtime, RuntimeInfo, RuntimeStepInput, RuntimeStepOutput } from "./runtime.js";

/**
 * The native CPU runtime behind the {@link Runtime} interface (wraps a {@link NativeRunner}).
 * With `hostKvBytes`, it has a host KV tier and copies transfers on its own thread while the
 * forward pass runs.
 */
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
      numHostBlocks: i.numHostBlocks,
    };
  }

  /** Maps `model` natively and sizes its KV pool (`kvCacheBytes`) and host tier (`hostKvBytes`). */
  static async create(
    model: RunnableModel | OpenedModel,
    options: NativeRunnerOptions,
  ): Promise<NativeRuntime> {
    return new NativeRuntime(await NativeRunner.create(model, options));
  }

  step(input: RuntimeStepInput): Promise<RuntimeStepOutput> {
    const transfers = input.transfers ?? [];
    if (transfers.length > 0 && !this.info.numHostBlocks)
      return Promise.reject(
        new UnsupportedError(`the ${this.kind} runtime has no host KV tier (create it with hostKvBytes)`),
      );
    // The runner's output arrays are views valid until its next step, as the interface allows.
    return this.runner.step(input.rows, {
      ...(input.fillMasks ? { fillMasks: input.fillMasks } : {}),
      ...(transfers.length > 0 ? { transfers } : {}),
    });
  }

  async flushTransfers(): Promise<readonly number[]> {
    return (await this.runner.flushTransfers()).completedTransferIds;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.dispose();
  }
}
