import { hex } from '@socmem/hw-sim';
import { type IommuIotlbGather, iommuIotlbGatherQueued } from '../iotlb-gather';
import type { ArmV7sIoPgtable } from './arm-v7s-io-pgtable';
import { ARM_V7S_CONT_PAGES, ARM_V7S_LVL2_ENTRIES } from './constants';
import {
  type ArmV7sLevel,
  armV7sBlockSize,
  armV7sPteIsCont,
  armV7sPteIsTable,
  armV7sPteIsValid,
} from './pte';
import { armV7sSplitBlkUnmap, armV7sSplitCont } from './split';

/** `__arm_v7s_unmap`: returns the bytes unmapped, 0 on the conditions where Linux returns 0. */
export function armV7sUnmapOne(
  data: ArmV7sIoPgtable,
  gather: IommuIotlbGather | null,
  iova: number,
  size: number,
  lvl: number,
  table: number,
): number {
  if (lvl > 2) {
    data.warn(`unmap of iova ${hex(iova)} ran out of page table`);
    return 0;
  }
  const level = lvl as ArmV7sLevel;
  const numEntries = Math.floor(size / armV7sBlockSize(level));
  const idx = data.lvlIdx(iova, level);
  const ptep = table + idx * 4;
  const tableEntries = level === 1 ? data.l1Entries : ARM_V7S_LVL2_ENTRIES;
  const reads = Math.max(1, numEntries);
  if (reads > ARM_V7S_CONT_PAGES || idx + reads > tableEntries) {
    data.warn(`unmap of size ${hex(size)} at iova ${hex(iova)} spans more than one large entry`);
    return 0;
  }
  const pte = data.scratch;
  for (let i = 0; i < reads; i++) {
    pte[i] = data.readPte(ptep + i * 4);
    if (!armV7sPteIsValid(pte[i]!)) {
      data.warn(`unmap of iova ${hex(iova)}: entry not valid`);
      return 0;
    }
  }
  if (numEntries <= 1 && armV7sPteIsCont(pte[0]!, level)) {
    if (data.cfg.splitBlockOnPartialUnmap !== true) return warnPartialUnmap(data, iova, 0);
    pte[0] = armV7sSplitCont(data, iova, idx, level, table);
  }
  if (numEntries > 0) {
    const blockSize = armV7sBlockSize(level);
    data.setPte(ptep, 0, numEntries);
    let at = iova;
    for (let i = 0; i < numEntries; i++) {
      const old = pte[i]!;
      if (armV7sPteIsTable(old, level)) {
        // Also flush any partial walks.
        data.tlbFlushWalk(at, blockSize, armV7sBlockSize(2));
        data.tables.freeL2(data.iopteToPaddr(old, level));
      } else if (!iommuIotlbGatherQueued(gather)) {
        data.tlbAddPage(gather, at, blockSize);
      }
      at += blockSize;
    }
    return size;
  }
  if (level === 1 && !armV7sPteIsTable(pte[0]!, 1)) {
    if (data.cfg.splitBlockOnPartialUnmap !== true) return warnPartialUnmap(data, iova, 1);
    return armV7sSplitBlkUnmap(data, gather, iova, size, pte[0]!, ptep);
  }
  return armV7sUnmapOne(data, gather, iova, size, level + 1, data.iopteToPaddr(pte[0]!, level));
}

function warnPartialUnmap(data: ArmV7sIoPgtable, iova: number, site: 0 | 1): number {
  if (!data.warnedPartialUnmap[site]) {
    data.warnedPartialUnmap[site] = true;
    data.warn(`Unmap of a partial large IOPTE is not allowed (iova ${hex(iova)})`);
  }
  return 0;
}
