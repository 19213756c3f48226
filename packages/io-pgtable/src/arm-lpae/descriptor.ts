/**
 * Output-address encoding of LPAE descriptors on u32 halves: `paddr_to_iopte` and
 * `iopte_to_paddr` of io-pgtable-arm.c. With a 64K granule and 52-bit output, PA[51:48] is
 * stored in descriptor bits [15:12] (reference §2.1).
 */
import {
  ARM_LPAE_PTE_ADDR_MASK_HI,
  ARM_LPAE_PTE_ADDR_MASK_LO,
  ARM_LPAE_PTE_TYPE_MASK,
} from './constants';

const TWO_POW_32 = 0x1_0000_0000;

/** Low half of `paddr_to_iopte(pa)`: (pa | pa >> 36) & GENMASK(47, 12), bits 31:0. */
export function paddrToIopteLo(pa: number): number {
  const hi = Math.floor(pa / TWO_POW_32);
  return ((pa | ((hi >>> 4) & 0xf000)) & ARM_LPAE_PTE_ADDR_MASK_LO) >>> 0;
}

/** High half of `paddr_to_iopte(pa)`: bits 47:32 of pa. */
export function paddrToIopteHi(pa: number): number {
  return Math.floor(pa / TWO_POW_32) & ARM_LPAE_PTE_ADDR_MASK_HI;
}

/** `iopte_to_paddr(pte)`: the output address of a table or leaf descriptor. */
export function iopteToPaddr(lo: number, hi: number, granule64k: boolean): number {
  if (!granule64k) {
    return (hi & ARM_LPAE_PTE_ADDR_MASK_HI) * TWO_POW_32 + ((lo & ARM_LPAE_PTE_ADDR_MASK_LO) >>> 0);
  }
  // Rotate the packed PA[51:48] back from bits [15:12]; mask GENMASK(51, 16).
  const paHi = (hi & ARM_LPAE_PTE_ADDR_MASK_HI) | ((lo & 0xf000) << 4);
  return paHi * TWO_POW_32 + ((lo & 0xffff0000) >>> 0);
}

/** `iopte_type(pte)`: bits [1:0]. */
export function iopteType(lo: number): number {
  return lo & ARM_LPAE_PTE_TYPE_MASK;
}

/** `iopte_leaf(pte, lvl, fmt)`: a page at level 3 (a block for Mali), a block above. */
export function iopteLeaf(lo: number, level: number, mali: boolean): boolean {
  if (level === 3 && !mali) return (lo & ARM_LPAE_PTE_TYPE_MASK) === 3;
  return (lo & ARM_LPAE_PTE_TYPE_MASK) === 1;
}

/** `iopte_table(pte, lvl)`: a table descriptor, never at level 3. */
export function iopteTable(lo: number, level: number): boolean {
  return level !== 3 && (lo & ARM_LPAE_PTE_TYPE_MASK) === 3;
}
