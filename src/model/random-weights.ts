/**
 * Seeded pseudo-random weights for generated test models. Each tensor gets its own stream,
 * derived from the model seed and the tensor's canonical name, so a tensor's values do not
 * depend on which other tensors exist or the order they are written in.
 */

/** 32-bit FNV-1a hash of a string, mixed with a seed. */
export function hashSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Fills `out` with uniform values of mean `mean` and standard deviation `std`
 * (mulberry32 stream seeded with `seed`). Returns `out`.
 */
export function fillUniform(out: Float32Array, seed: number, mean: number, std: number): Float32Array {
  // A uniform on [-a, a] has standard deviation a / sqrt(3).
  const scale = 2 * Math.sqrt(3) * std;
  let state = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = mean + (u - 0.5) * scale;
  }
  return out;
}
