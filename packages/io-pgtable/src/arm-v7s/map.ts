import { hex, SocmemError } from '@socmem/hw-sim';
import { IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT, IO_PGTABLE_QUIRK_ARM_NS } from '../io-pgtable';
import type { ArmV7sIoPgtable } from './arm-v7s-io-pgtable';
import { ARM_V7S_ATTR_NS_TABLE, ARM_V7S_LVL2_ENTRIES, ARM_V7S_PTE_TYPE_TABLE } from './constants';
import {
  type ArmV7sLevel,
  armV7sBlockSize,
  armV7sPaddrToIopte,
  armV7sProtToPte,
  armV7sPteIsTable,
  armV7sPteToCont,
  toMtkIopte,
} from './pte';
import { armV7sUnmapOne } from './unmap';

/** `__arm_v7s_map`. Throws SocmemError with Linux's errno. */
export function armV7sMapOne(
  data: ArmV7sIoPgtable,
  iova: number,
  paddr: number,
  size: number,
  prot: number,
  lvl: ArmV7sLevel,
  table: number,
): void {
  const numEntries = Math.floor(size / armV7sBlockSize(lvl));
  const idx = data.lvlIdx(iova, lvl);
  const ptep = table + idx * 4;
  if (numEntries > 0) {
    armV7sInitPte(data, iova, paddr, prot, lvl, numEntries, idx, table);
    return;
  }
  if (lvl === 2) {
    data.warn(`map of size ${hex(size)} reached level 2 without a leaf`);
    throw new SocmemError('EINVAL', `io-pgtable-arm-v7s: size ${hex(size)} cannot be mapped`);
  }
  let pte = data.readPte(ptep);
  if (pte === 0) {
    const child = data.tables.allocL2();
    pte = armV7sInstallTable(data, child, ptep);
  } else {
    data.pteSync(ptep, 1);
  }
  if (!armV7sPteIsTable(pte, lvl)) {
    data.warn(`map at iova ${hex(iova)}: a section is already mapped there`);
    throw new SocmemError('EEXIST', `io-pgtable-arm-v7s: iova ${hex(iova)} is already mapped`);
  }
  armV7sMapOne(data, iova, paddr, size, prot, 2, data.iopteToPaddr(pte, 1));
}

/** `arm_v7s_init_pte`. */
function armV7sInitPte(
  data: ArmV7sIoPgtable,
  iova: number,
  paddr: number,
  prot: number,
  lvl: ArmV7sLevel,
  numEntries: number,
  idx: number,
  table: number,
): void {
  const tableEntries = lvl === 1 ? data.l1Entries : ARM_V7S_LVL2_ENTRIES;
  if (idx + numEntries > tableEntries) {
    // Linux would write past the end of the table here; refuse instead.
    data.warn(`map of ${numEntries} entries at index ${idx} runs past the level-${lvl} table`);
    throw new SocmemError(
      'EINVAL',
      `io-pgtable-arm-v7s: ${numEntries} entries at index ${idx} overflow the table`,
    );
  }
  const ptep = table + idx * 4;
  const blockSize = armV7sBlockSize(lvl);
  // Linux checks slot by slot and may already have unmapped and freed earlier level-2 tables
  // (their pages gone) when it meets a valid entry and returns -EEXIST. All slots are checked
  // first here, so a refused map leaves every table and mapping as it was.
  for (let i = 0; i < numEntries; i++) {
    const old = data.readPte(ptep + i * 4);
    if (old !== 0 && !armV7sPteIsTable(old, lvl)) {
      // WARN_ON(!selftest_running) in Linux: an overlapping map is a caller bug.
      data.warn(`map at iova ${hex(iova)}: entry already valid (${hex(old)})`);
      throw new SocmemError(
        'EEXIST',
        `io-pgtable-arm-v7s: iova ${hex(iova + i * blockSize)} is already mapped`,
      );
    }
  }
  for (let i = 0; i < numEntries; i++) {
    if (!armV7sPteIsTable(data.readPte(ptep + i * 4), lvl)) continue;
    // Unmap and free the old table before a block entry overwrites it.
    if (armV7sUnmapOne(data, null, iova + i * blockSize, blockSize, lvl, table) !== blockSize) {
      data.warn(`failed to free the table under iova ${hex(iova + i * blockSize)}`);
      throw new SocmemError(
        'EINVAL',
        `io-pgtable-arm-v7s: cannot replace the table at ${hex(iova)}`,
      );
    }
  }
  let pte = armV7sProtToPte(prot, lvl, data.cfg.quirks);
  if (numEntries > 1) pte = armV7sPteToCont(pte, lvl);
  pte = (pte | armV7sPaddrToIopte(paddr, lvl, data.mtkEnabled)) >>> 0;
  data.setPte(ptep, pte, numEntries);
}

/** `arm_v7s_install_table`: returns the descriptor now in `ptep`. */
export function armV7sInstallTable(data: ArmV7sIoPgtable, child: number, ptep: number): number {
  let pte = ((child >>> 0) | ARM_V7S_PTE_TYPE_TABLE) >>> 0;
  if ((data.cfg.quirks & IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT) !== 0) pte = toMtkIopte(child, pte);
  if ((data.cfg.quirks & IO_PGTABLE_QUIRK_ARM_NS) !== 0) pte = (pte | ARM_V7S_ATTR_NS_TABLE) >>> 0;
  // Single-threaded: the cmpxchg against the value just read always succeeds.
  data.machine.cpu.write32(ptep, pte);
  data.pteSync(ptep, 1);
  return pte;
}
