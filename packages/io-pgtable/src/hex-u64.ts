import { hex } from '@socmem/hw-sim';

/**
 * An IOVA as the kernel prints an `unsigned long`: TTBR1 IOVAs, which this package passes as
 * negative numbers (the signed 64-bit value), are shown in two's complement
 * (-0x1000 -> 0xffff_ffff_ffff_f000). Messages only; never on a hot path.
 */
export function hexU64(value: number): string {
  if (!Number.isInteger(value)) return String(value);
  return value < 0 ? hex(BigInt.asUintN(64, BigInt(value))) : hex(value);
}
