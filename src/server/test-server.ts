/**
 * Test support: a listening server over the tiny test model, on the fake engine or on the real
 * engine with the native runtime.
 */
import type { AddressInfo } from "node:net";
import { Engine } from "../engine/engine.js";
import { openModel } from "../model/open-model.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { tokenizerForModel } from "../model/tokenizer-for-model.js";
import { NativeRuntime } from "../runtime/native-runtime.js";
import type { SchedulerPolicy } from "../scheduler/policy.js";
import { type TestModelName, testModelPath } from "../test-support/test-models.js";
import { createServer, type ServerOptions, type TokenflowServer } from "./create-server.js";
import { serverEngineFrom } from "./engine-adapter.js";
import { FakeEngine, type FakeEngineOptions } from "./fake-engine.js";
import { createConstraintCompiler, grammarMatcherFactory } from "./grammar-constraints.js";
import { type ServedModel, servedModelFrom } from "./served-model.js";
import type { ServerEngine } from "./server-engine.js";

/** The served name of the test model. */
export const TEST_MODEL_NAME = "tiny-test";

/** A server listening on 127.0.0.1 on a free port. */
export interface RunningTestServer<E = FakeEngine> {
  readonly server: TokenflowServer;
  readonly engine: E;
  readonly model: ServedModel;
  readonly tokenizer: Tokenizer;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  close(): Promise<void>;
}

async function tinyModel(
  name: TestModelName = "tinyF32",
): Promise<{ model: ServedModel; tokenizer: Tokenizer; path: string }> {
  const path = await testModelPath(name);
  const opened = await openModel(path);
  const tokenizer = tokenizerForModel(opened);
  return { model: servedModelFrom(opened, TEST_MODEL_NAME, tokenizer), tokenizer, path };
}

async function listen<E>(
  engine: E,
  serverEngine: ServerEngine,
  model: ServedModel,
  tokenizer: Tokenizer,
  options: ServerOptions,
  onClose: () => void = () => {},
): Promise<RunningTestServer<E>> {
  const server = await createServer({ engine: serverEngine, model, options });
  await server.app.listen({ host: "127.0.0.1", port: 0 });
  const port = (server.app.server.address() as AddressInfo).port;
  return {
    server,
    engine,
    model,
    tokenizer,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await server.app.close();
      onClose();
    },
  };
}

/** Starts a server over the tiny model with a {@link FakeEngine}. */
export async function startTestServer(
  options: ServerOptions = {},
  engineOptions: Omit<FakeEngineOptions, "tokenizer"> = {},
): Promise<RunningTestServer> {
  const { model, tokenizer } = await tinyModel();
  const engine = new FakeEngine({ tokenizer, ...engineOptions });
  return listen(engine, engine, model, tokenizer, options);
}

/** Engine settings of {@link startRealEngineServer} beyond the KV budget. */
export interface RealEngineSetup {
  /** Scheduling policy (default FCFS), e.g. `new TokenFlowPolicy({...})`. */
  readonly policy?: SchedulerPolicy;
  /** Host KV tier budget, bytes (default 0 = none). */
  readonly hostKvBytes?: number;
  /** Reader rate (tok/s) of requests that state none (engine default 20). */
  readonly defaultConsumptionRateTokPerS?: number;
  readonly maxNumBatchedTokens?: number;
  readonly maxNumSeqs?: number;
}

/**
 * Starts a server over a test model (default the tiny one) with the real engine on the native
 * CPU runtime; `setup` adds a policy, a host KV tier and engine limits.
 */
export async function startRealEngineServer(
  options: ServerOptions = {},
  kvCacheBytes = 4 << 20,
  modelName: TestModelName = "tinyF32",
  setup: RealEngineSetup = {},
): Promise<RunningTestServer<Engine>> {
  const { model, tokenizer, path } = await tinyModel(modelName);
  const runtime = await NativeRuntime.create(await openModel(path), {
    kvCacheBytes,
    numThreads: 2,
    hostKvBytes: setup.hostKvBytes ?? 0,
  });
  const engine = new Engine({
    runtime,
    tokenizer,
    maxModelLen: model.contextLength,
    constraintMatcherFactory: grammarMatcherFactory,
    policy: setup.policy,
    defaultConsumptionRateTokPerS: setup.defaultConsumptionRateTokPerS,
    maxNumBatchedTokens: setup.maxNumBatchedTokens,
    maxNumSeqs: setup.maxNumSeqs,
  });
  const withGrammar = { compiler: createConstraintCompiler(tokenizer), ...options };
  return listen(engine, serverEngineFrom(engine), model, tokenizer, withGrammar, () => runtime.dispose());
}
