/**
 * Page-size bitmaps are JS numbers, not u32s: a 64K-granule table with a 52-bit output
 * size supports 4 TiB blocks (bit 42). These helpers do the kernel's bit operations on them
 * exactly, through their u32 halves.
 */

const TWO_POW_32 = 0x1_0000_0000;

/** `a & b` for non-negative integers below 2^53. */
export function bitmapAnd(a: number, b: number): number {
  const lo = ((a >>> 0) & (b >>> 0)) >>> 0;
  const hi = (Math.floor(a / TWO_POW_32) & Math.floor(b / TWO_POW_32)) >>> 0;
  return hi * TWO_POW_32 + lo;
}

/** The value of the lowest set bit (1 << __ffs(x)), or 0 for 0. */
export function lowestBit(bitmap: number): number {
  for (let bit = 1; bit <= bitmap; bit *= 2) {
    if (Math.floor(bitmap / bit) % 2 === 1) return bit;
  }
  return 0;
}

/** The value of the highest set bit (1 << __fls(x)), or 0 for 0. */
export function highestBit(bitmap: number): number {
  if (bitmap < 1) return 0;
  let bit = 1;
  while (bit * 2 <= bitmap) bit *= 2;
  return bit;
}

/** The bits of `bitmap` strictly below `limit` (a power of two): bitmap & (limit - 1). */
export function bitsBelow(bitmap: number, limit: number): number {
  return bitmap % limit;
}

/** The bits of `bitmap` at or above `limit` (a power of two): bitmap & ~(limit - 1). */
export function bitsFrom(bitmap: number, limit: number): number {
  return bitmap - (bitmap % limit);
}

/** log2 of a power of two up to 2^52. */
export function log2Exact(value: number): number {
  return Math.round(Math.log2(value));
}

/** True for a non-negative safe integer bitmap. */
export function isBitmap(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
