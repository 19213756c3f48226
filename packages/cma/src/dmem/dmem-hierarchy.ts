/** The dmem controller as a whole: registered regions, the cgroup tree, invariant checks. */
import { type FailPoints, InvariantError } from '@socmem/hw-sim';
import { DmemCgroup } from './dmem-cgroup';
import type { DmemCgroupPool } from './dmem-pool';
import type { DmemCgroupRegion } from './dmem-region';

/** Options of a {@link DmemCgroupHierarchy}. */
export interface DmemCgroupHierarchyOptions {
  /**
   * Fail points (usually `machine.failPoints`) for the kzalloc sites: 'dmem-region-alloc'
   * (dmemCgroupRegisterRegion) and 'dmem-pool-alloc' (each pool created on first use).
   */
  readonly failPoints?: FailPoints;
}

/** One dmem controller: its registered regions (dmem_cgroup_regions) and its root cgroup. */
export class DmemCgroupHierarchy {
  readonly failPoints: FailPoints | undefined;
  readonly root: DmemCgroup = new DmemCgroup(this, '', null);
  /** Registered regions, in registration order (dmem.capacity order). */
  readonly regions: DmemCgroupRegion[] = [];
  /**
   * Unregistered regions whose pools still hold charges (Linux keeps such pools alive by
   * reference until the last dmem_cgroup_uncharge); dropped once fully uncharged.
   */
  readonly unregisteredRegions: DmemCgroupRegion[] = [];

  constructor(options: DmemCgroupHierarchyOptions = {}) {
    this.failPoints = options.failPoints;
  }

  /** The registered region called `name` (dmemcg_get_region_by_name; first match). */
  findRegion(name: string): DmemCgroupRegion | undefined {
    return this.regions.find((region) => region.name === name);
  }

  /** The cgroup at `path` ("/", "/a/b"), or undefined. */
  lookup(path: string): DmemCgroup | undefined {
    let cgroup: DmemCgroup | undefined = this.root;
    for (const part of path.split('/')) {
      if (part.length === 0) continue;
      cgroup = cgroup?.children.get(part);
    }
    return cgroup;
  }

  /**
   * Checks every pool of every region reachable from the hierarchy (unregistered regions too,
   * while cgroups still hold their pools' charges): current = own charges + children's current,
   * current <= max (set_max refuses to go below current), the children's protected-usage sums
   * are up to date, and parent links follow the cgroup tree. Throws InvariantError.
   */
  checkInvariants(): void {
    for (const region of [...this.regions, ...this.unregisteredRegions]) {
      if (region.unregistered !== this.unregisteredRegions.includes(region)) {
        throw new InvariantError(
          `dmem region ${region.name}`,
          'registration state and lists disagree',
        );
      }
      for (const pool of region.pools) checkPool(pool);
    }
    for (const cgroup of this.walk()) {
      for (const [region, pool] of cgroup.pools) {
        if (region.unregistered || pool.cgroup !== cgroup) {
          throw new InvariantError(
            `dmem cgroup ${cgroup.path}`,
            `stale pool for region ${region.name}`,
          );
        }
      }
    }
  }

  /** Online cgroups, pre-order. */
  *walk(): Generator<DmemCgroup> {
    const stack: DmemCgroup[] = [this.root];
    for (let cgroup = stack.pop(); cgroup !== undefined; cgroup = stack.pop()) {
      yield cgroup;
      stack.push(...[...cgroup.children.values()].reverse());
    }
  }
}

function checkPool(pool: DmemCgroupPool): void {
  const where = `dmem pool ${pool}`;
  let childrenCurrent = 0;
  let childrenMin = 0;
  let childrenLow = 0;
  for (const child of pool.children) {
    if (child.parent !== pool || child.region !== pool.region)
      throw new InvariantError(where, 'child links broken');
    childrenCurrent += child.usage;
    childrenMin += Math.min(child.usage, child.min);
    childrenLow += Math.min(child.usage, child.low);
  }
  if (pool.charged < 0) throw new InvariantError(where, `negative own charge ${pool.charged}`);
  if (pool.usage !== pool.charged + childrenCurrent) {
    throw new InvariantError(
      where,
      `current ${pool.usage} != own ${pool.charged} + children ${childrenCurrent}`,
    );
  }
  if (pool.usage > pool.max)
    throw new InvariantError(where, `current ${pool.usage} above max ${pool.max}`);
  if (pool.usage > pool.watermark)
    throw new InvariantError(where, `current ${pool.usage} above peak ${pool.watermark}`);
  if (pool.childrenMinUsage !== childrenMin || pool.childrenLowUsage !== childrenLow) {
    throw new InvariantError(where, 'children protected usage sums are stale');
  }
  const expectedParent = pool.cgroup.parent?.pools.get(pool.region) ?? null;
  if (pool.cgroup.online && !pool.region.unregistered && pool.parent !== expectedParent) {
    throw new InvariantError(where, 'parent pool is not the parent cgroup pool');
  }
}
