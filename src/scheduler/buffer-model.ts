/**
 * The server-side model of one reader's buffer (TokenFlow's virtual buffer counter): a reader
 * starts at the first token, wants `rate` tokens per second, and waits when nothing is there.
 * Tokens generated and not yet read are the buffer; time the reader spent waiting is rebuffer
 * time. Client acknowledgements (`acknowledge`) correct the model.
 */
export class ReaderBuffer {
  /** Tokens generated and not yet read. */
  bufferTokens = 0;
  /** Tokens generated so far. */
  numGenerated = 0;
  /** Tokens the reader has read. */
  numRead = 0;
  /** Seconds the reader wanted a token that was not there. */
  rebufferSec = 0;
  /** Clock ms of the first token, `null` before it. */
  firstTokenMs: number | null = null;
  private lastMs = 0;

  /** @param rateTokPerS tokens per second the reader consumes (> 0). */
  constructor(readonly rateTokPerS: number) {}

  /** Advances the reader to `nowMs` (reading what is there, counting waits). */
  advance(nowMs: number): void {
    if (this.firstTokenMs === null || nowMs <= this.lastMs) return;
    const want = (this.rateTokPerS * (nowMs - this.lastMs)) / 1000;
    const take = Math.min(this.bufferTokens, want);
    this.bufferTokens -= take;
    this.numRead += take;
    if (take < want) this.rebufferSec += (want - take) / this.rateTokPerS;
    this.lastMs = nowMs;
  }

  /** Records `n` new tokens at `nowMs`. */
  onTokens(n: number, nowMs: number): void {
    if (this.firstTokenMs === null) {
      this.firstTokenMs = nowMs;
      this.lastMs = nowMs;
    } else this.advance(nowMs);
    this.bufferTokens += n;
    this.numGenerated += n;
  }

  /** The client says it has read `numRead` tokens in all: the buffer is what it has not read yet. */
  acknowledge(numRead: number, nowMs: number): void {
    this.advance(nowMs);
    const read = Math.max(0, Math.min(numRead, this.numGenerated));
    this.numRead = read;
    this.bufferTokens = this.numGenerated - read;
  }

  /** Seconds the reader can go on without new tokens. */
  get bufferSec(): number {
    return this.bufferTokens / this.rateTokPerS;
  }

  /** Whether the request has produced its first token. */
  get hasStarted(): boolean {
    return this.firstTokenMs !== null;
  }
}
