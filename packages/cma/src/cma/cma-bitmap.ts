/**
 * The bitmap arithmetic of mm/cma.c (Linux v6.16). One bit covers 2^orderPerBit pages; a
 * request aligned to 2^alignOrder pages becomes an aligned mask and offset for
 * `Bitmap.findNextZeroAreaOff` (lib/bitmap.c bitmap_find_next_zero_area_off).
 *
 * The offset formula is the one left after two fixes (reference cma.md §1.3, §7.1):
 * - 2015, Danesh Petigara, "mm: cma: fix CMA aligned offset calculation": the original
 *   `ALIGN(base_pfn, 1 << (align_order - order_per_bit)) - (base_pfn >> order_per_bit)` mixed
 *   page and bit units and was wrong for order_per_bit != 0 (0x17c00 instead of 0x400).
 * - 2017, Doug Berger, "cma: fix calculation of aligned offset": the 2015 formula
 *   `(ALIGN(base_pfn, 1 << align_order) - base_pfn) >> order_per_bit` is the distance to the
 *   NEXT boundary, but bitmap_find_next_zero_area_off wants the distance PAST THE PREVIOUS one;
 *   they agree only when the base is aligned to exactly half the request.
 * Current: `(base_pfn & ((1 << align_order) - 1)) >> order_per_bit`.
 *
 * PFNs may exceed 2^32 (52-bit physical addresses), so the math uses exact float arithmetic
 * on powers of two instead of int32 bit operators.
 */
import { SocmemError } from '@socmem/hw-sim';

/** Largest order accepted: 2^52 is still an exact double. */
const MAX_ORDER_ARGUMENT = 52;

function checkOrder(what: string, order: number): void {
  if (!Number.isInteger(order) || order < 0 || order > MAX_ORDER_ARGUMENT) {
    throw new SocmemError(
      'EINVAL',
      `cma bitmap: ${what} ${order} is not an integer in [0, ${MAX_ORDER_ARGUMENT}]`,
    );
  }
}

function checkCount(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SocmemError('EINVAL', `cma bitmap: ${what} ${value} is not a non-negative integer`);
  }
}

/**
 * cma_bitmap_aligned_mask: the bitmap alignment mask for a 2^alignOrder-page alignment,
 * `alignOrder <= orderPerBit ? 0 : (1 << (alignOrder - orderPerBit)) - 1`.
 */
export function cmaBitmapAlignedMask(orderPerBit: number, alignOrder: number): number {
  checkOrder('orderPerBit', orderPerBit);
  checkOrder('alignOrder', alignOrder);
  if (alignOrder <= orderPerBit) return 0;
  return 2 ** (alignOrder - orderPerBit) - 1;
}

/**
 * cma_bitmap_aligned_offset (fixed 2017 form): how far, in bits, the range's base PFN lies past
 * the previous 2^alignOrder-page boundary, `(basePfn & ((1 << alignOrder) - 1)) >> orderPerBit`.
 */
export function cmaBitmapAlignedOffset(
  basePfn: number,
  orderPerBit: number,
  alignOrder: number,
): number {
  checkCount('basePfn', basePfn);
  checkOrder('orderPerBit', orderPerBit);
  checkOrder('alignOrder', alignOrder);
  const pastBoundary = basePfn % 2 ** alignOrder;
  return Math.floor(pastBoundary / 2 ** orderPerBit);
}

/**
 * cma_bitmap_pages_to_bits: bits needed for `pages` pages, rounding up to whole bits,
 * `ALIGN(pages, 1 << orderPerBit) >> orderPerBit`.
 */
export function cmaBitmapPagesToBits(orderPerBit: number, pages: number): number {
  checkOrder('orderPerBit', orderPerBit);
  checkCount('pages', pages);
  return Math.ceil(pages / 2 ** orderPerBit);
}

/** cma_bitmap_maxno: bits in a range's bitmap, `count >> orderPerBit`. */
export function cmaBitmapMaxno(rangePages: number, orderPerBit: number): number {
  checkCount('rangePages', rangePages);
  checkOrder('orderPerBit', orderPerBit);
  return Math.floor(rangePages / 2 ** orderPerBit);
}
