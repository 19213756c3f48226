import {
  bigIntToHalves,
  halvesToBigInt,
  high32,
  isAligned,
  isPowerOfTwo,
  joinHalves,
  low32,
} from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('u32 halves', () => {
  it('split and join addresses up to 52 bits exactly', () => {
    expect(low32(0x000f_1234_5678_9abc)).toBe(0x5678_9abc);
    expect(high32(0x000f_1234_5678_9abc)).toBe(0x000f_1234);
    expect(joinHalves(0x5678_9abc, 0xf_1234)).toBe(0x000f_1234_5678_9abc);
  });

  it('round-trips every safe integer below 2^52', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 52 - 1 }), (value) => {
        expect(joinHalves(low32(value), high32(value))).toBe(value);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('converts to and from bigint at display edges', () => {
    expect(halvesToBigInt(0xdead_beef, 0xffff_ffff)).toBe(0xffff_ffff_dead_beefn);
    expect(bigIntToHalves(0xffff_ffff_dead_beefn)).toEqual({ lo: 0xdead_beef, hi: 0xffff_ffff });
    expect(bigIntToHalves(-1n)).toEqual({ lo: 0xffff_ffff, hi: 0xffff_ffff });
  });

  it('alignment and power-of-two checks hold above 32 bits', () => {
    expect(isAligned(0x1_0000_0000, 0x1_0000_0000)).toBe(true);
    expect(isAligned(0x1_0000_1000, 0x2000)).toBe(false);
    expect(isAligned(0x40_0000_0000, 2 ** 38)).toBe(true);
    expect(isPowerOfTwo(2 ** 42)).toBe(true);
    expect(isPowerOfTwo(3 * 2 ** 20)).toBe(false);
    expect(isPowerOfTwo(0)).toBe(false);
  });
});
