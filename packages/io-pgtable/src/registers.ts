import { SocmemError } from '@socmem/hw-sim';
import { type ArmLpaeS1Cfg, type ArmLpaeS2Vtcr, IO_PGTABLE_QUIRK_ARM_TTBR1 } from './io-pgtable';

/** SMMUv2 CB_TCR (AArch64 format) bits, drivers/iommu/arm/arm-smmu/arm-smmu.h. */
export const ARM_SMMU_TCR_EPD0 = 1 << 7;
export const ARM_SMMU_TCR_A1 = 1 << 22;
export const ARM_SMMU_TCR_EPD1 = 1 << 23;
export const ARM_SMMU_TCR_EAE = 0x8000_0000;
/** CB_TCR2: SEP[17:15] = UPSTREAM (7), PASIZE[3:0]. */
export const ARM_SMMU_TCR2_SEP_UPSTREAM = 7 << 15;
/** VTCR RES1 bit 31. */
export const ARM_SMMU_VTCR_RES1 = 0x8000_0000;

/** Packed stage-1 translation control words. */
export interface ArmLpaePackedTcr {
  /** SMMUv2 CB_TCR (= TCR_EL1[31:0]): T0SZ, IRGN0, ORGN0, SH0, TG0 and EPD1 (shifted to the TTBR1 fields with EPD0 for ARM_TTBR1). */
  readonly tcr: number;
  /** SMMUv2 CB_TCR2: PASIZE = IPS, SEP = upstream. */
  readonly tcr2: number;
  /** The 64-bit TCR_EL1 layout with IPS at [34:32], as a number below 2^35. */
  readonly tcr64: number;
}

function field(value: number, width: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** width) {
    throw new SocmemError('EINVAL', `tcr pack: ${name} ${value} does not fit ${width} bits`);
  }
  return value;
}

/**
 * Packs `cfg.armLpaeS1Cfg.tcr` as `arm_smmu_lpae_tcr` / `arm_smmu_lpae_tcr2` do for an SMMUv2
 * context bank (AArch64 descriptors): TCR = TG0[15:14] | SH0[13:12] | ORGN0[11:10] |
 * IRGN0[9:8] | T0SZ[5:0] | EPD1; with ARM_TTBR1 the fields move up 16 bits to the TTBR1
 * fields (A1 cleared) and EPD0 replaces EPD1; `aarch32` adds EAE (bit 31). Reference §2.5: S1 4K ias=oas=48 coherent
 * gives tcr64 0x5_0080_3510.
 */
export function armLpaePackTcr(s1: ArmLpaeS1Cfg, quirks = 0, aarch32 = false): ArmLpaePackedTcr {
  const t = s1.tcr;
  let tcr =
    (field(t.tg, 2, 'tg') << 14) |
    (field(t.sh, 2, 'sh') << 12) |
    (field(t.orgn, 2, 'orgn') << 10) |
    (field(t.irgn, 2, 'irgn') << 8) |
    field(t.tsz, 6, 'tsz');
  if ((quirks & IO_PGTABLE_QUIRK_ARM_TTBR1) !== 0) {
    tcr = ((tcr << 16) & ~ARM_SMMU_TCR_A1) | ARM_SMMU_TCR_EPD0;
  } else {
    tcr |= ARM_SMMU_TCR_EPD1;
  }
  // arm_smmu_init_context_bank: an AArch32 LPAE context (ARM_32_LPAE_S1) also sets TCR.EAE.
  if (aarch32) tcr |= ARM_SMMU_TCR_EAE;
  const ips = field(t.ips, 3, 'ips');
  return {
    tcr: tcr >>> 0,
    tcr2: (ips | ARM_SMMU_TCR2_SEP_UPSTREAM) >>> 0,
    tcr64: ips * 2 ** 32 + (tcr >>> 0),
  };
}

/**
 * Packs `cfg.armLpaeS2Cfg.vtcr` as `arm_smmu_lpae_vtcr`: RES1 | PS[18:16] | TG0[15:14] |
 * SH0[13:12] | ORGN0[11:10] | IRGN0[9:8] | SL0[7:6] | T0SZ[5:0]. Reference §2.5: S2 4K
 * ias=oas=40 coherent gives 0x80023558.
 */
export function armLpaePackVtcr(vtcr: ArmLpaeS2Vtcr): number {
  return (
    (ARM_SMMU_VTCR_RES1 |
      (field(vtcr.ps, 3, 'ps') << 16) |
      (field(vtcr.tg, 2, 'tg') << 14) |
      (field(vtcr.sh, 2, 'sh') << 12) |
      (field(vtcr.orgn, 2, 'orgn') << 10) |
      (field(vtcr.irgn, 2, 'irgn') << 8) |
      (field(vtcr.sl, 2, 'sl') << 6) |
      field(vtcr.tsz, 6, 'tsz')) >>>
    0
  );
}
