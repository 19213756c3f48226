import { SocmemError } from '@socmem/hw-sim';
import {
  type ArmLpaeS1Tcr,
  type ArmLpaeS2Vtcr,
  IO_PGTABLE_QUIRK_ARM_OUTER_WBWA,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
} from '../io-pgtable';
import {
  ARM_LPAE_MAIR_ATTR_DEVICE,
  ARM_LPAE_MAIR_ATTR_IDX_CACHE,
  ARM_LPAE_MAIR_ATTR_IDX_DEV,
  ARM_LPAE_MAIR_ATTR_IDX_INC_OCACHE,
  ARM_LPAE_MAIR_ATTR_IDX_NC,
  ARM_LPAE_MAIR_ATTR_INC_OWBRWA,
  ARM_LPAE_MAIR_ATTR_NC,
  ARM_LPAE_MAIR_ATTR_WBRWA,
  ARM_LPAE_TCR_PS_BY_BITS,
  ARM_LPAE_TCR_RGN_NC,
  ARM_LPAE_TCR_RGN_WBWA,
  ARM_LPAE_TCR_SH_IS,
  ARM_LPAE_TCR_SH_OS,
  ARM_LPAE_TCR_TG0_4K,
  ARM_LPAE_TCR_TG0_16K,
  ARM_LPAE_TCR_TG0_64K,
  ARM_LPAE_TCR_TG1_4K,
  ARM_LPAE_TCR_TG1_16K,
  ARM_LPAE_TCR_TG1_64K,
  ARM_LPAE_VTCR_SL0_MASK,
  ARM_MALI_LPAE_MEMATTR_IMP_DEF,
  ARM_MALI_LPAE_MEMATTR_WRITE_ALLOC,
  ARM_MALI_LPAE_TTBR_ADRMODE_TABLE,
  ARM_MALI_LPAE_TTBR_READ_INNER,
  ARM_MALI_LPAE_TTBR_SHARE_OUTER,
} from './constants';

/** MAIR of every stage-1 LPAE table: idx0 NC, idx1 WBRWA, idx2 Device-nGnRE, idx3 inner-NC/outer-WBRWA. */
export const ARM_LPAE_MAIR =
  (ARM_LPAE_MAIR_ATTR_NC << (8 * ARM_LPAE_MAIR_ATTR_IDX_NC)) +
  (ARM_LPAE_MAIR_ATTR_WBRWA << (8 * ARM_LPAE_MAIR_ATTR_IDX_CACHE)) +
  (ARM_LPAE_MAIR_ATTR_DEVICE << (8 * ARM_LPAE_MAIR_ATTR_IDX_DEV)) +
  ARM_LPAE_MAIR_ATTR_INC_OWBRWA * 2 ** (8 * ARM_LPAE_MAIR_ATTR_IDX_INC_OCACHE);

/** Mali MEMATTR: implementation-defined policy for NC and device, write-allocate for cached. */
export const ARM_MALI_LPAE_MEMATTR =
  (ARM_MALI_LPAE_MEMATTR_IMP_DEF << (8 * ARM_LPAE_MAIR_ATTR_IDX_NC)) +
  (ARM_MALI_LPAE_MEMATTR_WRITE_ALLOC << (8 * ARM_LPAE_MAIR_ATTR_IDX_CACHE)) +
  (ARM_MALI_LPAE_MEMATTR_IMP_DEF << (8 * ARM_LPAE_MAIR_ATTR_IDX_DEV));

function psFor(oas: number, what: string): number {
  const ps = ARM_LPAE_TCR_PS_BY_BITS[oas];
  if (ps === undefined)
    throw new SocmemError(
      'EINVAL',
      `${what}: oas ${oas} has no IPS/PS encoding (32, 36, 40, 42, 44, 48 or 52)`,
    );
  return ps;
}

/**
 * The stage-1 TCR fields `arm_64_lpae_alloc_pgtable_s1` computes: inner-shareable WBWA walks
 * when coherent (OUTER_WBWA is then refused), outer-shareable non-cacheable (outer WBWA with
 * the quirk) otherwise; TG0 or, with ARM_TTBR1, TG1 encodings; IPS from oas; T0SZ = 64 - ias.
 */
export function armLpaeS1Tcr(
  granule: number,
  ias: number,
  oas: number,
  coherentWalk: boolean,
  quirks: number,
  what: string,
): ArmLpaeS1Tcr {
  let sh: number;
  let irgn: number;
  let orgn: number;
  if (coherentWalk) {
    if ((quirks & IO_PGTABLE_QUIRK_ARM_OUTER_WBWA) !== 0) {
      throw new SocmemError(
        'EINVAL',
        `${what}: quirk ARM_OUTER_WBWA is not allowed with a coherent walk`,
      );
    }
    sh = ARM_LPAE_TCR_SH_IS;
    irgn = ARM_LPAE_TCR_RGN_WBWA;
    orgn = ARM_LPAE_TCR_RGN_WBWA;
  } else {
    sh = ARM_LPAE_TCR_SH_OS;
    irgn = ARM_LPAE_TCR_RGN_NC;
    orgn =
      (quirks & IO_PGTABLE_QUIRK_ARM_OUTER_WBWA) !== 0
        ? ARM_LPAE_TCR_RGN_WBWA
        : ARM_LPAE_TCR_RGN_NC;
  }
  const tg1 = (quirks & IO_PGTABLE_QUIRK_ARM_TTBR1) !== 0;
  let tg: number;
  if (granule === 0x1000) tg = tg1 ? ARM_LPAE_TCR_TG1_4K : ARM_LPAE_TCR_TG0_4K;
  else if (granule === 0x4000) tg = tg1 ? ARM_LPAE_TCR_TG1_16K : ARM_LPAE_TCR_TG0_16K;
  else tg = tg1 ? ARM_LPAE_TCR_TG1_64K : ARM_LPAE_TCR_TG0_64K;
  return { ips: psFor(oas, what), tg, sh, orgn, irgn, tsz: 64 - ias };
}

/**
 * The stage-2 VTCR fields `arm_64_lpae_alloc_pgtable_s2` computes; SL0 = ~sl & 3 where sl is
 * the start level, plus one for the 4K granule whose SL0 encoding differs.
 */
export function armLpaeS2Vtcr(
  granule: number,
  ias: number,
  oas: number,
  startLevel: number,
  coherentWalk: boolean,
  what: string,
): ArmLpaeS2Vtcr {
  let sl = startLevel;
  let tg: number;
  if (granule === 0x1000) {
    tg = ARM_LPAE_TCR_TG0_4K;
    sl++;
  } else if (granule === 0x4000) tg = ARM_LPAE_TCR_TG0_16K;
  else tg = ARM_LPAE_TCR_TG0_64K;
  return {
    ps: psFor(oas, what),
    tg,
    sh: coherentWalk ? ARM_LPAE_TCR_SH_IS : ARM_LPAE_TCR_SH_OS,
    orgn: coherentWalk ? ARM_LPAE_TCR_RGN_WBWA : ARM_LPAE_TCR_RGN_NC,
    irgn: coherentWalk ? ARM_LPAE_TCR_RGN_WBWA : ARM_LPAE_TCR_RGN_NC,
    sl: ~sl & ARM_LPAE_VTCR_SL0_MASK,
    tsz: 64 - ias,
  };
}

/** Mali TRANSTAB: PGD address, READ_INNER, ADRMODE_TABLE, and SHARE_OUTER for a coherent walk. */
export function armMaliLpaeTranstab(pgdPa: number, coherentWalk: boolean): number {
  const low =
    ARM_MALI_LPAE_TTBR_READ_INNER |
    ARM_MALI_LPAE_TTBR_ADRMODE_TABLE |
    (coherentWalk ? ARM_MALI_LPAE_TTBR_SHARE_OUTER : 0);
  // The PGD is at least 64-byte aligned, so the low bits are free: OR becomes addition.
  return pgdPa + low;
}
