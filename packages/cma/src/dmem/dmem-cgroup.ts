/**
 * The objects of Linux's dmem cgroup controller (kernel/cgroup/dmem.c, v6.14+): device-memory
 * regions registered by drivers, a cgroup hierarchy, and one pool per (cgroup, region) holding
 * a page_counter of bytes with max/min/low.
 *
 * Linux keeps the regions in a global list and finds the caller's cgroup from `current`; the
 * model keeps them in a {@link DmemCgroupHierarchy} and the caller names the cgroup.
 */
import { SocmemError } from '@socmem/hw-sim';
import type { DmemCgroupHierarchy } from './dmem-hierarchy';
import { DmemCgroupPool } from './dmem-pool';
import type { DmemCgroupRegion } from './dmem-region';
import { PAGE_COUNTER_MAX } from './page-counter';

/** A cgroup directory with the dmem controller enabled (struct dmemcg_state). */
export class DmemCgroup {
  /** Pools of this cgroup by region (dmemcs->pools); unregistering a region removes its entry. */
  readonly pools = new Map<DmemCgroupRegion, DmemCgroupPool>();
  readonly children = new Map<string, DmemCgroup>();
  /** False after rmdir(): limits are reset (dmemcs_offline) but charges stay accounted. */
  online = true;

  constructor(
    readonly hierarchy: DmemCgroupHierarchy,
    readonly name: string,
    readonly parent: DmemCgroup | null,
  ) {}

  /** "/" for the root, "/a/b" below it. */
  get path(): string {
    if (this.parent === null) return '/';
    return this.parent.parent === null ? `/${this.name}` : `${this.parent.path}/${this.name}`;
  }

  get isRoot(): boolean {
    return this.parent === null;
  }

  /** Creates a child cgroup (mkdir). EEXIST for a taken name, EINVAL for a bad one. */
  mkdir(name: string): DmemCgroup {
    if (!this.online)
      throw new SocmemError('ENOENT', `dmem cgroup ${this.path}: removed, cannot mkdir "${name}"`);
    if (name.length === 0 || name.includes('/') || name === '.' || name === '..') {
      throw new SocmemError('EINVAL', `dmem cgroup ${this.path}: bad child name "${name}"`);
    }
    if (this.children.has(name))
      throw new SocmemError('EEXIST', `dmem cgroup ${this.path}: child "${name}" exists`);
    const child = new DmemCgroup(this.hierarchy, name, this);
    this.children.set(name, child);
    return child;
  }

  /**
   * Removes this cgroup (rmdir): EBUSY for the root or while it has children. As
   * dmemcs_offline(), limits drop to max/0/0; charges already made stay on its pools (and
   * their ancestors) until uncharged.
   */
  rmdir(): void {
    if (this.parent === null)
      throw new SocmemError('EBUSY', 'dmem cgroup /: the root cannot be removed');
    if (this.children.size > 0) {
      throw new SocmemError(
        'EBUSY',
        `dmem cgroup ${this.path}: has ${this.children.size} child cgroup(s)`,
      );
    }
    for (const pool of this.pools.values()) {
      pool.setMin(0);
      pool.setLow(0);
      pool.setMax(PAGE_COUNTER_MAX);
    }
    this.online = false;
    this.parent.children.delete(this.name);
  }

  /** This cgroup's pool for `region`, or undefined if none was created yet. */
  findPool(region: DmemCgroupRegion): DmemCgroupPool | undefined {
    return this.pools.get(region);
  }

  /**
   * get_cg_pool_locked: this cgroup's pool for `region`, creating it and any missing ancestor
   * pools. ENODEV once the region is unregistered (as get_cg_pool_unlocked).
   */
  getPool(region: DmemCgroupRegion): DmemCgroupPool {
    const existing = this.pools.get(region);
    if (existing !== undefined) return existing;
    if (region.unregistered) {
      throw new SocmemError(
        'ENODEV',
        `dmem region ${region.name}: unregistered, no pool for ${this.path}`,
      );
    }
    if (region.hierarchy !== this.hierarchy) {
      throw new SocmemError(
        'EINVAL',
        `dmem region ${region.name}: belongs to another hierarchy than ${this.path}`,
      );
    }
    if (!this.online) throw new SocmemError('ENOENT', `dmem cgroup ${this.path}: removed`);
    // This cgroup and every ancestor without a pool yet. All allocations are tried before any
    // pool is linked in, so an ENOMEM leaves the tree as it was.
    const missing: DmemCgroup[] = [];
    for (let c: DmemCgroup | null = this; c !== null && !c.pools.has(region); c = c.parent)
      missing.push(c);
    const failPoints = this.hierarchy.failPoints;
    for (const cgroup of missing) {
      if (failPoints?.shouldFail('dmem-pool-alloc')) {
        throw new SocmemError(
          'ENOMEM',
          `dmem: no memory for the pool of ${cgroup.path} in ${region.name}`,
        );
      }
    }
    for (let i = missing.length - 1; i >= 0; i--) {
      const cgroup = missing[i] as DmemCgroup;
      const parentPool = cgroup.parent?.pools.get(region) ?? null;
      const pool = new DmemCgroupPool(region, cgroup, parentPool);
      cgroup.pools.set(region, pool);
      region.pools.push(pool);
    }
    return this.pools.get(region) as DmemCgroupPool;
  }

  /** Writes dmem.min for `region` (bytes). ENOENT on the root, which has no such file. */
  setMin(region: DmemCgroupRegion, bytes: number): void {
    this.writablePool('min', region, bytes).setMin(bytes);
  }

  /** Writes dmem.low for `region` (bytes). */
  setLow(region: DmemCgroupRegion, bytes: number): void {
    this.writablePool('low', region, bytes).setLow(bytes);
  }

  /**
   * Writes dmem.max for `region` (bytes). Returns false when the pool already holds more than
   * `bytes`: Linux's page_counter_set_max() then returns -EBUSY, which dmem ignores, so the
   * write succeeds but the old max stays.
   */
  setMax(region: DmemCgroupRegion, bytes: number): boolean {
    return this.writablePool('max', region, bytes).setMax(bytes);
  }

  private writablePool(file: string, region: DmemCgroupRegion, bytes: number): DmemCgroupPool {
    if (this.parent === null)
      throw new SocmemError('ENOENT', `dmem cgroup /: no dmem.${file} on the root cgroup`);
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new SocmemError(
        'EINVAL',
        `dmem cgroup ${this.path}: dmem.${file} value ${bytes} is not a byte count`,
      );
    }
    return this.getPool(region);
  }
}
