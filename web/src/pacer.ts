/**
 * A client-side reading pacer, as a real reading client would have: streamed pieces (one chunk
 * counts as one token) are queued and revealed at the reader's rate; what is queued is the
 * stream's buffer, and wanting a token while the queue is empty is a stall.
 */
export class Pacer {
  numReceived = 0;
  numRead = 0;
  numStalls = 0;
  stallSec = 0;
  private readonly queue: string[] = [];
  private budget = 0;
  private lastMs: number | null = null;
  private isEnded = false;
  private isStalled = false;

  /** @param rateTokPerS tokens per second revealed (may be changed while running) */
  constructor(
    public rateTokPerS: number,
    private readonly reveal: (text: string) => void,
  ) {}

  /** A piece arrived at `nowMs` (the first one starts the reader). */
  push(text: string, nowMs: number): void {
    if (this.lastMs === null) this.lastMs = nowMs;
    this.queue.push(text);
    this.numReceived++;
  }

  /** The stream ended: what is queued is still revealed. */
  end(): void {
    this.isEnded = true;
  }

  /** Reads up to `nowMs`. */
  tick(nowMs: number): void {
    if (this.lastMs === null) return;
    const dtS = Math.max(0, (nowMs - this.lastMs) / 1000);
    this.lastMs = nowMs;
    this.budget += dtS * this.rateTokPerS;
    let out = "";
    while (this.budget >= 1 && this.queue.length > 0) {
      out += this.queue.shift() ?? "";
      this.budget -= 1;
      this.numRead++;
    }
    if (this.queue.length === 0 && !this.isEnded && this.budget >= 1) {
      if (!this.isStalled) this.numStalls++;
      this.isStalled = true;
      this.stallSec += dtS;
    } else if (this.queue.length > 0) this.isStalled = false;
    // A reader does not save up reading time while it waits.
    if (this.queue.length === 0) this.budget = Math.min(this.budget, 1);
    if (out) this.reveal(out);
  }

  /** Seconds of reading queued. */
  get bufferSec(): number {
    return this.queue.length / this.rateTokPerS;
  }

  /** Whether the stream ended and everything was read. */
  get isDone(): boolean {
    return this.isEnded && this.queue.length === 0;
  }
}
