import { iopteLeaf, iopteTable, iopteToPaddr } from './descriptor';
import type { ArmLpaeIoPgtable } from './pgtable';

/**
 * `arm_lpae_iova_to_phys` (v6.16, walker based): 0 when the walk meets an entry that is
 * neither a leaf nor a table; otherwise the leaf's output address ORed (not added) with the
 * iova's offset inside the block. No ias check: indices are masked, so iovas alias.
 */
export function armLpaeIovaToPhys(data: ArmLpaeIoPgtable, iova: number): number {
  const cpu = data.cpu;
  const first = data.walkStart(iova, 1);
  let table = data.walkTable(first);
  for (let level = first; level < 4; level++) {
    const ptep = table + data.index(iova, level) * 8;
    const lo = cpu.read32(ptep);
    const hi = cpu.read32(ptep + 4);
    if (iopteLeaf(lo, level, data.mali)) {
      data.remember(iova, level, table);
      const pa = iopteToPaddr(lo, hi, data.granule64k);
      const blockSize = data.blockSize[level]!;
      // 0x1_0000_0000 is 2^32, written out because this is the hot path of every lookup.
      if (blockSize <= 0x1_0000_0000) {
        const offset = (iova >>> 0) & (blockSize - 1);
        return pa - (pa >>> 0) + ((pa | offset) >>> 0);
      }
      // Blocks above 4 GiB (64K granule, 4 TiB): combine the halves separately.
      const maskHi = blockSize / 0x1_0000_0000 - 1;
      const paHi = Math.floor(pa / 0x1_0000_0000);
      const ivHi = Math.floor(iova / 0x1_0000_0000);
      return ((paHi | (ivHi & maskHi)) >>> 0) * 0x1_0000_0000 + (((pa >>> 0) | (iova >>> 0)) >>> 0);
    }
    if (!iopteTable(lo, level)) return 0;
    table = iopteToPaddr(lo, hi, data.granule64k);
  }
  return 0;
}
