/**
 * A device's register file as seen from the bus. Offsets are relative to the region base.
 * The bus only ever calls `read32`/`write32` with 4-byte-aligned offsets, and `read64`/`write64`
 * (when the device has them) with 8-byte-aligned offsets; every other access is a bus error.
 */
export interface MmioDevice {
  readonly name: string;
  read32(offset: number): number;
  write32(offset: number, value: number): void;
  /** Present on devices with 64-bit registers (an SMMU's TTBRs, for instance). */
  read64?(offset: number): bigint;
  write64?(offset: number, value: bigint): void;
}

/** An MMIO device mapped at a physical base. */
export interface MmioRegion {
  readonly base: number;
  readonly size: number;
  readonly end: number;
  readonly device: MmioDevice;
}
