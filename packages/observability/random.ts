/** A source of random numbers that is reproducible when seeded. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** True with probability `rate`. */
  chance(rate: number): boolean;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

/**
 * Creates a {@linkcode Random}: seeded (mulberry32) when `seed` is given, so a run with
 * `RANDOM_SEED` takes the same branches every time; otherwise backed by `Math.random`.
 */
export function createRandom(seed?: number): Random {
  let state = (seed ?? 0) >>> 0;
  const next = seed === undefined ? Math.random : () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (rate) => next() < rate,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}
