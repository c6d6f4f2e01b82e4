import type { RowSampling } from "../runtime/runtime.js";
import type { RequestState } from "./request-state.js";

/**
 * The tokens the native penalties look at. The runtime applies repetition, presence and
 * frequency penalties over one history: OpenAI's presence/frequency are over generated tokens,
 * vLLM's repetition over prompt and output. With presence or frequency set, the history is the
 * output (and a repetition penalty set alongside also sees only the output); with repetition
 * alone, prompt plus output.
 */
export function penaltyHistory(state: RequestState): readonly number[] | undefined {
  const s = state.request.sampling;
  if (s.presencePenalty !== 0 || s.frequencyPenalty !== 0) return state.seq.outputTokens;
  if (s.repetitionPenalty !== 1) return state.seq.tokens;
  return undefined;
}

/** The runtime sampling row of a request's next token; `mask` = its allowed-token row or `null`. */
export function rowSampling(state: RequestState, mask: Int32Array | null): RowSampling {
  const s = state.request.sampling;
  const history = penaltyHistory(state);
  return {
    temperature: s.temperature,
    topK: s.topK,
    topP: s.topP,
    minP: s.minP,
    repetitionPenalty: s.repetitionPenalty,
    presencePenalty: s.presencePenalty,
    frequencyPenalty: s.frequencyPenalty,
    seed: state.seed,
    stepIndex: state.seq.numOutputTokens,
    numTopLogprobs: s.topLogprobs ?? 0,
    ...(history ? { history } : {}),
    ...(s.logitBias.size > 0 ? { logitBias: s.logitBias } : {}),
    mask,
  };
}

/**
 * Whether the request's next token needs a mask: it has a constraint, or it is below min_tokens
 * and some ids (`blockedIds`: EOS unless ignore_eos, stop_token_ids) must not be sampled yet.
 */
export function needsMask(state: RequestState, blockedIds: readonly number[]): boolean {
  return state.matcher !== null || (state.isBelowMinTokens && blockedIds.length > 0);
}

/**
 * Fills row `row` of `mask`: the constraint's allowed tokens (or all), minus `blockedIds` while
 * the request is below min_tokens.
 */
export function fillMaskRow(
  state: RequestState,
  mask: Int32Array,
  row: number,
  words: number,
  blockedIds: readonly number[],
): void {
  if (state.matcher) state.matcher.fillNextTokenMask(mask, row);
  else mask.fill(-1, row * words, (row + 1) * words);
  if (!state.isBelowMinTokens) return;
  for (const id of blockedIds) {
    const w = row * words + (id >>> 5);
    if (w < (row + 1) * words) mask[w] = (mask[w] as number) & ~(1 << (id & 31));
  }
}
