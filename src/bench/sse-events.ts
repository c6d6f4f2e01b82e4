/**
 * Server-sent events from a streaming HTTP response body: yields each event's `data` (lines
 * joined by "\n") as soon as the blank line that ends it has arrived.
 */

/** The data of each event in `body`, in order (comments and other fields are skipped). */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    yield* drain(false);
  }
  buffer += decoder.decode();
  yield* drain(true);

  function* drain(isEnd: boolean): Generator<string> {
    for (;;) {
      const m = /\r?\n\r?\n/.exec(buffer);
      if (!m && !(isEnd && buffer.trim() !== "")) return;
      const end = m ? m.index : buffer.length;
      const block = buffer.slice(0, end);
      buffer = m ? buffer.slice(end + m[0].length) : "";
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""));
      if (data.length > 0) yield data.join("\n");
    }
  }
}

/**
 * Token arrival times from content-chunk times: one token per non-empty chunk; when the final
 * usage reports more tokens than chunks (a chunk carried several tokens, e.g. a character split
 * across tokens), the extra tokens are spread evenly over the chunks (chunk c gets
 * ⌊(c+1)·extra/n⌋ − ⌊c·extra/n⌋ more, at its own time). Without chunks, all tokens land at
 * `finishS`. Fewer usage tokens than chunks are ignored (each chunk stays one token).
 */
export function tokenTimesFromChunks(
  chunkTimesS: readonly number[],
  usageTokens: number | null,
  finishS: number,
): number[] {
  const n = chunkTimesS.length;
  const extra = usageTokens === null ? 0 : Math.max(0, usageTokens - n);
  if (n === 0) return new Array<number>(extra).fill(finishS);
  const times: number[] = [];
  for (const [c, t] of chunkTimesS.entries()) {
    const more = Math.floor(((c + 1) * extra) / n) - Math.floor((c * extra) / n);
    for (let k = 0; k <= more; k++) times.push(t);
  }
  return times;
}
