import { describe, expect, it } from "vitest";
import { Sequence } from "../scheduler/sequence.js";
import { GREEDY, makeRequest } from "./engine-test-helpers.js";
import type { SamplingOptions } from "./engine-types.js";
import { OutputStream } from "./output-stream.js";
import { RequestState } from "./request-state.js";
import { penaltyHistory, rowSampling } from "./sampling-row.js";
import { createTestTokenizer } from "./test-tokenizer.js";

function stateWith(sampling: Partial<SamplingOptions>): RequestState {
  const req = makeRequest("r", [5, 6, 7], { sampling: { ...GREEDY, ...sampling } });
  const seq = new Sequence({ id: "r", promptTokens: req.promptTokens, maxTokens: 10, arrivalMs: 0 });
  seq.appendToken(9);
  const tok = createTestTokenizer();
  return new RequestState(
    req,
    seq,
    new OutputStream("r", () => {}),
    tok.createDetokenizer(),
    null,
    3,
    () => false,
    20,
  );
}

describe("penalty history", () => {
  it("is the output for presence/frequency (OpenAI) and prompt+output for repetition alone (vLLM)", () => {
    expect(penaltyHistory(stateWith({}))).toBeUndefined();
    expect(penaltyHistory(stateWith({ presencePenalty: 0.5 }))).toEqual([9]);
    expect(penaltyHistory(stateWith({ frequencyPenalty: 0.5, repetitionPenalty: 1.2 }))).toEqual([9]);
    expect(penaltyHistory(stateWith({ repetitionPenalty: 1.2 }))).toEqual([5, 6, 7, 9]);
  });

  it("builds the runtime row: seed, step index, top logprobs", () => {
    const row = rowSampling(stateWith({ temperature: 0.7, topLogprobs: 4 }), null);
    expect(row).toMatchObject({ temperature: 0.7, seed: 3, stepIndex: 1, numTopLogprobs: 4, mask: null });
  });
});
