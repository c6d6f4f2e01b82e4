import { MAX_TOP_LOGPROBS } from "../runtime/native-runner.js";
import type { RuntimeStepOutput } from "../runtime/runtime.js";
import type { EngineTokenizer } from "./engine-options.js";
import type { TokenLogprob } from "./engine-types.js";

/** Builds {@link TokenLogprob}s from a step's outputs, caching each token's text. */
export class TokenLogprobBuilder {
  private readonly texts = new Map<number, string>();

  constructor(private readonly tokenizer: EngineTokenizer) {}

  /** The logprob of row `r`'s sampled `token` with up to `numTop` alternatives. */
  build(out: RuntimeStepOutput, r: number, token: number, numTop: number): TokenLogprob {
    const k = Math.min(numTop, MAX_TOP_LOGPROBS);
    const top: TokenLogprob["top"][number][] = [];
    for (let i = 0; i < k; i++) {
      const id = out.topIds[r * MAX_TOP_LOGPROBS + i] as number;
      if (id < 0) break;
      top.push({
        tokenId: id,
        token: this.text(id),
        logprob: out.topLogprobs[r * MAX_TOP_LOGPROBS + i] as number,
      });
    }
    return { tokenId: token, token: this.text(token), logprob: out.logprobs[r] as number, top };
  }

  /** A token's own text (its bytes decoded; a partial character becomes U+FFFD). */
  text(id: number): string {
    let text = this.texts.get(id);
    if (text === undefined) {
      text = this.tokenizer.decode([id], { stripLeadingSpace: false });
      this.texts.set(id, text);
    }
    return text;
  }
}
