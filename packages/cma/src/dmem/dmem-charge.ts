/**
 * The driver-facing calls of kernel/cgroup/dmem.c (Linux v6.14+; include/linux/cgroup_dmem.h):
 * register/unregister a region, try-charge and uncharge, and the eviction helpers TTM uses.
 */
import { SocmemError } from '@socmem/hw-sim';
import type { DmemCgroup } from './dmem-cgroup';
import { DmemCgroupHierarchy, type DmemCgroupHierarchyOptions } from './dmem-hierarchy';
import type { DmemCgroupPool } from './dmem-pool';
import { DmemCgroupRegion } from './dmem-region';

/**
 * The -EAGAIN of dmem_cgroup_try_charge(): a limit was hit. `limitPool` is the pool whose max
 * would have been exceeded (ret_limit_pool), the lowest such level on the way to the root.
 */
export class DmemCgroupLimitError extends SocmemError {
  constructor(
    readonly limitPool: DmemCgroupPool,
    readonly chargedPool: DmemCgroupPool,
    readonly size: number,
  ) {
    super(
      'EAGAIN',
      `dmem: charging ${size} bytes to ${chargedPool} exceeds the max of ${limitPool} ` +
        `(max ${limitPool.max}, current ${limitPool.usage})`,
    );
    this.name = 'DmemCgroupLimitError';
  }
}

function checkBytes(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SocmemError('EINVAL', `dmem: ${what} ${value} is not a byte count`);
  }
}

/**
 * dmem_cgroup_register_region(size, name): a new region, usable for charges at once. A size of
 * 0 returns null, as in Linux (callers then skip accounting).
 */
export function dmemCgroupRegisterRegion(
  hierarchy: DmemCgroupHierarchy,
  size: number,
  name: string,
): DmemCgroupRegion | null {
  checkBytes('region size', size);
  if (name.length === 0) throw new SocmemError('EINVAL', 'dmem: region name "" is empty');
  if (size === 0) return null;
  if (hierarchy.failPoints?.shouldFail('dmem-region-alloc')) {
    throw new SocmemError('ENOMEM', `dmem: no memory to register region ${name}`);
  }
  const region = new DmemCgroupRegion(hierarchy, size, name);
  hierarchy.regions.push(region);
  return region;
}

/**
 * dmem_cgroup_unregister_region: the region leaves the list (dmem.* files stop showing it,
 * limits can no longer be written for it), every cgroup loses its pool for it and new charges
 * fail with ENODEV. Charges still held can be uncharged; their pools live until then. Null is
 * ignored, as in Linux.
 */
export function dmemCgroupUnregisterRegion(region: DmemCgroupRegion | null): void {
  if (region === null || region.unregistered) return;
  const hierarchy = region.hierarchy;
  hierarchy.regions.splice(hierarchy.regions.indexOf(region), 1);
  for (const pool of region.pools) pool.cgroup.pools.delete(region);
  region.unregistered = true;
  if (region.charged > 0) hierarchy.unregisteredRegions.push(region);
}

/**
 * dmem_cgroup_try_charge(region, size, &ret_pool, &ret_limit_pool) for a task in `cgroup`:
 * charges `size` bytes to the cgroup's pool and every ancestor pool (page_counter_try_charge)
 * and returns the charged pool, to be passed to dmemCgroupUncharge with the same size.
 *
 * Throws DmemCgroupLimitError (EAGAIN, with `limitPool`) when a pool would pass its max,
 * ENODEV for an unregistered region, ENOENT for a removed cgroup, EINVAL for a bad size. A
 * failed charge changes no counter.
 */
export function dmemCgroupTryCharge(
  region: DmemCgroupRegion,
  size: number,
  cgroup: DmemCgroup,
): DmemCgroupPool {
  checkBytes('charge size', size);
  if (!cgroup.online) throw new SocmemError('ENOENT', `dmem: cgroup ${cgroup.path} was removed`);
  if (region.unregistered)
    throw new SocmemError('ENODEV', `dmem: region ${region.name} is unregistered`);
  const pool = cgroup.getPool(region);
  const limitPool = pool.tryCharge(size);
  if (limitPool !== null) throw new DmemCgroupLimitError(limitPool, pool, size);
  pool.charged += size;
  return pool;
}

/**
 * dmem_cgroup_uncharge(pool, size): undoes a charge. EINVAL (nothing changed) when `size` is
 * more than was charged to this very pool; Linux would WARN about a page_counter underflow only
 * when the whole subtree's count went negative.
 */
export function dmemCgroupUncharge(pool: DmemCgroupPool | null, size: number): void {
  if (pool === null) return;
  checkBytes('uncharge size', size);
  if (size > pool.charged) {
    throw new SocmemError(
      'EINVAL',
      `dmem: uncharging ${size} bytes from ${pool}, which holds ${pool.charged}`,
    );
  }
  pool.uncharge(size);
  pool.charged -= size;
  const region = pool.region;
  if (region.unregistered && region.charged === 0) {
    const retired = region.hierarchy.unregisteredRegions;
    const at = retired.indexOf(region);
    if (at >= 0) retired.splice(at, 1);
  }
}

/** True when `pool` is `ancestor` or below it in the pool tree. */
function isWithin(pool: DmemCgroupPool, ancestor: DmemCgroupPool): boolean {
  for (let p: DmemCgroupPool | null = pool; p !== null; p = p.parent)
    if (p === ancestor) return true;
  return false;
}

function topmost(pool: DmemCgroupPool): DmemCgroupPool {
  let p = pool;
  while (p.parent !== null) p = p.parent;
  return p;
}

/**
 * dmem_cgroup_calculate_protection(limit_pool, test_pool): walks the pools under `limitPool`
 * top-down (pre-order, as css_for_each_descendant_pre) computing effective min/low with
 * recursive protection, and stops at `testPool`.
 */
export function dmemCgroupCalculateProtection(
  limitPool: DmemCgroupPool,
  testPool: DmemCgroupPool,
): void {
  const stack: DmemCgroupPool[] = [limitPool];
  for (let pool = stack.pop(); pool !== undefined; pool = stack.pop()) {
    pool.calculateProtection(limitPool, true);
    if (pool === testPool) return;
    for (let i = pool.children.length - 1; i >= 0; i--)
      stack.push(pool.children[i] as DmemCgroupPool);
  }
}

/** The out-parameter of dmemCgroupStateEvictValuable (ret_hit_low). */
export interface DmemEvictHint {
  hitLow: boolean;
}

/**
 * dmem_cgroup_state_evict_valuable(limit_pool, test_pool, ignore_low, &ret_hit_low): may memory
 * charged to `testPool` be evicted to make room under `limitPool`'s limit?
 * - the limiting pool itself, or a limit at the root cgroup: always;
 * - a pool outside the limiting subtree: never;
 * - otherwise only usage above the effective min, and (unless `ignoreLow`) above the effective
 *   low; when only low protects it, `hint.hitLow` is set so the caller can retry ignoring low.
 * A null `limitPool` means "no cgroup limit": protection is computed from the root.
 */
export function dmemCgroupStateEvictValuable(
  limitPool: DmemCgroupPool | null,
  testPool: DmemCgroupPool,
  ignoreLow: boolean,
  hint?: DmemEvictHint,
): boolean {
  if (limitPool === testPool) return true;
  let root: DmemCgroupPool;
  if (limitPool !== null) {
    if (limitPool.cgroup.isRoot) return true;
    if (!isWithin(testPool, limitPool)) return false;
    root = limitPool;
  } else {
    root = topmost(testPool);
  }
  dmemCgroupCalculateProtection(root, testPool);
  const used = testPool.usage;
  if (used <= testPool.emin) return false;
  if (ignoreLow || used > testPool.elow) return true;
  if (hint !== undefined) hint.hitLow = true;
  return false;
}

/**
 * dmem_cgroup_below_min(root, test) (added after v6.16 for TTM): is `test` within its effective
 * min, computed under `root` (null: the whole hierarchy)? False for `root` itself and for a
 * root-cgroup pool.
 */
export function dmemCgroupBelowMin(root: DmemCgroupPool | null, test: DmemCgroupPool): boolean {
  if (root === test || test.parent === null) return false;
  dmemCgroupCalculateProtection(root ?? topmost(test), test);
  return test.usage <= test.emin;
}

/** dmem_cgroup_below_low(root, test): as dmemCgroupBelowMin for the effective low. */
export function dmemCgroupBelowLow(root: DmemCgroupPool | null, test: DmemCgroupPool): boolean {
  if (root === test || test.parent === null) return false;
  dmemCgroupCalculateProtection(root ?? topmost(test), test);
  return test.usage <= test.elow;
}

/**
 * A fresh, empty dmem controller (the model's stand-in for the kernel's global state). Pass
 * `{ failPoints: machine.failPoints }` to make its allocation sites fail on demand.
 */
export function createDmemCgroupHierarchy(
  options: DmemCgroupHierarchyOptions = {},
): DmemCgroupHierarchy {
  return new DmemCgroupHierarchy(options);
}
