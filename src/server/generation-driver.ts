/**
 * Drives one generation request end to end, for either endpoint: submits its choices, streams
 * SSE chunks or collects a whole response, records metrics, and aborts the engine's work when
 * the client disconnects.
 */
import type { FastifyReply } from "fastify";
import type { EngineOutput, FinishReason, GenerationRequest, TokenLogprob } from "../engine/engine-types.js";
import { RequestFailedError } from "../errors.js";
import { ChoiceRun } from "./choice-run.js";
import { errorResponse } from "./error-response.js";
import type { GenerationParams } from "./generation-params.js";
import type { ResponseHead, Usage } from "./openai-format.js";
import { usageOf } from "./openai-format.js";
import type { ServerContext } from "./server-context.js";
import { SseWriter } from "./sse-writer.js";

/** Everything generated for one choice so far. */
export interface ChoiceState {
  text: string;
  readonly logprobs: TokenLogprob[];
  numOutputTokens: number;
  finishReason: FinishReason | null;
}

/** How one endpoint formats its responses. */
export interface EndpointFormat {
  /** Label for metrics: `completions` or `chat`. */
  readonly name: string;
  /** `object` of a whole response and of a stream chunk. */
  readonly object: string;
  readonly chunkObject: string;
  /** Chunks sent for a choice before any output (chat: the role chunk; echo: the prompt). */
  startChunks(index: number): object[];
  /** Stream chunk `choices[0]` for one output; `null` = nothing to send. */
  chunkChoice(index: number, output: EngineOutput, state: ChoiceState): object | null;
  /** Last stream chunk `choices[0]` of a finished choice. */
  finishChoice(index: number, state: ChoiceState): object;
  /** A whole response's `choices[i]`. */
  fullChoice(index: number, state: ChoiceState): object;
}

/** One generation request, ready to run. */
export interface GenerationJob {
  readonly id: string;
  readonly arrivalMs: number;
  readonly promptTokens: readonly number[];
  readonly requests: readonly GenerationRequest[];
  readonly params: GenerationParams;
  readonly format: EndpointFormat;
}

/** Tracks latencies of one request for the metrics. */
class LatencyTracker {
  private lastMs: number | null = null;
  private outputTokens = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly arrivalMs: number,
  ) {}

  onOutput(output: EngineOutput, before: number): void {
    const added = output.numOutputTokens - before;
    if (added <= 0) return;
    const now = performance.now();
    const labels = { model_name: this.ctx.model.name };
    if (this.lastMs === null) this.ctx.metrics.ttftS.observe(labels, (now - this.arrivalMs) / 1000);
    else this.ctx.metrics.itlS.observe(labels, (now - this.lastMs) / 1000);
    this.lastMs = now;
    this.outputTokens += added;
    this.ctx.metrics.generationTokens.inc(labels, added);
  }

  finish(): void {
    this.ctx.metrics.e2eS.observe(
      { model_name: this.ctx.model.name },
      (performance.now() - this.arrivalMs) / 1000,
    );
  }
}

function newState(): ChoiceState {
  return { text: "", logprobs: [], numOutputTokens: 0, finishReason: null };
}

function apply(state: ChoiceState, output: EngineOutput): number {
  const before = state.numOutputTokens;
  state.text += output.text;
  if (output.logprobs) state.logprobs.push(...output.logprobs);
  state.numOutputTokens = output.numOutputTokens;
  state.finishReason = output.finishReason;
  return before;
}

function totalUsage(job: GenerationJob, states: readonly ChoiceState[]): Usage {
  return usageOf(
    job.promptTokens.length,
    states.reduce((sum, s) => sum + s.numOutputTokens, 0),
  );
}

/** Aborts the run when the client closes the connection before the response is complete. */
function abortOnDisconnect(
  ctx: ServerContext,
  job: GenerationJob,
  reply: FastifyReply,
  run: ChoiceRun,
): void {
  reply.raw.on("close", () => {
    if (reply.raw.writableFinished || run.isAborted) return;
    ctx.metrics.clientAborts.inc({ endpoint: job.format.name });
    run.abort();
  });
}

/**
 * Runs `job` and answers on `reply`. Throws before anything is sent (e.g. a full queue) so the
 * error handler answers; after an SSE stream has started, errors become an SSE error event.
 * While it runs, `job.id` resolves to its choices' engine ids in `ctx.streams`.
 */
export async function runGeneration(
  ctx: ServerContext,
  job: GenerationJob,
  reply: FastifyReply,
): Promise<unknown> {
  const run = new ChoiceRun(ctx.engine, job.requests);
  ctx.streams.add(
    job.id,
    job.requests.map((r) => r.id),
  );
  try {
    return await runChoices(ctx, job, reply, run);
  } finally {
    ctx.streams.delete(job.id);
  }
}

async function runChoices(
  ctx: ServerContext,
  job: GenerationJob,
  reply: FastifyReply,
  run: ChoiceRun,
): Promise<unknown> {
  ctx.metrics.promptTokens.inc({ model_name: ctx.model.name }, job.promptTokens.length * job.requests.length);
  abortOnDisconnect(ctx, job, reply, run);
  const head: ResponseHead = {
    id: job.id,
    object: job.format.object,
    created: Math.floor(Date.now() / 1000),
    model: ctx.model.name,
  };
  if (job.params.stream) {
    reply.hijack();
    await streamJob(ctx, job, reply, run, { ...head, object: job.format.chunkObject });
    return reply;
  }
  const states = job.requests.map(newState);
  const latency = new LatencyTracker(ctx, job.arrivalMs);
  let failure: unknown = null;
  for await (const { index, output } of run.events()) {
    const state = states[index];
    if (state) latency.onOutput(output, apply(state, output));
    if (output.finishReason === "error") failure ??= failureOf(output);
  }
  latency.finish();
  countFinishes(ctx, states);
  if (failure !== null) throw failure;
  ctx.metrics.requests.inc({ endpoint: job.format.name, status: run.isAborted ? "499" : "200" });
  return {
    ...head,
    choices: states.map((s, i) => job.format.fullChoice(i, s)),
    usage: totalUsage(job, states),
  };
}

/** The error a choice failed with (the engine may attach it to its last output). */
function failureOf(output: EngineOutput): Error {
  const err = (output as { error?: unknown }).error;
  return err instanceof Error ? err : new RequestFailedError("generation failed");
}

function countFinishes(ctx: ServerContext, states: readonly ChoiceState[]): void {
  for (const s of states) ctx.metrics.finishes.inc({ finish_reason: s.finishReason ?? "none" });
}

async function streamJob(
  ctx: ServerContext,
  job: GenerationJob,
  reply: FastifyReply,
  run: ChoiceRun,
  head: ResponseHead,
): Promise<void> {
  const sse = new SseWriter(reply.raw);
  const usageField = job.params.includeUsage ? { usage: null } : {};
  const send = (choice: object) => sse.send({ ...head, choices: [choice], ...usageField });
  const states = job.requests.map(newState);
  const latency = new LatencyTracker(ctx, job.arrivalMs);
  sse.open();
  try {
    for (let i = 0; i < states.length; i++) for (const c of job.format.startChunks(i)) await send(c);
    for await (const { index, output } of run.events()) {
      const state = states[index];
      if (!state) continue;
      latency.onOutput(output, apply(state, output));
      const choice = job.format.chunkChoice(index, output, state);
      if (choice && !(await send(choice))) break;
      if (output.finishReason !== null && !(await send(job.format.finishChoice(index, state)))) break;
    }
    if (job.params.includeUsage) await sse.send({ ...head, choices: [], usage: totalUsage(job, states) });
  } catch (err) {
    reply.log.error({ err }, "generation failed mid-stream");
    await sse.send(errorResponse(err).body);
  } finally {
    if (sse.isClosed) run.abort();
    latency.finish();
    countFinishes(ctx, states);
    ctx.metrics.requests.inc({ endpoint: job.format.name, status: sse.isClosed ? "499" : "200" });
  }
  await sse.done();
}
