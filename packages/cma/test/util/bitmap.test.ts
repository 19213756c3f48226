import { SocmemError } from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bitmap } from '../../src/util/bitmap';

/** Boolean-array reference of lib/bitmap.c bitmap_find_next_zero_area_off, bit by bit. */
function referenceFindArea(
  bits: boolean[],
  start: number,
  count: number,
  mask: number,
  offset: number,
): number {
  const size = bits.length;
  let from = start;
  for (;;) {
    // find_next_zero_bit returns size when start >= size or no zero bit is left.
    let index = Math.min(from, size);
    while (index < size && bits[index]) index++;
    index = Math.ceil((index + offset) / (mask + 1)) * (mask + 1) - offset;
    const end = index + count;
    if (end > size) return end;
    let busy = -1;
    for (let i = index; i < end; i++) {
      if (bits[i]) {
        busy = i;
        break;
      }
    }
    if (busy < 0) return index;
    from = busy + 1;
  }
}

function bitmapFrom(pattern: string): Bitmap {
  const map = new Bitmap(pattern.length);
  for (let i = 0; i < pattern.length; i++) if (pattern[i] === '1') map.set(i, 1);
  return map;
}

describe('Bitmap basics', () => {
  it('sets and clears ranges across word boundaries', () => {
    const map = new Bitmap(100);
    map.set(30, 40); // words 0, 1 and 2
    expect(map.weight()).toBe(40);
    expect(map.test(29)).toBe(false);
    expect(map.test(30)).toBe(true);
    expect(map.test(69)).toBe(true);
    expect(map.test(70)).toBe(false);
    expect(Array.from(map.copyWords())).toEqual([0xc000_0000, 0xffff_ffff, 0x0000_003f, 0]);
    map.clear(31, 33);
    expect(Array.from(map.copyWords())).toEqual([0x4000_0000, 0, 0x0000_003f, 0]);
    expect(map.toString()).toBe('Bitmap(100 bits, 7 set: 30,64-69)');
  });

  it('fills whole words and the partial last word exactly', () => {
    const map = new Bitmap(70);
    map.set(0, 70);
    expect(map.weight()).toBe(70);
    expect(Array.from(map.copyWords())).toEqual([0xffff_ffff, 0xffff_ffff, 0x3f]);
    expect(map.findNextZeroBit(0)).toBe(70);
    expect(map.longestZeroRun()).toBe(0);
    map.clear(0, 70);
    expect(map.weight()).toBe(0);
    expect(map.longestZeroRun()).toBe(70);
    expect(map.toString()).toBe('Bitmap(70 bits, 0 set)');
  });

  it('finds next set and clear bits on word boundaries (lib/find_bit.c semantics)', () => {
    const map = new Bitmap(128);
    map.set(31, 2); // bits 31 and 32
    map.set(127, 1);
    expect(map.findNextBit(0)).toBe(31);
    expect(map.findNextBit(32)).toBe(32);
    expect(map.findNextBit(33)).toBe(127);
    expect(map.findNextBit(33, 100)).toBe(100); // none before end: returns end
    expect(map.findNextZeroBit(31)).toBe(33);
    expect(map.findNextZeroBit(127)).toBe(128);
    expect(map.findNextBit(200)).toBe(128);
  });

  it('rejects out-of-range arguments with EINVAL naming the value and changes nothing', () => {
    const map = new Bitmap(64);
    map.set(1, 2);
    expect(() => map.set(60, 5)).toThrowError(
      /EINVAL: Bitmap: set\(start 60, count 5\) outside \[0, 64\)/,
    );
    expect(() => map.clear(-1, 1)).toThrowError(SocmemError);
    expect(() => map.test(64)).toThrowError(/bit 64/);
    expect(() => new Bitmap(1.5)).toThrowError(/size 1.5/);
    expect(() => map.findNextZeroAreaOff(0, 1, 6, 0)).toThrowError(/alignMask 6 is not 2\^k - 1/);
    expect(() => map.findNextZeroAreaOff(-1, 1, 0, 0)).toThrowError(/start -1/);
    expect(() => map.findNextZeroBit(-1)).toThrowError(/EINVAL: Bitmap: search from -1 to 64/);
    expect(() => map.findNextBit(0, 2.5)).toThrowError(/search from 0 to 2.5/);
    expect(map.findNextBit(2 ** 40)).toBe(64); // past the end is fine: returns the end
    expect(map.toString()).toBe('Bitmap(64 bits, 2 set: 1-2)');
  });

  it('measures the longest zero run as cma_debug maxchunk scans it', () => {
    const map = bitmapFrom('0011000001110000000011');
    expect(map.longestZeroRun()).toBe(8);
    expect(new Bitmap(0).longestZeroRun()).toBe(0);
  });
});

describe('Bitmap.findNextZeroAreaOff (lib/bitmap.c bitmap_find_next_zero_area_off)', () => {
  it('finds the first fit in an empty map, aligned', () => {
    const map = new Bitmap(64);
    expect(map.findNextZeroArea(0, 8, 0)).toBe(0);
    expect(map.findNextZeroArea(1, 8, 0)).toBe(1);
    expect(map.findNextZeroArea(1, 8, 7)).toBe(8);
    expect(map.findNextZeroArea(0, 64, 0)).toBe(0);
    expect(map.findNextZeroArea(1, 64, 0)).toBe(65); // end > size: returns end
  });

  it('skips past the first busy bit inside a candidate and re-aligns', () => {
    //                  0         1         2         3
    //                  0123456789012345678901234567890123456789
    const map = bitmapFrom('0001000000001000000000000000000000000000');
    expect(map.findNextZeroArea(0, 4, 0)).toBe(4); // [0,4) hits bit 3
    expect(map.findNextZeroArea(0, 8, 0)).toBe(4); // [4,12) stops short of bit 12
    expect(map.findNextZeroArea(0, 9, 0)).toBe(13); // [4,13) hits bit 12
    expect(map.findNextZeroArea(0, 4, 3)).toBe(4);
    expect(map.findNextZeroArea(0, 8, 7)).toBe(16); // 0 busy at 3 -> 8 busy at 12 -> 16
    expect(map.findNextZeroArea(0, 30, 0)).toBe(43); // no fit: index 13 + 30
  });

  it('applies align_offset so that index + offset is aligned', () => {
    const map = new Bitmap(64);
    // (index + 3) & 7 === 0 -> index 5, 13, ...
    expect(map.findNextZeroAreaOff(0, 4, 7, 3)).toBe(5);
    expect(map.findNextZeroAreaOff(6, 4, 7, 3)).toBe(13);
    map.set(14, 1);
    expect(map.findNextZeroAreaOff(6, 4, 7, 3)).toBe(21);
    // Offset larger than the mask still rounds (index + offset) up: 0 + 9 -> 16 - 9 = 7.
    expect(map.findNextZeroAreaOff(0, 1, 7, 9)).toBe(7);
  });

  it('handles areas spanning many words and the last partial word', () => {
    const map = new Bitmap(1000);
    map.set(0, 500);
    map.set(700, 1);
    expect(map.findNextZeroArea(0, 199, 0)).toBe(500);
    expect(map.findNextZeroArea(0, 200, 0)).toBe(500);
    expect(map.findNextZeroArea(0, 201, 0)).toBe(701);
    expect(map.findNextZeroArea(0, 299, 0)).toBe(701);
    expect(map.findNextZeroArea(0, 300, 0)).toBe(1001);
    expect(map.findNextZeroArea(0, 128, 127)).toBe(512);
    expect(map.findNextZeroArea(0, 200, 127)).toBe(768); // 512 hits bit 700, retry from 701
    expect(map.findNextZeroArea(0, 256, 255)).toBe(1024); // 512 hits 700, 768 + 256 > size
    expect(map.findNextZeroArea(2000, 1, 0)).toBe(1001); // start past the end: size + nr
  });

  it('agrees with a boolean-array reference on random maps (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 0, maxLength: 200 }),
        fc.nat(210),
        fc.nat(40),
        fc.nat(5),
        fc.nat(70),
        (bits, start, count, maskOrder, offset) => {
          const map = new Bitmap(bits.length);
          bits.forEach((bit, i) => {
            if (bit) map.set(i, 1);
          });
          const mask = 2 ** maskOrder - 1;
          expect(map.findNextZeroAreaOff(start, count, mask, offset)).toBe(
            referenceFindArea(bits, start, count, mask, offset),
          );
        },
      ),
      { seed: 0x5eed_b17, numRuns: 2000 },
    );
  });

  it('keeps set/clear/weight/longestZeroRun consistent with a reference (fast-check)', () => {
    const op = fc.record({ set: fc.boolean(), start: fc.nat(150), count: fc.nat(80) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.array(op, { maxLength: 30 }),
        (size, ops) => {
          const map = new Bitmap(size);
          const reference: boolean[] = new Array<boolean>(size).fill(false);
          for (const { set, start, count } of ops) {
            if (start + count > size) {
              expect(() => (set ? map.set(start, count) : map.clear(start, count))).toThrowError(
                /EINVAL/,
              );
              continue;
            }
            if (set) map.set(start, count);
            else map.clear(start, count);
            for (let i = start; i < start + count; i++) reference[i] = set;
            expect(map.weight()).toBe(reference.filter(Boolean).length);
            let longest = 0;
            let run = 0;
            for (const bit of reference) {
              run = bit ? 0 : run + 1;
              if (run > longest) longest = run;
            }
            expect(map.longestZeroRun()).toBe(longest);
            for (let i = 0; i < size; i++) expect(map.test(i)).toBe(reference[i]);
          }
        },
      ),
      { seed: 0xb17_5e7, numRuns: 300 },
    );
  });
});
