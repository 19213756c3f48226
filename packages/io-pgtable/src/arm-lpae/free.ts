import { iopteLeaf, iopteToPaddr } from './descriptor';
import type { ArmLpaeIoPgtable } from './pgtable';

/**
 * `__arm_lpae_free_pgtable`: frees the table at `table` (level `level`) and, above level 3,
 * every table its non-leaf entries point to, depth first.
 */
export function armLpaeFreePgtable(data: ArmLpaeIoPgtable, level: number, table: number): void {
  const size = data.tableSize(level);
  if (level < 3) {
    const cpu = data.cpu;
    for (let ptep = table; ptep < table + size; ptep += 8) {
      const lo = cpu.read32(ptep);
      const hi = cpu.read32(ptep + 4);
      if ((lo === 0 && hi === 0) || iopteLeaf(lo, level, data.mali)) continue;
      armLpaeFreePgtable(data, level + 1, iopteToPaddr(lo, hi, data.granule64k));
    }
  }
  data.tables.free(table, size);
}
