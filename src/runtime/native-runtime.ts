import { UnsupportedError } from "../errors.js";
import type { OpenedModel } from "../model/open-model.js";
import { NativeRunner, type NativeRunnerOptions, type RunnableModel } from "./native-runner.js";
import type { TransferReport } from "./native-transfers.js";
import type {
  KvTransfer,
  Runtime,
  RuntimeInfo,
  RuntimeStepInput,
  RuntimeStepOutput,
  TransferStats,
} from "./runtime.js";

const NO_TRANSFER_STATS: TransferStats = { storeBytes: 0, storeMs: 0, loadBytes: 0, loadMs: 0 };

/**
 * The native CPU runtime behind the {@link Runtime} interface (wraps a {@link NativeRunner}).
 * With `hostKvBytes`, it has a host KV tier and copies transfers on its own thread while the
 * forward pass runs.
 */
export class NativeRuntime implements Runtime {
  readonly kind = "native-cpu";
  readonly info: RuntimeInfo;
  private disposed = false;
  private stats: TransferStats = NO_TRANSFER_STATS;

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

  async step(input: RuntimeStepInput): Promise<RuntimeStepOutput> {
    const transfers = input.transfers ?? [];
    if (transfers.length > 0 && !this.info.numHostBlocks) throw this.noHostTier();
    // The runner's output arrays are views valid until its next step, as the interface allows.
    const out = await this.runner.step(input.rows, {
      ...(input.fillMasks ? { fillMasks: input.fillMasks } : {}),
      ...(transfers.length > 0 ? { transfers } : {}),
    });
    this.record(out);
    return out;
  }

  /**
   * Issues `transfers` outside a step, waits for every copy in flight and returns the ids
   * completed since the last report (see {@link Runtime.flushTransfers}).
   */
  async flushTransfers(transfers: readonly KvTransfer[] = []): Promise<readonly number[]> {
    if (transfers.length > 0 && !this.info.numHostBlocks) throw this.noHostTier();
    const report = await this.runner.flushTransfers(transfers);
    this.record(report);
    return report.completedTransferIds;
  }

  /** Bytes and copy-thread ms per direction of the transfers reported since the last call. */
  takeTransferStats(): TransferStats {
    const stats = this.stats;
    this.stats = NO_TRANSFER_STATS;
    return stats;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.dispose();
  }

  private record(report: TransferReport): void {
    if (report.completedTransferIds.length === 0) return;
    let { storeBytes, storeMs, loadBytes, loadMs } = this.stats;
    for (const [i, isLoad] of report.completedTransferIsLoad.entries()) {
      const bytes = report.completedTransferBytes[i] ?? 0;
      const ms = report.completedTransferMs[i] ?? 0;
      if (isLoad) {
        loadBytes += bytes;
        loadMs += ms;
      } else {
        storeBytes += bytes;
        storeMs += ms;
      }
    }
    this.stats = { storeBytes, storeMs, loadBytes, loadMs };
  }

  private noHostTier(): UnsupportedError {
    return new UnsupportedError(`the ${this.kind} runtime has no host KV tier (create it with hostKvBytes)`);
  }
}
