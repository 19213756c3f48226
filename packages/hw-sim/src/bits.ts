/**
 * 64-bit values as two unsigned 32-bit halves. Hot paths keep `lo`/`hi` apart; these helpers
 * join and split them at API edges. Addresses are exact JS numbers below 2^53.
 */

const TWO_POW_32 = 0x1_0000_0000;

/** The low 32 bits of a non-negative integer below 2^53, as an unsigned number. */
export function low32(value: number): number {
  return value >>> 0;
}

/** The bits above 32 of a non-negative integer below 2^53, as an unsigned number. */
export function high32(value: number): number {
  return Math.floor(value / TWO_POW_32) >>> 0;
}

/** Joins two halves into a number; exact while `hi` < 2^21. */
export function joinHalves(lo: number, hi: number): number {
  return hi * TWO_POW_32 + (lo >>> 0);
}

/** Joins two halves into a bigint, for showing a whole 64-bit value to a person. */
export function halvesToBigInt(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Splits a bigint (taken modulo 2^64) into halves. */
export function bigIntToHalves(value: bigint): { lo: number; hi: number } {
  const masked = BigInt.asUintN(64, value);
  return { lo: Number(masked & 0xffff_ffffn), hi: Number(masked >> 32n) };
}

/** True when `value` is a non-negative safe integer. */
export function isAddress(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** True when `value` is a multiple of `alignment` (a power of two up to 2^52). */
export function isAligned(value: number, alignment: number): boolean {
  // fmod is exact for integers, so this holds for every address below 2^53.
  return value % alignment === 0;
}

/** True for 1, 2, 4, ... up to 2^52. */
export function isPowerOfTwo(value: number): boolean {
  if (!Number.isSafeInteger(value) || value <= 0) return false;
  return value === 2 ** Math.round(Math.log2(value));
}
