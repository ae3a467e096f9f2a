/** Seeded randomness for the stress suite, so a run can be replayed from its printed seed. */

/** mulberry32: a small, fast 32-bit generator; uniform in [0, 1). */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * The seed named by an environment variable (e.g. `FUZZ_SEED=1234`), or a
 * fresh one. Throws on a value that is not an integer, rather than silently
 * running another seed than the one asked for.
 */
export const seedFrom = (variable: string): number => {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`${variable}=${raw} is not an integer seed`);
  return seed;
};
