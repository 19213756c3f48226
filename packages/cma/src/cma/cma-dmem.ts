import type { DmemCgroup } from '../dmem/dmem-cgroup';
import {
  dmemCgroupRegisterRegion,
  dmemCgroupTryCharge,
  dmemCgroupUncharge,
} from '../dmem/dmem-charge';
import type { DmemCgroupHierarchy } from '../dmem/dmem-hierarchy';
import type { DmemCgroupPool } from '../dmem/dmem-pool';
import type { DmemCgroupRegion } from '../dmem/dmem-region';
import type { Cma } from './cma';
import { cmaAlloc, cmaRelease } from './cma-alloc';

/** Who pays for a charged CMA allocation: a dmem region (one per area) and the task's cgroup. */
export interface CmaCharge {
  readonly region: DmemCgroupRegion;
  readonly cgroup: DmemCgroup;
}

/** A CMA allocation and the dmem pool it was charged to. */
export interface CmaChargedAllocation {
  readonly pfn: number;
  readonly count: number;
  readonly pool: DmemCgroupPool;
}

/**
 * Registers a dmem region for a CMA area, named "cma/<area>" and sized like the area, as the
 * 2026 "dma-buf: heaps: cma: register a dmem region for each cma heap" proposal does (not in
 * mainline Linux yet). Null for an empty area, as dmem_cgroup_register_region returns.
 */
export function cmaRegisterDmemRegion(
  cma: Cma,
  hierarchy: DmemCgroupHierarchy,
): DmemCgroupRegion | null {
  return dmemCgroupRegisterRegion(hierarchy, cma.size, `cma/${cma.name.trim()}`);
}

/**
 * A CMA allocation charged to a dmem cgroup: `dmem_cgroup_try_charge` for count pages in bytes
 * first (EAGAIN naming the limiting pool, and no CMA work, when a max is hit), then `cmaAlloc`;
 * a failed allocation uncharges again. This is the answer of reference cma.md §6 to one client
 * exhausting a shared CMA area.
 */
export function cmaAllocCharged(
  cma: Cma,
  count: number,
  align: number,
  charge: CmaCharge,
  noWarn = false,
): CmaChargedAllocation {
  const bytes = count * cma.registry.pageSize;
  const pool = dmemCgroupTryCharge(charge.region, bytes, charge.cgroup);
  try {
    return { pfn: cmaAlloc(cma, count, align, noWarn), count, pool };
  } catch (error) {
    dmemCgroupUncharge(pool, bytes);
    throw error;
  }
}

/** Releases a charged allocation and uncharges its pool. False (nothing uncharged) when cmaRelease refuses. */
export function cmaReleaseCharged(cma: Cma, allocation: CmaChargedAllocation): boolean {
  if (!cmaRelease(cma, allocation.pfn, allocation.count)) return false;
  dmemCgroupUncharge(allocation.pool, allocation.count * cma.registry.pageSize);
  return true;
}
