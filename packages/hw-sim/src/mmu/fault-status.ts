import type { FaultKind, PageTableFormat } from './translation';

/**
 * Long-descriptor fault status codes (AArch64 ESR_ELx.DFSC/IFSC, AArch32 long-descriptor
 * FSR.STATUS, SMMUv2 FSYNR0 uses the same encoding): the fault class in bits [5:2] and the
 * level in bits [1:0]. ARM ARM D17.2.40 (ESR_EL1 ISS encoding for a Data Abort).
 */
const LONG_CLASS: Readonly<Record<FaultKind, number>> = {
  'address-size': 0b0000_00,
  translation: 0b0001_00,
  'access-flag': 0b0010_00,
  permission: 0b0011_00,
  'external-abort': 0b0101_00,
};

/** Long-descriptor FSC for a fault of `kind` found at `level` (0..3). */
export function longDescriptorFaultStatus(kind: FaultKind, level: number): number {
  return LONG_CLASS[kind] | (level & 3);
}

/**
 * Short-descriptor FS[4:0] (ARM ARM B3.13.3, Table B3-23): section (level 1) and page (level 2)
 * variants. The short-descriptor format has no address-size fault and no walker reports one
 * for it; the case returns 0 only so the switch covers every fault kind.
 */
export function shortDescriptorFaultStatus(kind: FaultKind, level: number): number {
  const page = level === 2;
  switch (kind) {
    case 'translation':
      return page ? 0b00111 : 0b00101;
    case 'access-flag':
      return page ? 0b00110 : 0b00011;
    case 'permission':
      return page ? 0b01111 : 0b01101;
    case 'external-abort':
      return page ? 0b01110 : 0b01100;
    case 'address-size':
      return 0;
  }
}

/** The architectural fault status code of `kind` at `level` for a descriptor format. */
export function faultStatusCode(format: PageTableFormat, kind: FaultKind, level: number): number {
  return format === 'v7s'
    ? shortDescriptorFaultStatus(kind, level)
    : longDescriptorFaultStatus(kind, level);
}
