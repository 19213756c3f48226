/** The per-(cgroup, region) accounting of the dmem controller (kernel/cgroup/dmem.c). */
import type { DmemCgroup } from './dmem-cgroup';
import type { DmemCgroupRegion } from './dmem-region';
import { PageCounter } from './page-counter';

/**
 * The accounting of one cgroup in one region (struct dmem_cgroup_pool_state): a page_counter
 * in bytes whose parent is the same region's pool in the parent cgroup.
 */
export class DmemCgroupPool extends PageCounter<DmemCgroupPool> {
  /** Bytes charged directly to this pool by dmemCgroupTryCharge and not yet uncharged. */
  charged = 0;
  readonly children: DmemCgroupPool[] = [];

  constructor(
    readonly region: DmemCgroupRegion,
    readonly cgroup: DmemCgroup,
    parent: DmemCgroupPool | null,
  ) {
    super(parent);
    parent?.children.push(this);
  }

  /** dmem.current: this cgroup's and its descendants' charges, in bytes. */
  get current(): number {
    return this.usage;
  }

  /** e.g. "/app:cma/reserved", for messages. */
  override toString(): string {
    return `${this.cgroup.path}:${this.region.name}`;
  }
}
