import { hex, SocmemError } from '@socmem/hw-sim';
import type { BuddyAllocator } from './buddy-allocator';
import { __GFP_RETRY_MAYFAIL, GFP_HIGHUSER_MOVABLE } from './gfp';
import { PG_ALLOCATED, PG_HEAD, PG_LRU } from './page-frames';

/** Gfp of migration targets (`alloc_migration_target` for MR_CONTIG_RANGE): movable, may use CMA. */
export const GFP_MIGRATION_TARGET = GFP_HIGHUSER_MOVABLE | __GFP_RETRY_MAYFAIL;

/**
 * Page migration (mm/migrate.c, reduced to order-0 movable pages): allocate a target frame,
 * copy the contents the way `copy_highpage` does (through the CPU when its cache is on, with
 * a RAM copy otherwise), hand the owner the new frame, free the old one.
 */
export class Migrator {
  private readonly buddy: BuddyAllocator;
  private readonly bounce: Uint8Array;
  /** Pages moved since creation. */
  migrated = 0;

  constructor(buddy: BuddyAllocator) {
    this.buddy = buddy;
    this.bounce = new Uint8Array(buddy.pageSize);
  }

  /** True when frame `index` is a movable user's page (PageLRU). */
  isMovable(index: number): boolean {
    return (this.buddy.frames.flags[index]! & PG_LRU) !== 0;
  }

  /**
   * Why frame `index` cannot migrate, or null. Migration needs the expected reference count:
   * one reference (the owner's) and no pins (`folio_expected_ref_count`).
   */
  whyUnmovable(index: number): string | null {
    const frames = this.buddy.frames;
    const flags = frames.flags[index]!;
    if ((flags & PG_LRU) === 0 || (flags & PG_ALLOCATED) === 0) return 'not a movable page';
    if (frames.pinCount[index]! > 0) return `pinned ${frames.pinCount[index]} time(s)`;
    if (frames.refcount[index] !== 1) return `refcount ${frames.refcount[index]}, expected 1`;
    return null;
  }

  /**
   * Migrates the movable page in frame `index` to a new frame and returns its index.
   * EBUSY when the page is pinned or has extra references; ENOMEM when no target frame exists.
   */
  migratePage(index: number, gfp = GFP_MIGRATION_TARGET): number {
    const reason = this.whyUnmovable(index);
    if (reason !== null) {
      throw new SocmemError(
        'EBUSY',
        `migrate: page at pfn ${hex(this.buddy.frames.pfnOf(index))} cannot move: ${reason}`,
      );
    }
    return this.migrateMovablePage(index, gfp);
  }

  /**
   * `migratePage` for a caller that has just seen `whyUnmovable(index)` return null (the
   * alloc_contig_range scan), so the check is not made twice per page.
   */
  migrateMovablePage(index: number, gfp = GFP_MIGRATION_TARGET): number {
    const buddy = this.buddy;
    const frames = buddy.frames;
    const ownerId = frames.owner[index]!;
    const target = buddy.allocFrames(gfp, 0, ownerId);
    const oldPa = buddy.pfnToPhys(frames.pfnOf(index));
    const newPa = buddy.pfnToPhys(frames.pfnOf(target));
    this.copyPage(newPa, oldPa);
    frames.flags[target] = PG_ALLOCATED | PG_HEAD | PG_LRU;
    frames.ownerIndex[target] = frames.ownerIndex[index]!;
    buddy.owners.client(ownerId)?.pageMoved(frames.ownerIndex[index]!, target);
    buddy.releaseFrames(index, 1);
    buddy.freeOne(index, 0);
    this.migrated++;
    return target;
  }

  private copyPage(dstPa: number, srcPa: number): void {
    const machine = this.buddy.machine;
    const size = this.buddy.pageSize;
    if (machine.cache.enabled) {
      machine.cpu.read(srcPa, this.bounce, 0, size);
      machine.cpu.write(dstPa, this.bounce, 0, size);
    } else {
      // Without a cache the copy goes RAM to RAM (copy_highpage on a cacheless machine).
      machine.bus.copy(dstPa, srcPa, size, 'migrate');
    }
  }
}
