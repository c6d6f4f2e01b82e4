/** One mulberry32 step from `state`: returns the next state and a uint32 output. */
function mulberry32(state: number): [next: number, out: number] {
  const a = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(a ^ (a >>> 15), a | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [a, (t ^ (t >>> 14)) >>> 0];
}

/** Seeded generator of uint32 values (mulberry32), for reproducible property and fuzz tests. */
export function prngU32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const [next, out] = mulberry32(state);
    state = next;
    return out;
  };
}

/** Seeded generator of floats in [0, 1) (mulberry32). */
export function prngUnit(seed: number): () => number {
  const next = prngU32(seed);
  return () => next() / 4294967296;
}
