import { hexU64 } from '../hex-u64';
import type { IommuIotlbGather } from '../iotlb-gather';
import { iopteLeaf, iopteToPaddr } from './descriptor';
import { armLpaeFreePgtable } from './free';
import type { ArmLpaeIoPgtable } from './pgtable';
import { armLpaeSplitBlkUnmap } from './split';

/**
 * `arm_lpae_unmap_pages` (v6.16): returns 0, with a WARN, for a pgsize outside the bitmap,
 * a zero pgcount or an iova outside ias; otherwise the bytes unmapped (at most one table's
 * worth).
 */
export function armLpaeUnmapPages(
  data: ArmLpaeIoPgtable,
  iova: number,
  pgsize: number,
  pgcount: number,
  gather: IommuIotlbGather | null,
): number {
  if (!data.pgsizeSupported(pgsize) || !(pgcount > 0) || !Number.isSafeInteger(pgcount)) {
    data.warn(
      `WARN_ON(!pgsize || (pgsize & pgsize_bitmap) != pgsize || !pgcount): unmap pgsize ${pgsize} pgcount ${pgcount}`,
    );
    return 0;
  }
  if (!data.iovaInRange(iova) || !Number.isInteger(iova)) {
    data.warn(`WARN_ON(iaext): unmap iova ${hexU64(iova)}`);
    return 0;
  }
  const first = data.walkStart(iova, pgsize);
  return armLpaeUnmapLevel(data, gather, iova, pgsize, pgcount, first, data.walkTable(first));
}

/**
 * `__arm_lpae_unmap` from `level` in the table at `table`. An empty entry on the way WARNs
 * and returns 0 (v6.16 returned -ENOENT as a size_t; the fix returns 0). At the level whose
 * block size is `size`, clears up to one table's worth of entries, freeing sub-tables with a
 * walk flush each, and reports every cleared entry to a non-queued gather. A leaf above that
 * level is a partial unmap of a block: WARN_ONCE and 0, or a split with the opt-in option.
 */
export function armLpaeUnmapLevel(
  data: ArmLpaeIoPgtable,
  gather: IommuIotlbGather | null,
  iova: number,
  size: number,
  pgcount: number,
  startLevel: number,
  startTable: number,
): number {
  const cpu = data.cpu;
  let table = startTable;
  for (let level = startLevel; ; level++) {
    if (level === 4) {
      // ARM_LPAE_MAX_LEVELS, a literal on the hot path (module constants are reloaded).
      data.warn('WARN_ON(lvl == ARM_LPAE_MAX_LEVELS): ran out of page table');
      return 0;
    }
    const index = data.index(iova, level);
    const ptep = table + index * 8;
    const lo = cpu.read32(ptep);
    const hi = cpu.read32(ptep + 4);
    if (lo === 0 && hi === 0) {
      if (!data.noWarn) data.warn(`WARN_ON: unmap of unmapped iova ${hexU64(iova)}`);
      return 0;
    }
    if (size === data.blockSize[level]) {
      data.remember(iova, level, table);
      return clearEntries(data, gather, iova, size, pgcount, level, ptep, index, lo, hi);
    }
    if (iopteLeaf(lo, level, data.mali)) {
      if (data.splitBlockOnPartialUnmap) {
        return armLpaeSplitBlkUnmap(data, gather, iova, size, lo, hi, level + 1, ptep, pgcount);
      }
      if (!data.partialUnmapWarned) {
        data.partialUnmapWarned = true;
        data.warn('WARN_ONCE: Unmap of a partial large IOPTE is not allowed');
      }
      return 0;
    }
    table = iopteToPaddr(lo, hi, data.granule64k);
  }
}

function clearEntries(
  data: ArmLpaeIoPgtable,
  gather: IommuIotlbGather | null,
  iova: number,
  size: number,
  pgcount: number,
  level: number,
  ptep: number,
  index: number,
  firstLo: number,
  firstHi: number,
): number {
  const cpu = data.cpu;
  const num = Math.min(pgcount, data.maxEntries(index));
  let i = 0;
  for (; i < num; i++) {
    const at = ptep + i * 8;
    // The first entry was just read by the caller (Linux reads it twice).
    const lo = i === 0 ? firstLo : cpu.read32(at);
    const hi = i === 0 ? firstHi : cpu.read32(at + 4);
    if (lo === 0 && hi === 0) {
      if (!data.noWarn) data.warn(`WARN_ON: unmap of unmapped iova ${hexU64(iova + i * size)}`);
      break;
    }
    if (!iopteLeaf(lo, level, data.mali)) {
      cpu.write32(at, 0);
      cpu.write32(at + 4, 0);
      data.tables.sync(at, 1);
      const tlb = data.tlb;
      if (tlb !== null) tlb.tlbFlushWalk(iova + i * size, size, data.granule, data.cookie);
      armLpaeFreePgtable(data, level + 1, iopteToPaddr(lo, hi, data.granule64k));
    }
  }
  for (let j = 0; j < i; j++) {
    cpu.write32(ptep + j * 8, 0);
    cpu.write32(ptep + j * 8 + 4, 0);
  }
  data.tables.sync(ptep, i);
  if (gather !== null && !gather.queued) {
    const tlb = data.tlb;
    if (tlb !== null && tlb.tlbAddPage !== undefined) {
      for (let j = 0; j < i; j++) tlb.tlbAddPage(gather, iova + j * size, size, data.cookie);
    }
  }
  return i * size;
}
