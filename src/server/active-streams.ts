/**
 * The generations a server is running, by the response id its clients see (`cmpl-…`,
 * `chatcmpl-…`), each with its engine sequence ids (one per choice, in choice order). The
 * consumption acknowledgement endpoint resolves client ids through it.
 */
export class ActiveStreams {
  private readonly byResponseId = new Map<string, readonly string[]>();

  /** Registers a running generation; `sequenceIds[i]` is choice i's engine request id. */
  add(responseId: string, sequenceIds: readonly string[]): void {
    this.byResponseId.set(responseId, sequenceIds);
  }

  /** Forgets a generation once its response is complete (or failed). */
  delete(responseId: string): void {
    this.byResponseId.delete(responseId);
  }

  /** The engine sequence ids of a running generation; `undefined` when unknown or finished. */
  sequenceIds(responseId: string): readonly string[] | undefined {
    return this.byResponseId.get(responseId);
  }

  /** Generations running now. */
  get size(): number {
    return this.byResponseId.size;
  }
}
