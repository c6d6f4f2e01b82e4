/**
 * Per-request time spent preempted, from engine events: an interval opens at `preempted` and
 * closes at `resumed` (a request paused on the host tier) or at the request's next token (a
 * recompute preemption sends the request back to the queue, and its readmission has no event).
 */

/** Open and accumulated paused time of one request (ms). */
interface PauseState {
  totalMs: number;
  /** When the open interval began; `null` = running. */
  sinceMs: number | null;
}

/** Tracks paused time per active request; owned by one metrics instance. */
export class RequestPauseTracker {
  private readonly states = new Map<string, PauseState>();

  /** @param nowMs the clock (ms) events are timed with. */
  constructor(private readonly nowMs: () => number) {}

  /** `id` was preempted (any mode). A second preemption before it ran again changes nothing. */
  onPreempted(id: string): void {
    const st = this.states.get(id);
    if (!st) this.states.set(id, { totalMs: 0, sinceMs: this.nowMs() });
    else st.sinceMs ??= this.nowMs();
  }

  /** `id` came back from the host tier. */
  onResumed(id: string): void {
    this.close(id);
  }

  /** `id` produced a token (so it runs, whatever brought it back). */
  onToken(id: string): void {
    this.close(id);
  }

  /** `id` finished: its total paused time (ms), an open interval included; forgets it. */
  finish(id: string): number {
    this.close(id);
    const total = this.states.get(id)?.totalMs ?? 0;
    this.states.delete(id);
    return total;
  }

  /** Requests with paused time on record (tests, leak checks). */
  get numTracked(): number {
    return this.states.size;
  }

  private close(id: string): void {
    const st = this.states.get(id);
    if (!st || st.sinceMs === null) return;
    st.totalMs += Math.max(0, this.nowMs() - st.sinceMs);
    st.sinceMs = null;
  }
}
