import { SocmemError } from '@socmem/hw-sim';
import { IO_PGTABLE_QUIRK_ARM_NS } from '../io-pgtable';
import type { IommuIotlbGather } from '../iotlb-gather';
import {
  ARM_LPAE_MAX_LEVELS,
  ARM_LPAE_PTE_ATTR_HI_MASK,
  ARM_LPAE_PTE_ATTR_LO_MASK,
  ARM_LPAE_PTE_NSTABLE_HI,
  ARM_LPAE_PTE_SW_SYNC_HI,
  ARM_LPAE_PTE_TYPE_BLOCK,
  ARM_LPAE_PTE_TYPE_PAGE,
  ARM_LPAE_PTE_TYPE_TABLE,
} from './constants';
import { iopteToPaddr, paddrToIopteHi, paddrToIopteLo } from './descriptor';
import type { ArmLpaeIoPgtable } from './pgtable';
import { armLpaeUnmapLevel } from './unmap';

/**
 * Opt-in pre-v6.12 behaviour (`cfg.splitBlockOnPartialUnmap`): `arm_lpae_split_blk_unmap`
 * of Linux ≤ v6.11, removed by 33729a5fc0ca "iommu/io-pgtable-arm: Remove split on unmap
 * behavior" because replacing a live block with a table is not hitless on SMMUv3.
 *
 * Builds a level-`level` table mapping the block `blkLo/blkHi` minus the unmapped part,
 * installs it in place of the block (no TLB invalidation of the block, as Linux did), and
 * reports the removed pages with tlbAddPage. When `size` is smaller than one entry of the new
 * table, the new table holds blocks and the unmap recurses into it (a second split).
 * Returns 0 when the table cannot be allocated.
 */
export function armLpaeSplitBlkUnmap(
  data: ArmLpaeIoPgtable,
  gather: IommuIotlbGather | null,
  iova: number,
  size: number,
  blkLo: number,
  blkHi: number,
  level: number,
  ptep: number,
  pgcount: number,
): number {
  if (level === ARM_LPAE_MAX_LEVELS) {
    data.warn('WARN_ON(lvl == ARM_LPAE_MAX_LEVELS): cannot split below level 3');
    return 0;
  }
  const cpu = data.cpu;
  let table: number;
  try {
    table = data.tables.alloc(data.granule);
  } catch (error) {
    if (SocmemError.isInstance(error, 'ENOMEM')) return 0;
    throw error;
  }
  const splitSize = data.blockSize[level]!;
  const ptesPerTable = data.ptesPerTable;
  let unmapIdxStart = -1;
  let numEntries = 0;
  if (size === splitSize) {
    unmapIdxStart = data.index(iova, level);
    numEntries = Math.min(pgcount, ptesPerTable - unmapIdxStart);
  }
  // iopte_prot(): attributes [11:2], XN and DBM; the type comes from the new level.
  const type = !data.mali && level === 3 ? ARM_LPAE_PTE_TYPE_PAGE : ARM_LPAE_PTE_TYPE_BLOCK;
  const protLo = (blkLo & ARM_LPAE_PTE_ATTR_LO_MASK) | type;
  const protHi = blkHi & ARM_LPAE_PTE_ATTR_HI_MASK;
  let blkPaddr = iopteToPaddr(blkLo, blkHi, data.granule64k);
  for (let i = 0; i < ptesPerTable; i++, blkPaddr += splitSize) {
    if (i >= unmapIdxStart && i < unmapIdxStart + numEntries) continue;
    const at = table + i * 8;
    cpu.write32(at, (protLo | paddrToIopteLo(blkPaddr)) >>> 0);
    cpu.write32(at + 4, (protHi | paddrToIopteHi(blkPaddr)) >>> 0);
    data.tables.sync(at, 1);
  }
  // arm_lpae_install_table(tablep, ptep, blk_pte): single-threaded, so the cmpxchg succeeds.
  const lo = (paddrToIopteLo(table) | ARM_LPAE_PTE_TYPE_TABLE) >>> 0;
  let hi = paddrToIopteHi(table);
  if ((data.quirks & IO_PGTABLE_QUIRK_ARM_NS) !== 0) hi = (hi | ARM_LPAE_PTE_NSTABLE_HI) >>> 0;
  cpu.write32(ptep, lo);
  cpu.write32(ptep + 4, hi);
  if (!data.coherentWalk) {
    data.tables.sync(ptep, 1);
    cpu.write32(ptep + 4, (hi | ARM_LPAE_PTE_SW_SYNC_HI) >>> 0);
  }
  if (unmapIdxStart >= 0) {
    // v6.11 called io_pgtable_tlb_add_page here for every removed page without testing the
    // gather (neither NULL nor queued), so a null gather still reaches the callback.
    const tlb = data.tlb;
    if (tlb !== null && tlb.tlbAddPage !== undefined) {
      for (let i = 0; i < numEntries; i++)
        tlb.tlbAddPage(gather, iova + i * size, size, data.cookie);
    }
    return numEntries * size;
  }
  return armLpaeUnmapLevel(data, gather, iova, size, pgcount, level, table);
}
