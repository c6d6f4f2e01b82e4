/**
 * `POST /v1/completions` of the node-llama-cpp peer server: waits for a free sequence, evaluates
 * the prompt and streams each sampled token as its own SSE chunk the moment it is produced.
 * A client that disconnects (while queued or generating) frees its place at once.
 */
import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { errorResponse } from "../server/error-response.js";
import { usageOf } from "../server/openai-format.js";
import { SseWriter } from "../server/sse-writer.js";
import { type PeerCompletionRequest, type PeerModelLimits, readPeerCompletion } from "./peer-request.js";
import type { SequencePool } from "./peer-sequence-pool.js";

/** Everything a completion needs from the running peer. */
export interface PeerRuntime {
  readonly model: LlamaModel;
  readonly modelName: string;
  readonly limits: PeerModelLimits;
  readonly pool: SequencePool<LlamaContextSequence>;
  /** Abort controllers of requests in flight (the server aborts them all on close). */
  readonly active: Set<AbortController>;
  /** Counters since start (mutated here). */
  readonly stats: { numCompleted: number; numAborted: number };
}

/** One generated token and the text it completes (may be "" while a character is incomplete). */
interface TokenPiece {
  readonly text: string;
}

/** Longest run of tokens held back while they decode to an incomplete UTF-8 character. */
const MAX_HELD_TOKENS = 4;

/** Turns tokens into text one at a time, holding back bytes of an unfinished character. */
class TokenTextStream {
  private readonly history: Token[] = [];
  private held: Token[] = [];

  constructor(private readonly model: LlamaModel) {}

  push(token: Token): string {
    this.held.push(token);
    const text = this.model.detokenize(this.held, false, this.history.slice(-MAX_HELD_TOKENS));
    if (text.endsWith("\uFFFD") && this.held.length < MAX_HELD_TOKENS) return "";
    this.history.push(...this.held);
    this.held = [];
    return text;
  }
}

/** Yields one piece per generated token until `maxTokens`, an EOG token or an abort. */
async function* generate(
  runtime: PeerRuntime,
  sequence: LlamaContextSequence,
  req: PeerCompletionRequest,
  signal: AbortSignal,
): AsyncGenerator<TokenPiece> {
  const text = new TokenTextStream(runtime.model);
  let produced = 0;
  const tokens = sequence.evaluate(req.promptTokens as Token[], {
    temperature: req.temperature,
    topP: req.topP,
    topK: req.topK,
    minP: 0,
    ...(req.seed === undefined ? {} : { seed: req.seed }),
    // Past an EOG token llama.cpp evaluates it like any other, which is what ignore_eos means.
    yieldEogToken: req.ignoreEos,
  });
  for await (const token of tokens) {
    if (signal.aborted) return;
    produced++;
    yield { text: text.push(token) };
    if (produced >= req.maxTokens || signal.aborted) return;
  }
}

interface Head {
  readonly id: string;
  readonly object: "text_completion";
  readonly created: number;
  readonly model: string;
}

function choice(text: string, finishReason: string | null): object {
  return { index: 0, text, logprobs: null, finish_reason: finishReason };
}

async function streamCompletion(
  runtime: PeerRuntime,
  req: PeerCompletionRequest,
  reply: FastifyReply,
  abort: AbortController,
): Promise<void> {
  const head: Head = {
    id: `cmpl-${randomUUID()}`,
    object: "text_completion",
    created: nowS(),
    model: runtime.modelName,
  };
  const extra = req.includeUsage ? { usage: null } : {};
  const writer = new SseWriter(reply.raw);
  writer.open();
  let numTokens = 0;
  try {
    const sequence = await runtime.pool.acquire(abort.signal);
    try {
      for await (const piece of generate(runtime, sequence, req, abort.signal)) {
        numTokens++;
        if (!(await writer.send({ ...head, choices: [choice(piece.text, null)], ...extra }))) abort.abort();
      }
    } finally {
      void runtime.pool.release(sequence);
    }
    await writer.send({ ...head, choices: [choice("", finishReason(req, numTokens, abort))], ...extra });
    if (req.includeUsage) {
      await writer.send({ ...head, choices: [], usage: usageOf(req.promptTokens.length, numTokens) });
    }
  } catch (err) {
    // Shutdown while queued, or a failed evaluation; a departed client gets nothing.
    await writer.send(errorResponse(err).body);
  }
  await writer.done();
}

async function wholeCompletion(
  runtime: PeerRuntime,
  req: PeerCompletionRequest,
  abort: AbortController,
): Promise<object> {
  const sequence = await runtime.pool.acquire(abort.signal);
  let text = "";
  let numTokens = 0;
  try {
    for await (const piece of generate(runtime, sequence, req, abort.signal)) {
      text += piece.text;
      numTokens++;
    }
  } finally {
    void runtime.pool.release(sequence);
  }
  return {
    id: `cmpl-${randomUUID()}`,
    object: "text_completion",
    created: nowS(),
    model: runtime.modelName,
    choices: [choice(text, finishReason(req, numTokens, abort))],
    usage: usageOf(req.promptTokens.length, numTokens),
  };
}

/** `length` at `max_tokens`, `abort` when cut short (shutdown), else `stop` (an EOG token). */
function finishReason(req: PeerCompletionRequest, numTokens: number, abort: AbortController): string {
  if (numTokens >= req.maxTokens) return "length";
  return abort.signal.aborted ? "abort" : "stop";
}

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Handles one completions request. Validation errors are thrown before anything is sent (the
 * app's error handler answers 400); a streaming request then owns the raw response.
 */
export async function handlePeerCompletion(
  runtime: PeerRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const req = readPeerCompletion(request.body, runtime.limits);
  const abort = new AbortController();
  // `close` also fires after a normal end; only an unfinished response means the client left.
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  runtime.active.add(abort);
  try {
    if (!req.stream) return await wholeCompletion(runtime, req, abort);
    reply.hijack();
    await streamCompletion(runtime, req, reply, abort);
    return reply;
  } finally {
    runtime.active.delete(abort);
    if (abort.signal.aborted) runtime.stats.numAborted++;
    else runtime.stats.numCompleted++;
  }
}
