/**
 * Per-request time spent preempted, from engine events and their clock times: an interval
 * opens at `preempted` and closes at `resumed` (reloaded from the host tier, or admitted again
 * to recompute) or at the request's next token, whichever comes first.
 */

/** Open and accumulated paused time of one request (ms). */
interface PauseState {
  totalMs: number;
  /** When the open interval began; `null` = running. */
  sinceMs: number | null;
}

/** Tracks paused time per active request; owned by one metrics instance. All times are engine clock ms. */
export class RequestPauseTracker {
  private readonly states = new Map<string, PauseState>();

  /** `id` was preempted (any mode). A second preemption before it ran again changes nothing. */
  onPreempted(id: string, timeMs: number): void {
    const st = this.states.get(id);
    if (!st) this.states.set(id, { totalMs: 0, sinceMs: timeMs });
    else st.sinceMs ??= timeMs;
  }

  /** `id` runs again (reloaded, or admitted again to recompute). */
  onResumed(id: string, timeMs: number): void {
    this.close(id, timeMs);
  }

  /** `id` produced a token (so it runs, whatever brought it back). */
  onToken(id: string, timeMs: number): void {
    this.close(id, timeMs);
  }

  /** `id` finished: its total paused time (ms), an open interval included; forgets it. */
  finish(id: string, timeMs: number): number {
    this.close(id, timeMs);
    const total = this.states.get(id)?.totalMs ?? 0;
    this.states.delete(id);
    return total;
  }

  /** Requests with paused time on record (tests, leak checks). */
  get numTracked(): number {
    return this.states.size;
  }

  private close(id: string, timeMs: number): void {
    const st = this.states.get(id);
    if (!st || st.sinceMs === null) return;
    st.totalMs += Math.max(0, timeMs - st.sinceMs);
    st.sinceMs = null;
  }
}
