/**
 * ARMv7 short-descriptor constants, as drivers/iommu/io-pgtable-arm-v7s.c (v6.13) defines them.
 * Every value is an unsigned 32-bit number; descriptors are u32.
 */

/** Input bits resolved at level 1 start at bit 20 (1 MiB sections), level 2 at bit 12. */
export const ARM_V7S_LVL1_SHIFT = 20;
export const ARM_V7S_LVL2_SHIFT = 12;
/** Level-2 table address field: bits [31:10] of a level-1 table descriptor. */
export const ARM_V7S_TABLE_SHIFT = 10;
export const ARM_V7S_TABLE_MASK = 0xffff_fc00;
/** `ARM_V7S_LVL_MASK(1)` and `(2)`. */
export const ARM_V7S_LVL1_MASK = 0xfff0_0000;
export const ARM_V7S_LVL2_MASK = 0xffff_f000;
/** `ARM_V7S_LVL_MASK(lvl) * ARM_V7S_CONT_PAGES`, truncated to u32 as the C does. */
export const ARM_V7S_LVL1_CONT_MASK = 0xff00_0000;
export const ARM_V7S_LVL2_CONT_MASK = 0xffff_0000;
/** Level-2 tables always hold 256 entries (1 KiB). */
export const ARM_V7S_LVL2_ENTRIES = 256;
export const ARM_V7S_LVL2_TABLE_SIZE = 1024;
/** Supersections and large pages are one entry repeated this many times. */
export const ARM_V7S_CONT_PAGES = 16;
export const ARM_V7S_ADDR_BITS = 32;

/** Descriptor type bits [1:0]. */
export const ARM_V7S_PTE_TYPE_TABLE = 0x1;
export const ARM_V7S_PTE_TYPE_PAGE = 0x2;
export const ARM_V7S_PTE_TYPE_CONT_PAGE = 0x1;

/** Unshifted bits. XN is bit 4 at level 1 and bit 0 at level 2 (`BIT(4 * (2 - lvl))`). */
export const ARM_V7S_ATTR_XN_LVL1 = 1 << 4;
export const ARM_V7S_ATTR_XN_LVL2 = 1 << 0;
export const ARM_V7S_ATTR_B = 1 << 2;
export const ARM_V7S_ATTR_C = 1 << 3;
export const ARM_V7S_ATTR_NS_TABLE = 1 << 3;
export const ARM_V7S_ATTR_NS_SECTION = 1 << 19;
export const ARM_V7S_CONT_SECTION = 1 << 18;
export const ARM_V7S_CONT_PAGE_XN_SHIFT = 15;
export const ARM_V7S_CONT_PAGE_XN = 1 << 15;

/** The 8-bit attribute block sits at bit 10 (level 1) or bit 4 (level 2): `16 - 6 * lvl`. */
export const ARM_V7S_ATTR_SHIFT_LVL1 = 10;
export const ARM_V7S_ATTR_SHIFT_LVL2 = 4;
export const ARM_V7S_ATTR_AP0 = 1 << 0;
export const ARM_V7S_ATTR_AP1 = 1 << 1;
export const ARM_V7S_ATTR_AP2 = 1 << 5;
export const ARM_V7S_ATTR_S = 1 << 6;
export const ARM_V7S_ATTR_NG = 1 << 7;
export const ARM_V7S_TEX_SHIFT = 2;
export const ARM_V7S_TEX_MASK = 0x7;
/** Simplified access permissions: AP0 is the access flag, AP1 unprivileged, AP2 read-only. */
export const ARM_V7S_PTE_AF = ARM_V7S_ATTR_AP0;
export const ARM_V7S_PTE_AP_UNPRIV = ARM_V7S_ATTR_AP1;
export const ARM_V7S_PTE_AP_RDONLY = ARM_V7S_ATTR_AP2;

/** Level-2 large pages keep TEX at [14:12] instead of [8:6]. */
export const ARM_V7S_CONT_PAGE_TEX_SHIFT = 6;
export const ARM_V7S_CONT_PAGE_TEX_MASK = ARM_V7S_TEX_MASK << ARM_V7S_CONT_PAGE_TEX_SHIFT;

/** MediaTek: PA bits 32, 33 and 34 live in descriptor bits 9, 4 and 5. */
export const ARM_V7S_ATTR_MTK_PA_BIT32 = 1 << 9;
export const ARM_V7S_ATTR_MTK_PA_BIT33 = 1 << 4;
export const ARM_V7S_ATTR_MTK_PA_BIT34 = 1 << 5;

/** Register fields. */
export const ARM_V7S_RGN_NC = 0;
export const ARM_V7S_RGN_WBWA = 1;
export const ARM_V7S_PRRR_TYPE_DEVICE = 1;
export const ARM_V7S_PRRR_TYPE_NORMAL = 2;
export const ARM_V7S_PRRR_DS0 = 1 << 16;
export const ARM_V7S_PRRR_DS1 = 1 << 17;
export const ARM_V7S_PRRR_NS0 = 1 << 18;
export const ARM_V7S_PRRR_NS1 = 1 << 19;
export const ARM_V7S_TTBR_S = 1 << 1;
export const ARM_V7S_TTBR_NOS = 1 << 5;

/** `ARM_V7S_PRRR_TR(n, type)`. */
export function armV7sPrrrTr(n: number, type: number): number {
  return ((type & 0x3) << (n * 2)) >>> 0;
}

/** `ARM_V7S_PRRR_NOS(n)`. */
export function armV7sPrrrNos(n: number): number {
  return (1 << (n + 24)) >>> 0;
}

/** `ARM_V7S_NMRR_IR(n, attr)`. */
export function armV7sNmrrIr(n: number, attr: number): number {
  return ((attr & 0x3) << (n * 2)) >>> 0;
}

/** `ARM_V7S_NMRR_OR(n, attr)`. */
export function armV7sNmrrOr(n: number, attr: number): number {
  return ((attr & 0x3) << (n * 2 + 16)) >>> 0;
}

/** `ARM_V7S_TTBR_ORGN_ATTR(attr)`. */
export function armV7sTtbrOrgnAttr(attr: number): number {
  return (attr & 0x3) << 3;
}

/** `ARM_V7S_TTBR_IRGN_ATTR(attr)`: IRGN[0] is TTBR bit 6, IRGN[1] is bit 0. */
export function armV7sTtbrIrgnAttr(attr: number): number {
  return ((attr & 0x1) << 6) | ((attr & 0x2) >> 1);
}

/** The WARN source every v7s warning is recorded under. */
export const ARM_V7S_WARN_SOURCE = 'io-pgtable-arm-v7s';
/** Owner tag of every page the v7s tables use. */
export const ARM_V7S_OWNER = 'io-pgtable-arm-v7s';
