import * as v from './validate';

/**
 * A small seeded generator (xoshiro128**, seeded through splitmix32): the same seed gives the same stream on every
 * platform. Its whole state is four uint32 words, so it can be saved and restored exactly.
 */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    v.integer('seed', seed, 0, 2 ** 32 - 1);
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** A uniform uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform double in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n), without modulo bias. */
  nextInt(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextUint32(); while (x >= limit);
    return x % n;
  }

  /** The state, to restore a generator exactly with Rng.fromState(). */
  state(): Uint32Array {
    return this.s.slice();
  }

  static fromState(state: Uint32Array): Rng {
    const r = new Rng(0);
    if (!(state instanceof Uint32Array) || state.length !== 4) v.fail('ERR_ARGUMENT', 'Expected a Uint32Array(4) for state');
    r.s = Uint32Array.from(state);
    return r;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
