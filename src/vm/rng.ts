/**
 * TRex's field-engine random generator (`fastrand` in src/stx/stl/trex_stl_stream_vm.h): the
 * MSVC linear congruential generator, 15 bits per draw. Matching it makes `simulate` give the
 * same packets as TRex's own simulator for a stream's `random_seed`.
 */

/** Multiplier TRex applies to a stream's seed per data-plane thread: seed * (thread + 1) * 514229. */
const THREAD_SEED_MULTIPLIER = 514229;

/** The generator state TRex's data-plane thread `threadId` starts from for `randomSeed`. */
export function threadSeed(randomSeed: number, threadId = 0): number {
  const mul = ((threadId + 1) * THREAD_SEED_MULTIPLIER) >>> 0;
  return Math.imul(randomSeed >>> 0, mul) >>> 0;
}

/** A 32-bit LCG state advanced as TRex does: state = 214013 * state + 2531011 (mod 2^32). */
export class TrexRandom {
  state: number;

  constructor(state: number) {
    this.state = state >>> 0;
  }

  /** 15 random bits (0..32767), TRex's vm_rand16. */
  rand16(): number {
    this.state = (Math.imul(this.state, 214013) + 2531011) >>> 0;
    return (this.state >>> 16) & 0x7fff;
  }

  /** TRex's vm_rand32: (rand16 << 16) + rand16, so at most 0x7fff7fff. */
  rand32(): number {
    const hi = this.rand16();
    return hi * 0x10000 + this.rand16();
  }

  /** TRex's vm_rand64: (rand32 << 32) + rand32. */
  rand64(): bigint {
    const hi = BigInt(this.rand32());
    return (hi << 32n) + BigInt(this.rand32());
  }
}
