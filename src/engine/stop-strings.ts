/** Result of {@link StopStringHoldback.push}. */
export interface StopCheck {
  /** Text safe to stream now. */
  readonly text: string;
  /** The stop string that matched (generation ends; `text` stops before it), or `null`. */
  readonly stop: string | null;
}

/**
 * Streams text while never emitting part of a stop string: it holds back the longest suffix of
 * the unemitted text that is a prefix of some stop string, and cuts the output before the first
 * complete stop string. Any future match starts inside the held suffix, so emitted text is final.
 */
export class StopStringHoldback {
  private held = "";
  private readonly stops: readonly string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Adds decoded text; with `check` false (below min_tokens) stop strings do not end output. */
  push(text: string, check = true): StopCheck {
    if (this.stops.length === 0) return { text, stop: null };
    this.held += text;
    if (check) {
      let at = -1;
      let stop: string | null = null;
      for (const s of this.stops) {
        const i = this.held.indexOf(s);
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
          stop = s;
        }
      }
      if (stop !== null) {
        const out = this.held.slice(0, at);
        this.held = "";
        return { text: out, stop };
      }
    }
    const keep = this.longestHeldPrefix();
    const out = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return { text: out, stop: null };
  }

  /** Ends the stream: the held text (no stop string completed). */
  flush(): string {
    const out = this.held;
    this.held = "";
    return out;
  }

  /** Length of the longest suffix of `held` that is a proper prefix of a stop string. */
  private longestHeldPrefix(): number {
    let best = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, this.held.length); k > best; k--) {
        if (this.held.endsWith(s.slice(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
