/**
 * Register map of the Samsung Exynos System MMU (v1-v3 layout), as Linux
 * drivers/iommu/exynos-iommu.c names it (REG_MMU_CTRL ... REG_MMU_VERSION).
 */
export const REG_MMU_CTRL = 0x000;
export const REG_MMU_CFG = 0x004;
export const REG_MMU_STATUS = 0x008;
export const REG_MMU_FLUSH = 0x00c;
export const REG_MMU_FLUSH_ENTRY = 0x010;
export const REG_PT_BASE_ADDR = 0x014;
export const REG_INT_STATUS = 0x018;
export const REG_INT_CLEAR = 0x01c;
export const REG_PAGE_FAULT_ADDR = 0x024;
export const REG_AW_FAULT_ADDR = 0x028;
export const REG_AR_FAULT_ADDR = 0x02c;
export const REG_DEFAULT_SLAVE_ADDR = 0x030;
export const REG_MMU_VERSION = 0x034;

/** CTRL values Linux writes: enable (bits 0 and 2), block (adds bit 1), disable. */
export const CTRL_ENABLE = 0x5;
export const CTRL_BLOCK = 0x7;
export const CTRL_DISABLE = 0x0;
/** CTRL bit 0: translation on; bit 1: block (hold every transaction). */
export const SYSMMU_CTRL_ENABLE_BIT = 1 << 0;
export const SYSMMU_CTRL_BLOCK_BIT = 1 << 1;
/** STATUS bit 0: the MMU is blocked (sysmmu_block() polls it). */
export const SYSMMU_STATUS_BLOCKED = 1 << 0;
/** FLUSH_ENTRY: (iova & ~0xfff) | 1 invalidates the entry of one 4 KiB page. */
export const SYSMMU_FLUSH_ENTRY_VALID = 1 << 0;

/** INT_STATUS / INT_CLEAR bit numbers (enum exynos_sysmmu_inttype, v1-v3). */
export const SYSMMU_PAGEFAULT = 0;
export const SYSMMU_AR_MULTIHIT = 1;
export const SYSMMU_AW_MULTIHIT = 2;
export const SYSMMU_BUSERROR = 3;
export const SYSMMU_AR_SECURITY = 4;
export const SYSMMU_AR_ACCESS = 5;
export const SYSMMU_AW_SECURITY = 6;
export const SYSMMU_AW_PROTECTION = 7;

/** MAKE_MMU_VER(maj, min) as the raw 11-bit version, placed at VERSION[31:21]. */
export function sysmmuVersionRegister(major: number, minor: number): number {
  return ((((major & 0xf) << 7) | (minor & 0x7f)) << 21) >>> 0;
}
