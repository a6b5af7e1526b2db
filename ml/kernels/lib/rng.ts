// PCG32 (O'Neill, pcg-random.org: XSH RR 64/32): the kernels' only source of randomness,
// seeded from --seed. WASI random is never used, so a job's outputs are a function of its inputs.

/** Stream used for parameter initialisation. */
export const STREAM_INIT: u64 = 1;
/** Stream used for shuffling. */
export const STREAM_SHUFFLE: u64 = 2;

export class Pcg32 {
  state: u64 = 0;
  inc: u64;

  constructor(seed: u64, stream: u64) {
    this.inc = (stream << 1) | 1;
    this.next();
    this.state += seed;
    this.next();
  }

  next(): u32 {
    const old = this.state;
    this.state = old * 6364136223846793005 + this.inc;
    const xorshifted = <u32>(((old >> 18) ^ old) >> 27);
    const rot = <u32>(old >> 59);
    return rotr<u32>(xorshifted, rot);
  }

  /** Uniform in [0, 1), 24 random bits. */
  uniform(): f32 {
    return <f32>(this.next() >> 8) * (<f32>1.0 / <f32>16777216.0);
  }

  /** Uniform integer in [0, n) (multiply-shift; a bias below 2^-32 · n). */
  below(n: u32): u32 {
    return <u32>((<u64>this.next() * <u64>n) >> 32);
  }
}

/** Fisher–Yates shuffle of `order` in place. */
export function shuffle(order: Int32Array, rng: Pcg32): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = <i32>rng.below(<u32>(i + 1));
    const t = unchecked(order[i]);
    unchecked((order[i] = order[j]));
    unchecked((order[j] = t));
  }
}
