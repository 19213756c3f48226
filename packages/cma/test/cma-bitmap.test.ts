import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cmaBitmapAlignedMask,
  cmaBitmapAlignedOffset,
  cmaBitmapMaxno,
  cmaBitmapPagesToBits,
} from '../src/cma/cma-bitmap';
import { Bitmap } from '../src/util/bitmap';

/**
 * The two historic cma_bitmap_aligned_offset formulas (mm/cma.c), kept here only to show the
 * fixed bugs (reference cma.md §1.3, §7.1).
 */
function originalOffset(basePfn: number, orderPerBit: number, alignOrder: number): number {
  // Before 2015: ALIGN(base_pfn, 1 << (align_order - order_per_bit)) - (base_pfn >> order_per_bit)
  if (alignOrder <= orderPerBit) return 0;
  const alignment = 2 ** (alignOrder - orderPerBit);
  return Math.ceil(basePfn / alignment) * alignment - Math.floor(basePfn / 2 ** orderPerBit);
}
function petigara2015Offset(basePfn: number, orderPerBit: number, alignOrder: number): number {
  // 2015 fix: (ALIGN(base_pfn, 1 << align_order) - base_pfn) >> order_per_bit
  if (alignOrder <= orderPerBit) return 0;
  const alignment = 2 ** alignOrder;
  return Math.floor((Math.ceil(basePfn / alignment) * alignment - basePfn) / 2 ** orderPerBit);
}

/** The first PFN cma_range_alloc would pick in an empty range of `pages` pages. */
function firstPfn(
  basePfn: number,
  pages: number,
  orderPerBit: number,
  alignOrder: number,
  offsetOf: (basePfn: number, orderPerBit: number, alignOrder: number) => number,
): number {
  const map = new Bitmap(cmaBitmapMaxno(pages, orderPerBit));
  const bitmapNo = map.findNextZeroAreaOff(
    0,
    cmaBitmapPagesToBits(orderPerBit, 1),
    cmaBitmapAlignedMask(orderPerBit, alignOrder),
    offsetOf(basePfn, orderPerBit, alignOrder),
  );
  return basePfn + bitmapNo * 2 ** orderPerBit;
}

describe('mm/cma.c bitmap helpers', () => {
  it('cma_bitmap_aligned_mask: 0 up to order_per_bit, then (1 << (align - opb)) - 1', () => {
    expect(cmaBitmapAlignedMask(0, 0)).toBe(0);
    expect(cmaBitmapAlignedMask(0, 8)).toBe(0xff);
    expect(cmaBitmapAlignedMask(2, 2)).toBe(0);
    expect(cmaBitmapAlignedMask(2, 1)).toBe(0);
    expect(cmaBitmapAlignedMask(2, 8)).toBe(0x3f);
    expect(cmaBitmapAlignedMask(9, 10)).toBe(1);
    expect(cmaBitmapAlignedMask(0, 40)).toBe(2 ** 40 - 1);
  });

  it('cma_bitmap_pages_to_bits rounds up to whole bits (opb=2, 5 pages -> 2 bits, cma.md §1.3)', () => {
    expect(cmaBitmapPagesToBits(2, 5)).toBe(2);
    expect(cmaBitmapPagesToBits(2, 4)).toBe(1);
    expect(cmaBitmapPagesToBits(0, 5)).toBe(5);
    expect(cmaBitmapPagesToBits(9, 1)).toBe(1);
    expect(cmaBitmapPagesToBits(9, 0)).toBe(0);
  });

  it('cma_bitmap_maxno is count >> order_per_bit (hugetlb 64G: opb 0 -> 2 MiB of bitmap, opb 9 -> 4 KiB; cma.md P7)', () => {
    const pages64G = (64 * 2 ** 30) / 4096;
    expect(cmaBitmapMaxno(pages64G, 0) / 8).toBe(2 * 2 ** 20);
    expect(cmaBitmapMaxno(pages64G, 9) / 8).toBe(4096);
    expect(cmaBitmapMaxno(1023, 9)).toBe(1);
  });

  it('cma_bitmap_aligned_offset works for PFNs above 2^32', () => {
    expect(cmaBitmapAlignedOffset(0x1_2345_6800, 0, 12)).toBe(0x800);
    expect(cmaBitmapAlignedOffset(0x1_2345_6800, 3, 12)).toBe(0x100);
    expect(cmaBitmapAlignedOffset(0x1_0000_0000, 0, 40)).toBe(0x1_0000_0000);
  });

  it('rejects bad orders and counts with EINVAL naming the value', () => {
    expect(() => cmaBitmapAlignedMask(-1, 3)).toThrowError(/EINVAL: cma bitmap: orderPerBit -1/);
    expect(() => cmaBitmapAlignedOffset(0.5, 0, 3)).toThrowError(/basePfn 0.5/);
    expect(() => cmaBitmapPagesToBits(0, -3)).toThrowError(/pages -3/);
    expect(() => cmaBitmapMaxno(16, 53)).toThrowError(/orderPerBit 53/);
  });
});

describe('fixed cma_bitmap_aligned_offset bugs (cma.md §1.3, §7.1)', () => {
  it('Petigara 2015: opb=1, base_pfn 0x2f800, align_order 12 -> 0x400 (the original formula gave 0x17c00)', () => {
    expect(cmaBitmapAlignedOffset(0x2f800, 1, 12)).toBe(0x400);
    expect(originalOffset(0x2f800, 1, 12)).toBe(0x17c00);
    expect(firstPfn(0x2f800, 0x10000, 1, 12, cmaBitmapAlignedOffset)).toBe(0x30000);
    // Only the offset modulo (mask + 1) steers the search. For this base (aligned to exactly half
    // the request) 0x17c00 and 0x400 agree modulo 0x800, so placement was right by luck; one
    // order more and the original formula lands off the boundary.
    expect(firstPfn(0x2f800, 0x10000, 1, 12, originalOffset)).toBe(0x30000);
    expect(cmaBitmapAlignedOffset(0x2f800, 1, 13)).toBe(0xc00);
    expect(originalOffset(0x2f800, 1, 13)).toBe(0x18400);
    expect(firstPfn(0x2f800, 0x10000, 1, 13, cmaBitmapAlignedOffset)).toBe(0x30000);
    expect(firstPfn(0x2f800, 0x10000, 1, 13, originalOffset)).toBe(0x31000); // not 0x2000-aligned
  });

  it('Berger 2017: align more than twice the base alignment; the 2015 offset (distance to the next boundary) misaligns', () => {
    // Base 0x2f800 is 0x800-aligned; request 0x2000 (order 13), opb 0.
    expect(cmaBitmapAlignedOffset(0x2f800, 0, 13)).toBe(0x1800);
    expect(petigara2015Offset(0x2f800, 0, 13)).toBe(0x800);
    expect(firstPfn(0x2f800, 0x10000, 0, 13, cmaBitmapAlignedOffset)).toBe(0x30000);
    expect(firstPfn(0x2f800, 0x10000, 0, 13, petigara2015Offset)).toBe(0x31000); // not 0x2000-aligned
    // When the base is aligned to exactly half the request the two agree (why 2015 looked right).
    expect(petigara2015Offset(0x2f800, 0, 12)).toBe(cmaBitmapAlignedOffset(0x2f800, 0, 12));
  });

  it('(inference, cma.md §1.3) opb=0, base 0x2f800, align 12: mask 0xfff, offset 0x800, first pfn 0x30000', () => {
    expect(cmaBitmapAlignedMask(0, 12)).toBe(0xfff);
    expect(cmaBitmapAlignedOffset(0x2f800, 0, 12)).toBe(0x800);
    expect(firstPfn(0x2f800, 0x10000, 0, 12, cmaBitmapAlignedOffset)).toBe(0x30000);
  });

  it('every area found with the fixed mask/offset starts on a 2^align boundary (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 2 ** 24 }),
        fc.array(fc.nat(255), { maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        (orderPerBit, alignOrder, baseBlock, busyBits, pages) => {
          const basePfn = baseBlock * 2 ** orderPerBit; // a range base is a multiple of a bit
          const map = new Bitmap(256);
          for (const bit of busyBits) map.set(bit, 1);
          const mask = cmaBitmapAlignedMask(orderPerBit, alignOrder);
          const offset = cmaBitmapAlignedOffset(basePfn, orderPerBit, alignOrder);
          const bits = cmaBitmapPagesToBits(orderPerBit, pages);
          const bitmapNo = map.findNextZeroAreaOff(0, bits, mask, offset);
          if (bitmapNo >= map.size) return;
          const pfn = basePfn + bitmapNo * 2 ** orderPerBit;
          expect(
            pfn % 2 ** Math.max(alignOrder, orderPerBit) === 0 || alignOrder <= orderPerBit,
          ).toBe(true);
          for (let b = bitmapNo; b < bitmapNo + bits; b++) expect(map.test(b)).toBe(false);
        },
      ),
      { seed: 0xc3a, numRuns: 1000 },
    );
  });
});
