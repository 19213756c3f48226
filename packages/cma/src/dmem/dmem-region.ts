/** A device-memory region registered with the dmem controller (kernel/cgroup/dmem.c). */
import type { DmemCgroupHierarchy } from './dmem-hierarchy';
import type { DmemCgroupPool } from './dmem-pool';

/** A region of device memory that cgroups can be limited in (struct dmem_cgroup_region). */
export class DmemCgroupRegion {
  /** Set by dmemCgroupUnregisterRegion: no new pools or charges, existing charges can still be undone. */
  unregistered = false;
  /** Every pool ever created for this region (region->pools; kept after unregister until drained). */
  readonly pools: DmemCgroupPool[] = [];

  constructor(
    readonly hierarchy: DmemCgroupHierarchy,
    /** Size in bytes, shown in dmem.capacity. Charges are not checked against it (the driver's job). */
    readonly size: number,
    /** e.g. "drm/0000:03:00.0/vram0" or "cma/reserved". */
    readonly name: string,
  ) {}

  /** Sum of every pool's own charges (what the region's users hold). */
  get charged(): number {
    let total = 0;
    for (const pool of this.pools) total += pool.charged;
    return total;
  }
}
