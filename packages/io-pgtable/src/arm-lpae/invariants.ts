import { hex, InvariantError } from '@socmem/hw-sim';
import { ARM_LPAE_PTE_TYPE_MASK } from './constants';
import { iopteLeaf, iopteToPaddr } from './descriptor';
import type { ArmLpaeIoPgtable } from './pgtable';

/**
 * Structural checks of a set of LPAE tables, read back from RAM through the CPU: every table
 * is aligned to max(its size, 64); no level-3 entry has the reserved type 1 (0b11 for Mali);
 * no table is reachable twice; and the table pages the ops hold are exactly the reachable
 * ones (nothing leaked, nothing freed while still linked).
 */
export function armLpaeCheckInvariants(data: ArmLpaeIoPgtable): void {
  const seen = new Set<number>();
  let pages = 0;
  const visit = (level: number, table: number): void => {
    const size = data.tableSize(level);
    if (table % Math.max(size, 64) !== 0) {
      throw new InvariantError(
        'io-pgtable-arm',
        `level ${level} table at ${hex(table)} is not aligned to ${size} bytes`,
      );
    }
    if (seen.has(table))
      throw new InvariantError('io-pgtable-arm', `table ${hex(table)} is linked twice`);
    seen.add(table);
    pages += data.tables.pagesFor(size);
    for (let ptep = table; ptep < table + size; ptep += 8) {
      const lo = data.cpu.read32(ptep);
      const hi = data.cpu.read32(ptep + 4);
      if (lo === 0 && hi === 0) continue;
      if (level === 3) {
        const type = lo & ARM_LPAE_PTE_TYPE_MASK;
        if (!iopteLeaf(lo, 3, data.mali)) {
          throw new InvariantError(
            'io-pgtable-arm',
            `level 3 entry at ${hex(ptep)} has type ${type}, not a page`,
          );
        }
        continue;
      }
      if (!iopteLeaf(lo, level, data.mali)) visit(level + 1, iopteToPaddr(lo, hi, data.granule64k));
    }
  };
  if (!data.freed) visit(data.startLevel, data.pgdPa);
  if (pages !== data.tables.pagesHeld) {
    throw new InvariantError(
      'io-pgtable-arm',
      `${data.tables.pagesHeld} table pages held, ${pages} reachable`,
    );
  }
}
