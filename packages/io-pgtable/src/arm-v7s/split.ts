/**
 * The pre-v6.13 split-on-partial-unmap behaviour of io-pgtable-arm-v7s ([V7S-old]:
 * `arm_v7s_split_cont` and `arm_v7s_split_blk_unmap`, as in v6.12), used only when
 * `cfg.splitBlockOnPartialUnmap` is true. Current Linux (commit fd50651636fb, "Remove split on
 * unmap behavior") WARNs and returns 0 instead.
 *
 * Two defects of the old C are fixed here rather than reproduced:
 * - `arm_v7s_split_blk_unmap` built the level-2 entries from the prot bits alone, so the new
 *   pages mapped physical address 0 onwards instead of the section's own output address; here
 *   each page keeps its place in the section.
 * - `arm_v7s_split_cont` returned the first of the 16 new entries, so a following section split
 *   compared against the wrong value and failed for any section but the first of a
 *   supersection; here it returns the entry actually at the unmapped index.
 */
import { SocmemError } from '@socmem/hw-sim';
import type { IommuIotlbGather } from '../iotlb-gather';
import type { ArmV7sIoPgtable } from './arm-v7s-io-pgtable';
import { ARM_V7S_CONT_PAGES, ARM_V7S_LVL2_ENTRIES } from './constants';
import { armV7sInstallTable } from './map';
import {
  type ArmV7sLevel,
  armV7sBlockSize,
  armV7sContToPte,
  armV7sPaddrToIopte,
  armV7sProtToPte,
  armV7sPteIsCont,
  armV7sPteIsTable,
  armV7sPteToCont,
  armV7sPteToProt,
} from './pte';
import { armV7sUnmapOne } from './unmap';

/**
 * `arm_v7s_split_cont`: rewrites the 16 copies of a supersection or large page as 16 sections or
 * small pages with consecutive addresses, then flushes the whole 16-entry range.
 */
export function armV7sSplitCont(
  data: ArmV7sIoPgtable,
  iova: number,
  idx: number,
  lvl: ArmV7sLevel,
  table: number,
): number {
  const size = armV7sBlockSize(lvl);
  const current = data.readPte(table + idx * 4);
  if (!armV7sPteIsCont(current, lvl)) return current;
  const first = table + (idx - (idx & (ARM_V7S_CONT_PAGES - 1))) * 4;
  const base = armV7sContToPte(current, lvl);
  const cpu = data.machine.cpu;
  for (let i = 0; i < ARM_V7S_CONT_PAGES; i++) cpu.write32(first + i * 4, (base + i * size) >>> 0);
  data.pteSync(first, ARM_V7S_CONT_PAGES);
  data.tlbFlushWalk(iova, size * ARM_V7S_CONT_PAGES, size * ARM_V7S_CONT_PAGES);
  return (base + (idx & (ARM_V7S_CONT_PAGES - 1)) * size) >>> 0;
}

/**
 * `arm_v7s_split_blk_unmap`: replaces a section by a level-2 table mapping the same memory minus
 * the `size` bytes at `iova`, and returns `size` (0 when the table cannot be allocated).
 */
export function armV7sSplitBlkUnmap(
  data: ArmV7sIoPgtable,
  gather: IommuIotlbGather | null,
  iova: number,
  size: number,
  blkPte: number,
  ptep: number,
): number {
  const pageSize = armV7sBlockSize(2);
  const numEntries = Math.floor(size / pageSize);
  const unmapIdx = data.lvlIdx(iova, 2);
  if (numEntries === 0 || unmapIdx % numEntries !== 0) return 0;
  let tablep: number;
  try {
    tablep = data.tables.allocL2();
  } catch (error) {
    if (SocmemError.isInstance(error, 'ENOMEM')) return 0;
    throw error;
  }
  const blockPa = data.iopteToPaddr(blkPte, 1);
  let attrs = armV7sProtToPte(armV7sPteToProt(blkPte, 1), 2, data.cfg.quirks);
  if (numEntries > 1) attrs = armV7sPteToCont(attrs, 2);
  for (let i = 0; i < ARM_V7S_LVL2_ENTRIES; i += numEntries) {
    if (i === unmapIdx) continue;
    const pa = blockPa + i * pageSize;
    data.setPte(
      tablep + i * 4,
      (attrs | armV7sPaddrToIopte(pa, 2, data.mtkEnabled)) >>> 0,
      numEntries,
    );
  }
  const current = data.readPte(ptep);
  if (current !== blkPte) {
    // The cmpxchg would fail: someone else changed the entry first.
    data.tables.freeL2(tablep);
    if (!armV7sPteIsTable(current, 1)) return 0;
    return armV7sUnmapOne(data, gather, iova, size, 2, data.iopteToPaddr(current, 1));
  }
  armV7sInstallTable(data, tablep, ptep);
  data.tlbAddPage(gather, iova, size);
  return size;
}
