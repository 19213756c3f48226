import { iopteLeaf, iopteTable, iopteToPaddr } from './descriptor';
import type { ArmLpaeIoPgtable } from './pgtable';

const TWO_POW_32 = 0x1_0000_0000;

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
      if (blockSize <= TWO_POW_32) {
        const offset = (iova >>> 0) & (blockSize - 1);
        return pa - (pa >>> 0) + ((pa | offset) >>> 0);
      }
      // Blocks above 4 GiB (64K granule, 4 TiB): combine the halves separately.
      const maskHi = blockSize / TWO_POW_32 - 1;
      const paHi = Math.floor(pa / TWO_POW_32);
      const ivHi = Math.floor(iova / TWO_POW_32);
      return ((paHi | (ivHi & maskHi)) >>> 0) * TWO_POW_32 + (((pa >>> 0) | (iova >>> 0)) >>> 0);
    }
    if (!iopteTable(lo, level)) return 0;
    table = iopteToPaddr(lo, hi, data.granule64k);
  }
  return 0;
}
