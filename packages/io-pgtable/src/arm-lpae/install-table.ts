import {
  ARM_LPAE_PTE_NSTABLE_HI,
  ARM_LPAE_PTE_SW_SYNC_HI,
  ARM_LPAE_PTE_TYPE_TABLE,
} from './constants';
import { paddrToIopteHi, paddrToIopteLo } from './descriptor';
import type { ArmLpaeIoPgtable } from './pgtable';

/**
 * `arm_lpae_install_table`: points the entry at `ptep` to the next-level table at `table`
 * (NSTable set with ARM_NS). Single-threaded, so Linux's cmpxchg always succeeds. For a
 * non-coherent walker the new descriptor is cleaned to memory, then marked with the software
 * bit SW_SYNC so that later walks through it know it needs no further clean.
 */
export function armLpaeInstallTable(data: ArmLpaeIoPgtable, ptep: number, table: number): void {
  const lo = (paddrToIopteLo(table) | ARM_LPAE_PTE_TYPE_TABLE) >>> 0;
  let hi = paddrToIopteHi(table);
  if (data.nsTables) hi = (hi | ARM_LPAE_PTE_NSTABLE_HI) >>> 0;
  const cpu = data.cpu;
  cpu.write32(ptep, lo);
  cpu.write32(ptep + 4, hi);
  if (!data.coherentWalk) {
    data.tables.sync(ptep, 1);
    cpu.write32(ptep + 4, (hi | ARM_LPAE_PTE_SW_SYNC_HI) >>> 0);
  }
}
