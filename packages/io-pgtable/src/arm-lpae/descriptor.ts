/**
 * Output-address encoding of LPAE descriptors on u32 halves: `paddr_to_iopte` and
 * `iopte_to_paddr` of io-pgtable-arm.c. With a 64K granule and 52-bit output, PA[51:48] is
 * stored in descriptor bits [15:12] (reference §2.1).
 *
 * These run several times per map, unmap and iovaToPhys, so they use literals rather than
 * the named constants of ./constants (V8 reloads a module constant on every access):
 * 0x1_0000_0000 is 2^32; 0xfffff000 and 0xffff are ARM_LPAE_PTE_ADDR_MASK (GENMASK_ULL(47, 12))
 * as halves; 3 is ARM_LPAE_PTE_TYPE_MASK and TYPE_TABLE/TYPE_PAGE; 1 is TYPE_BLOCK.
 */

/** Low half of `paddr_to_iopte(pa)`: (pa | pa >> 36) & GENMASK(47, 12), bits 31:0. */
export function paddrToIopteLo(pa: number): number {
  const hi = Math.floor(pa / 0x1_0000_0000);
  return ((pa | ((hi >>> 4) & 0xf000)) & 0xfffff000) >>> 0;
}

/** High half of `paddr_to_iopte(pa)`: bits 47:32 of pa. */
export function paddrToIopteHi(pa: number): number {
  return Math.floor(pa / 0x1_0000_0000) & 0xffff;
}

/** `iopte_to_paddr(pte)`: the output address of a table or leaf descriptor. */
export function iopteToPaddr(lo: number, hi: number, granule64k: boolean): number {
  if (!granule64k) return (hi & 0xffff) * 0x1_0000_0000 + ((lo & 0xfffff000) >>> 0);
  // Rotate the packed PA[51:48] back from bits [15:12]; mask GENMASK(51, 16).
  const paHi = (hi & 0xffff) | ((lo & 0xf000) << 4);
  return paHi * 0x1_0000_0000 + ((lo & 0xffff0000) >>> 0);
}

/** `iopte_leaf(pte, lvl, fmt)`: a page at level 3 (a block for Mali), a block above. */
export function iopteLeaf(lo: number, level: number, mali: boolean): boolean {
  if (level === 3 && !mali) return (lo & 3) === 3;
  return (lo & 3) === 1;
}

/** The type bits a new leaf at `level` gets: PAGE (0b11) at level 3, BLOCK (0b01) above and for Mali. */
export function iopteLeafType(level: number, mali: boolean): number {
  return level === 3 && !mali ? 3 : 1;
}

/** `iopte_table(pte, lvl)`: a table descriptor, never at level 3. */
export function iopteTable(lo: number, level: number): boolean {
  return level !== 3 && (lo & 3) === 3;
}
