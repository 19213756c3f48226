/**
 * LPAE descriptor and register constants of Linux v6.16 drivers/iommu/io-pgtable-arm.c and
 * io-pgtable-arm.h, split into the low (`_LO`, bits 31:0) and high (`_HI`, bits 63:32) u32
 * halves the hot paths work on. Reference: shared/reference/io-pgtable.md §2.1.
 */

/** ARM_LPAE_MAX_LEVELS: levels 0..3. */
export const ARM_LPAE_MAX_LEVELS = 4;
/** ARM_LPAE_MAX_ADDR_BITS. */
export const ARM_LPAE_MAX_ADDR_BITS = 52;
/** ARM_LPAE_S2_MAX_CONCAT_PAGES. */
export const ARM_LPAE_S2_MAX_CONCAT_PAGES = 16;

// Descriptor type, bits [1:0].
export const ARM_LPAE_PTE_TYPE_MASK = 0x3;
export const ARM_LPAE_PTE_TYPE_BLOCK = 1;
export const ARM_LPAE_PTE_TYPE_TABLE = 3;
export const ARM_LPAE_PTE_TYPE_PAGE = 3;

/** ARM_LPAE_PTE_ADDR_MASK = GENMASK_ULL(47, 12), as halves. */
export const ARM_LPAE_PTE_ADDR_MASK_LO = 0xfffff000;
export const ARM_LPAE_PTE_ADDR_MASK_HI = 0x0000ffff;

// Low-half attribute bits.
export const ARM_LPAE_PTE_NS_LO = 1 << 5;
export const ARM_LPAE_PTE_AP_UNPRIV_LO = 1 << 6;
export const ARM_LPAE_PTE_AP_RDONLY_LO = 1 << 7;
export const ARM_LPAE_PTE_SH_OS_LO = 2 << 8;
export const ARM_LPAE_PTE_SH_IS_LO = 3 << 8;
export const ARM_LPAE_PTE_AF_LO = 1 << 10;
export const ARM_LPAE_PTE_NG_LO = 1 << 11;
export const ARM_LPAE_PTE_HAP_READ_LO = 1 << 6;
export const ARM_LPAE_PTE_HAP_WRITE_LO = 2 << 6;
export const ARM_LPAE_PTE_ATTRINDX_SHIFT = 2;
export const ARM_LPAE_PTE_MEMATTR_OIWB_LO = 0xf << 2;
export const ARM_LPAE_PTE_MEMATTR_NC_LO = 0x5 << 2;
export const ARM_LPAE_PTE_MEMATTR_DEV_LO = 0x1 << 2;
export const ARM_LPAE_PTE_MEMATTR_FWB_WB_LO = 0x6 << 2;
/** ARM_LPAE_PTE_ATTR_LO_MASK: bits [11:2], kept by iopte_prot when a block is split. */
export const ARM_LPAE_PTE_ATTR_LO_MASK = 0x3ff << 2;

// High-half bits (bit n of the descriptor is bit n - 32 of the high half).
/** Bit 51, dirty-bit modifier (ARM_HD quirk). */
export const ARM_LPAE_PTE_DBM_HI = 1 << 19;
/** Bits 54:53, UXN/PXN at stage 1, XN[1:0] at stage 2. */
export const ARM_LPAE_PTE_XN_HI = 3 << 21;
/** Bit 55, software bit marking a table descriptor that was already cleaned to memory. */
export const ARM_LPAE_PTE_SW_SYNC_HI = 1 << 23;
/** Bit 63, NSTable. */
export const ARM_LPAE_PTE_NSTABLE_HI = 0x8000_0000;
/** ARM_LPAE_PTE_ATTR_HI_MASK = XN | DBM (the contiguous bit is ignored when splitting). */
export const ARM_LPAE_PTE_ATTR_HI_MASK = ARM_LPAE_PTE_XN_HI | ARM_LPAE_PTE_DBM_HI;

// MAIR attribute indices and encodings.
export const ARM_LPAE_MAIR_ATTR_IDX_NC = 0;
export const ARM_LPAE_MAIR_ATTR_IDX_CACHE = 1;
export const ARM_LPAE_MAIR_ATTR_IDX_DEV = 2;
export const ARM_LPAE_MAIR_ATTR_IDX_INC_OCACHE = 3;
export const ARM_LPAE_MAIR_ATTR_NC = 0x44;
export const ARM_LPAE_MAIR_ATTR_WBRWA = 0xff;
export const ARM_LPAE_MAIR_ATTR_DEVICE = 0x04;
export const ARM_LPAE_MAIR_ATTR_INC_OWBRWA = 0xf4;

// TCR field encodings (io-pgtable-arm.h).
export const ARM_LPAE_TCR_TG0_4K = 0;
export const ARM_LPAE_TCR_TG0_64K = 1;
export const ARM_LPAE_TCR_TG0_16K = 2;
export const ARM_LPAE_TCR_TG1_16K = 1;
export const ARM_LPAE_TCR_TG1_4K = 2;
export const ARM_LPAE_TCR_TG1_64K = 3;
export const ARM_LPAE_TCR_SH_NS = 0;
export const ARM_LPAE_TCR_SH_OS = 2;
export const ARM_LPAE_TCR_SH_IS = 3;
export const ARM_LPAE_TCR_RGN_NC = 0;
export const ARM_LPAE_TCR_RGN_WBWA = 1;
export const ARM_LPAE_TCR_RGN_WT = 2;
export const ARM_LPAE_TCR_RGN_WB = 3;
export const ARM_LPAE_VTCR_SL0_MASK = 0x3;

/** ARM_LPAE_TCR_PS_*_BIT: the IPS/PS encoding of each supported output size. */
export const ARM_LPAE_TCR_PS_BY_BITS: Readonly<Record<number, number>> = {
  32: 0,
  36: 1,
  40: 2,
  42: 3,
  44: 4,
  48: 5,
  52: 6,
};

// Mali (ARM_MALI_LPAE_*).
export const ARM_MALI_LPAE_TTBR_ADRMODE_TABLE = 3;
export const ARM_MALI_LPAE_TTBR_READ_INNER = 1 << 2;
export const ARM_MALI_LPAE_TTBR_SHARE_OUTER = 1 << 4;
export const ARM_MALI_LPAE_MEMATTR_IMP_DEF = 0x88;
export const ARM_MALI_LPAE_MEMATTR_WRITE_ALLOC = 0x8d;

/** Source name of WARN diagnostics, as the kernel's pr_fmt "arm-lpae io-pgtable". */
export const ARM_LPAE_WARN_SOURCE = 'io-pgtable-arm';
/** Owner tag of table pages in the page allocator's leak report. */
export const ARM_LPAE_PAGE_OWNER = 'io-pgtable-arm';
