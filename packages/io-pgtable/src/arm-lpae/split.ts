import { SocmemError } from '@socmem/hw-sim';
import type { IommuIotlbGather } from '../iotlb-gather';
import {
  ARM_LPAE_MAX_LEVELS,
  ARM_LPAE_PTE_ATTR_HI_MASK,
  ARM_LPAE_PTE_ATTR_LO_MASK,
} from './constants';
import { iopteLeafType, iopteToPaddr, paddrToIopteHi, paddrToIopteLo } from './descriptor';
import { armLpaeInstallTable } from './install-table';
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
  const protLo = (blkLo & ARM_LPAE_PTE_ATTR_LO_MASK) | iopteLeafType(level, data.mali);
  const protHi = blkHi & ARM_LPAE_PTE_ATTR_HI_MASK;
  let blkPaddr = iopteToPaddr(blkLo, blkHi, data.granule64k);
  for (let i = 0; i < ptesPerTable; i++, blkPaddr += splitSize) {
    if (i >= unmapIdxStart && i < unmapIdxStart + numEntries) continue;
    const at = table + i * 8;
    cpu.write32(at, (protLo | paddrToIopteLo(blkPaddr)) >>> 0);
    cpu.write32(at + 4, (protHi | paddrToIopteHi(blkPaddr)) >>> 0);
    data.tables.sync(at, 1);
  }
  armLpaeInstallTable(data, ptep, table);
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
