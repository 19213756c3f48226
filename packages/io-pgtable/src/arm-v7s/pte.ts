import {
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_NO_PERMS,
  IOMMU_CACHE,
  IOMMU_MMIO,
  IOMMU_NOEXEC,
  IOMMU_PRIV,
  IOMMU_READ,
  IOMMU_WRITE,
} from '../io-pgtable';
import {
  ARM_V7S_ATTR_B,
  ARM_V7S_ATTR_C,
  ARM_V7S_ATTR_MTK_PA_BIT32,
  ARM_V7S_ATTR_MTK_PA_BIT33,
  ARM_V7S_ATTR_MTK_PA_BIT34,
  ARM_V7S_ATTR_NG,
  ARM_V7S_ATTR_NS_SECTION,
  ARM_V7S_ATTR_S,
  ARM_V7S_ATTR_SHIFT_LVL1,
  ARM_V7S_ATTR_SHIFT_LVL2,
  ARM_V7S_ATTR_XN_LVL1,
  ARM_V7S_ATTR_XN_LVL2,
  ARM_V7S_CONT_PAGE_TEX_MASK,
  ARM_V7S_CONT_PAGE_TEX_SHIFT,
  ARM_V7S_CONT_PAGE_XN_SHIFT,
  ARM_V7S_CONT_SECTION,
  ARM_V7S_LVL1_CONT_MASK,
  ARM_V7S_LVL1_MASK,
  ARM_V7S_LVL2_CONT_MASK,
  ARM_V7S_LVL2_MASK,
  ARM_V7S_PTE_AF,
  ARM_V7S_PTE_AP_RDONLY,
  ARM_V7S_PTE_AP_UNPRIV,
  ARM_V7S_PTE_TYPE_CONT_PAGE,
  ARM_V7S_PTE_TYPE_PAGE,
  ARM_V7S_PTE_TYPE_TABLE,
  ARM_V7S_TABLE_MASK,
  ARM_V7S_TEX_MASK,
  ARM_V7S_TEX_SHIFT,
} from './constants';

/** A v7s level: 1 (sections, tables) or 2 (pages). */
export type ArmV7sLevel = 1 | 2;

const TWO_POW_32 = 0x1_0000_0000;

/** `ARM_V7S_BLOCK_SIZE(lvl)`: 1 MiB at level 1, 4 KiB at level 2. */
export function armV7sBlockSize(lvl: ArmV7sLevel): number {
  return lvl === 1 ? 0x10_0000 : 0x1000;
}

/** `ARM_V7S_PTE_IS_VALID`. */
export function armV7sPteIsValid(pte: number): boolean {
  return (pte & 0x3) !== 0;
}

/** `ARM_V7S_PTE_IS_TABLE`: only level 1 has table descriptors. */
export function armV7sPteIsTable(pte: number, lvl: ArmV7sLevel): boolean {
  return lvl === 1 && (pte & 0x3) === ARM_V7S_PTE_TYPE_TABLE;
}

/** `arm_v7s_pte_is_cont`: supersection at level 1, large page at level 2. */
export function armV7sPteIsCont(pte: number, lvl: ArmV7sLevel): boolean {
  if (lvl === 1) return !armV7sPteIsTable(pte, 1) && (pte & ARM_V7S_CONT_SECTION) !== 0;
  return (pte & ARM_V7S_PTE_TYPE_PAGE) === 0;
}

/** `ARM_V7S_ATTR_XN(lvl)`. */
export function armV7sAttrXn(lvl: ArmV7sLevel): number {
  return lvl === 1 ? ARM_V7S_ATTR_XN_LVL1 : ARM_V7S_ATTR_XN_LVL2;
}

/** `ARM_V7S_ATTR_SHIFT(lvl)`. */
export function armV7sAttrShift(lvl: ArmV7sLevel): number {
  return lvl === 1 ? ARM_V7S_ATTR_SHIFT_LVL1 : ARM_V7S_ATTR_SHIFT_LVL2;
}

/** `ARM_V7S_LVL_MASK(lvl)`. */
export function armV7sLvlMask(lvl: ArmV7sLevel): number {
  return lvl === 1 ? ARM_V7S_LVL1_MASK : ARM_V7S_LVL2_MASK;
}

/** `to_mtk_iopte`: PA bits 32..34 into descriptor bits 9, 4, 5. */
export function toMtkIopte(paddr: number, pte: number): number {
  const high = Math.floor(paddr / TWO_POW_32);
  let out = pte;
  if ((high & 1) !== 0) out |= ARM_V7S_ATTR_MTK_PA_BIT32;
  if ((high & 2) !== 0) out |= ARM_V7S_ATTR_MTK_PA_BIT33;
  if ((high & 4) !== 0) out |= ARM_V7S_ATTR_MTK_PA_BIT34;
  return out >>> 0;
}

/** `paddr_to_iopte`: the output-address bits of a leaf at `lvl`. */
export function armV7sPaddrToIopte(paddr: number, lvl: ArmV7sLevel, mtkEnabled: boolean): number {
  const pte = ((paddr >>> 0) & armV7sLvlMask(lvl)) >>> 0;
  return mtkEnabled ? toMtkIopte(paddr, pte) : pte;
}

/** `iopte_to_paddr`: table address, supersection/large-page base or section/page base. */
export function armV7sIopteToPaddr(pte: number, lvl: ArmV7sLevel, mtkEnabled: boolean): number {
  let mask: number;
  if (armV7sPteIsTable(pte, lvl)) mask = ARM_V7S_TABLE_MASK;
  else if (armV7sPteIsCont(pte, lvl))
    mask = lvl === 1 ? ARM_V7S_LVL1_CONT_MASK : ARM_V7S_LVL2_CONT_MASK;
  else mask = armV7sLvlMask(lvl);
  const low = (pte & mask) >>> 0;
  if (!mtkEnabled) return low;
  let high = 0;
  if ((pte & ARM_V7S_ATTR_MTK_PA_BIT32) !== 0) high |= 1;
  if ((pte & ARM_V7S_ATTR_MTK_PA_BIT33) !== 0) high |= 2;
  if ((pte & ARM_V7S_ATTR_MTK_PA_BIT34) !== 0) high |= 4;
  return high * TWO_POW_32 + low;
}

/** `arm_v7s_prot_to_pte`: the attribute and type bits of a leaf at `lvl` (no address). */
export function armV7sProtToPte(prot: number, lvl: ArmV7sLevel, quirks: number): number {
  const ap = (quirks & IO_PGTABLE_QUIRK_NO_PERMS) === 0;
  let pte = ARM_V7S_ATTR_NG | ARM_V7S_ATTR_S;
  if ((prot & IOMMU_MMIO) === 0) pte |= (1 & ARM_V7S_TEX_MASK) << ARM_V7S_TEX_SHIFT;
  if (ap) {
    pte |= ARM_V7S_PTE_AF;
    if ((prot & IOMMU_PRIV) === 0) pte |= ARM_V7S_PTE_AP_UNPRIV;
    if ((prot & IOMMU_WRITE) === 0) pte |= ARM_V7S_PTE_AP_RDONLY;
  }
  pte <<= armV7sAttrShift(lvl);
  if ((prot & IOMMU_NOEXEC) !== 0 && ap) pte |= armV7sAttrXn(lvl);
  if ((prot & IOMMU_MMIO) !== 0) pte |= ARM_V7S_ATTR_B;
  else if ((prot & IOMMU_CACHE) !== 0) pte |= ARM_V7S_ATTR_B | ARM_V7S_ATTR_C;
  pte |= ARM_V7S_PTE_TYPE_PAGE;
  if (lvl === 1 && (quirks & IO_PGTABLE_QUIRK_ARM_NS) !== 0) pte |= ARM_V7S_ATTR_NS_SECTION;
  return pte >>> 0;
}

/**
 * `arm_v7s_pte_to_prot` of [V7S-old] (used only by the opt-in block split): the prot a leaf was
 * made from, as far as the bits tell.
 */
export function armV7sPteToProt(pte: number, lvl: ArmV7sLevel): number {
  let prot = IOMMU_READ;
  const attr = pte >>> armV7sAttrShift(lvl);
  if ((attr & ARM_V7S_PTE_AP_RDONLY) === 0) prot |= IOMMU_WRITE;
  if ((attr & ARM_V7S_PTE_AP_UNPRIV) === 0) prot |= IOMMU_PRIV;
  if ((attr & (ARM_V7S_TEX_MASK << ARM_V7S_TEX_SHIFT)) === 0) prot |= IOMMU_MMIO;
  else if ((pte & ARM_V7S_ATTR_C) !== 0) prot |= IOMMU_CACHE;
  if ((pte & armV7sAttrXn(lvl)) !== 0) prot |= IOMMU_NOEXEC;
  return prot;
}

/** `arm_v7s_pte_to_cont`: section → supersection, small page → large page. */
export function armV7sPteToCont(pte: number, lvl: ArmV7sLevel): number {
  if (lvl === 1) return (pte | ARM_V7S_CONT_SECTION) >>> 0;
  const xn = pte & ARM_V7S_ATTR_XN_LVL2;
  const tex = pte & ARM_V7S_CONT_PAGE_TEX_MASK;
  let out = pte ^ (xn | tex | ARM_V7S_PTE_TYPE_PAGE);
  out |=
    (xn << ARM_V7S_CONT_PAGE_XN_SHIFT) |
    (tex << ARM_V7S_CONT_PAGE_TEX_SHIFT) |
    ARM_V7S_PTE_TYPE_CONT_PAGE;
  return out >>> 0;
}

/** `arm_v7s_cont_to_pte` of [V7S-old]: the inverse of {@link armV7sPteToCont}. */
export function armV7sContToPte(pte: number, lvl: ArmV7sLevel): number {
  if (lvl === 1) return (pte & ~ARM_V7S_CONT_SECTION) >>> 0;
  const xn = pte & (1 << ARM_V7S_CONT_PAGE_XN_SHIFT);
  const tex = pte & (ARM_V7S_CONT_PAGE_TEX_MASK << ARM_V7S_CONT_PAGE_TEX_SHIFT);
  let out = pte ^ (xn | tex | ARM_V7S_PTE_TYPE_CONT_PAGE);
  out |=
    (xn >>> ARM_V7S_CONT_PAGE_XN_SHIFT) |
    (tex >>> ARM_V7S_CONT_PAGE_TEX_SHIFT) |
    ARM_V7S_PTE_TYPE_PAGE;
  return out >>> 0;
}
