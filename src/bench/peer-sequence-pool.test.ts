import { describe, expect, it } from "vitest";
import { PoolAbortedError, SequencePool } from "./peer-sequence-pool.js";

describe("SequencePool", () => {
  it("lends each item to one borrower and serves waiters first come, first served", async () => {
    const resets: string[] = [];
    const pool = new SequencePool(["a", "b"], async (s) => {
      resets.push(s);
    });
    const first = await pool.acquire();
    const second = await pool.acquire();
    expect([first, second].sort()).toEqual(["a", "b"]);
    const order: string[] = [];
    const w1 = pool.acquire().then((s) => order.push(`w1:${s}`));
    const w2 = pool.acquire().then((s) => order.push(`w2:${s}`));
    expect(pool.numWaiting).toBe(2);
    await pool.release(second);
    await pool.release(first);
    await Promise.all([w1, w2]);
    expect(order).toEqual([`w1:${second}`, `w2:${first}`]);
    expect(resets).toEqual([second, first]);
    expect(pool.numFree).toBe(0);
  });

  it("drops a waiter whose signal aborts, and rejects waiters when closed", async () => {
    const pool = new SequencePool([1], async () => {});
    const held = await pool.acquire();
    const abort = new AbortController();
    const aborted = pool.acquire(abort.signal);
    const later = pool.acquire();
    abort.abort();
    await expect(aborted).rejects.toBeInstanceOf(PoolAbortedError);
    expect(pool.numWaiting).toBe(1);
    await pool.release(held);
    await expect(later).resolves.toBe(1);
    const waiting = pool.acquire();
    pool.close();
    await expect(waiting).rejects.toBeInstanceOf(PoolAbortedError);
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolAbortedError);
  });

  it("does not lend an item whose reset failed", async () => {
    const pool = new SequencePool(["x"], async () => {
      throw new Error("disposed");
    });
    await pool.release(await pool.acquire());
    expect(pool.numFree).toBe(0);
    expect(pool.numResetting).toBe(0);
  });
});
