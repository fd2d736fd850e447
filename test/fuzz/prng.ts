// A small deterministic PRNG (mulberry32) for the fuzzers: the same seed
// gives the same cases on every machine, so a failure's printed seed
// reproduces it (FUZZ_SEED=... npm test, or npm run fuzz -- --seed ...).

export class Prng {
  private state: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** Cut points that split `length` bytes into 1..maxPieces pieces. */
  splits(length: number, maxPieces: number): number[] {
    const cuts = new Set<number>();
    const pieces = this.int(1, maxPieces);
    for (let i = 1; i < pieces && length > 1; i++) cuts.add(this.int(1, length - 1));
    return [0, ...[...cuts].sort((a, b) => a - b), length];
  }
}

/** The seed to use: FUZZ_SEED when set (to reproduce a failure), else a fresh one. */
export function fuzzSeed(given?: number): number {
  if (given !== undefined) return given >>> 0;
  const env = process.env.FUZZ_SEED;
  if (env !== undefined && env !== '') return Number(env) >>> 0;
  return (Math.random() * 2 ** 32) >>> 0;
}

/** Feeds `bytes` to `push` in the pieces `rng` chooses. */
export function inPieces(rng: Prng, bytes: Uint8Array, maxPieces: number, push: (piece: Uint8Array) => void): void {
  const cuts = rng.splits(bytes.length, maxPieces);
  for (let i = 1; i < cuts.length; i++) push(bytes.subarray(cuts[i - 1], cuts[i]));
}
