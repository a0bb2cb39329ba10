// mulberry32: a small seedable generator, so a failing randomised test can be
// replayed from its seed.

export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, between: (lo: number, hi: number) => lo + int(hi - lo + 1), pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! };
}

export type Rnd = ReturnType<typeof prng>;
