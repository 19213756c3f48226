import {
  IO_PGTABLE_QUIRK_ARM_HD,
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IOMMU_CACHE,
  IOMMU_MMIO,
  IOMMU_NOEXEC,
  IOMMU_PRIV,
  IOMMU_READ,
  IOMMU_WRITE,
} from '../io-pgtable';
import {
  ARM_LPAE_MAIR_ATTR_IDX_CACHE,
  ARM_LPAE_MAIR_ATTR_IDX_DEV,
  ARM_LPAE_PTE_AF_LO,
  ARM_LPAE_PTE_AP_RDONLY_LO,
  ARM_LPAE_PTE_AP_UNPRIV_LO,
  ARM_LPAE_PTE_ATTRINDX_SHIFT,
  ARM_LPAE_PTE_DBM_HI,
  ARM_LPAE_PTE_HAP_READ_LO,
  ARM_LPAE_PTE_HAP_WRITE_LO,
  ARM_LPAE_PTE_MEMATTR_DEV_LO,
  ARM_LPAE_PTE_MEMATTR_FWB_WB_LO,
  ARM_LPAE_PTE_MEMATTR_NC_LO,
  ARM_LPAE_PTE_MEMATTR_OIWB_LO,
  ARM_LPAE_PTE_NG_LO,
  ARM_LPAE_PTE_NS_LO,
  ARM_LPAE_PTE_SH_IS_LO,
  ARM_LPAE_PTE_SH_OS_LO,
  ARM_LPAE_PTE_XN_HI,
} from './constants';

/** Which of the three LPAE attribute schemes a format uses. */
export type LpaeKind = 0 | 1 | 2;
/** Stage-1 attributes (ARM_32_LPAE_S1, ARM_64_LPAE_S1). */
export const LPAE_KIND_STAGE1: LpaeKind = 0;
/** Stage-2 attributes (ARM_32_LPAE_S2, ARM_64_LPAE_S2). */
export const LPAE_KIND_STAGE2: LpaeKind = 1;
/** Mali: stage-2-like permissions, stage-1-like AttrIndx, no AF, leaves always type 1. */
export const LPAE_KIND_MALI: LpaeKind = 2;

/** A descriptor as two u32 halves; reused so that encoding allocates nothing. */
export class PteHalves {
  lo = 0;
  hi = 0;
}

/**
 * `arm_lpae_prot_to_pte` (v6.16): the attribute bits of a leaf for IOMMU prot flags, written
 * into `out`. Stage 1 uses AP/AttrIndx/nG, stage 2 HAP/MemAttr, Mali stage-2 permissions with
 * stage-1 AttrIndx, outer shareability and no AF. Reference §2.2.
 */
export function armLpaeProtToPte(
  kind: LpaeKind,
  quirks: number,
  prot: number,
  out: PteHalves,
): void {
  let lo = 0;
  let hi = 0;
  if (kind === LPAE_KIND_STAGE1) {
    lo = ARM_LPAE_PTE_NG_LO;
    if ((prot & IOMMU_WRITE) === 0 && (prot & IOMMU_READ) !== 0) lo |= ARM_LPAE_PTE_AP_RDONLY_LO;
    else if ((quirks & IO_PGTABLE_QUIRK_ARM_HD) !== 0) hi |= ARM_LPAE_PTE_DBM_HI;
    if ((prot & IOMMU_PRIV) === 0) lo |= ARM_LPAE_PTE_AP_UNPRIV_LO;
  } else {
    if ((prot & IOMMU_READ) !== 0) lo |= ARM_LPAE_PTE_HAP_READ_LO;
    if ((prot & IOMMU_WRITE) !== 0) lo |= ARM_LPAE_PTE_HAP_WRITE_LO;
  }
  if (kind === LPAE_KIND_STAGE2) {
    if ((prot & IOMMU_MMIO) !== 0) lo |= ARM_LPAE_PTE_MEMATTR_DEV_LO;
    else if ((prot & IOMMU_CACHE) !== 0) {
      lo |=
        (quirks & IO_PGTABLE_QUIRK_ARM_S2FWB) !== 0
          ? ARM_LPAE_PTE_MEMATTR_FWB_WB_LO
          : ARM_LPAE_PTE_MEMATTR_OIWB_LO;
    } else lo |= ARM_LPAE_PTE_MEMATTR_NC_LO;
  } else if ((prot & IOMMU_MMIO) !== 0) {
    lo |= ARM_LPAE_MAIR_ATTR_IDX_DEV << ARM_LPAE_PTE_ATTRINDX_SHIFT;
  } else if ((prot & IOMMU_CACHE) !== 0) {
    lo |= ARM_LPAE_MAIR_ATTR_IDX_CACHE << ARM_LPAE_PTE_ATTRINDX_SHIFT;
  }
  lo |=
    (prot & IOMMU_CACHE) !== 0 && kind !== LPAE_KIND_MALI
      ? ARM_LPAE_PTE_SH_IS_LO
      : ARM_LPAE_PTE_SH_OS_LO;
  if ((prot & IOMMU_NOEXEC) !== 0) hi |= ARM_LPAE_PTE_XN_HI;
  if ((quirks & IO_PGTABLE_QUIRK_ARM_NS) !== 0) lo |= ARM_LPAE_PTE_NS_LO;
  if (kind !== LPAE_KIND_MALI) lo |= ARM_LPAE_PTE_AF_LO;
  out.lo = lo >>> 0;
  out.hi = hi >>> 0;
}
