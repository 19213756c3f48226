import { hex, SocmemError } from '@socmem/hw-sim';
import type { ContigRangeStats } from './alloc-contig-range';
import type { BuddyAllocator } from './buddy-allocator';
import { COMPACT_CLUSTER_MAX } from './constants';
import { type PageFrames, PG_BUDDY, PG_LRU } from './page-frames';

/** `++tries == 5` in `__alloc_contig_migrate_range`: attempts on one batch before EBUSY. */
const MIGRATE_TRIES = 5;

/**
 * `__alloc_contig_migrate_range` (mm/page_alloc.c, v6.16): isolate up to COMPACT_CLUSTER_MAX
 * movable pages from the scan position (`isolate_migratepages_range`), migrate them
 * (`migrate_pages`), and retry the pages left on the list; the fifth attempt on one batch ends
 * the whole call with EBUSY, so pages after that batch are never looked at. `migrate_pages`
 * retries each page 10 times inside; nothing changes between those retries here, so one
 * attempt per try stands for them. ENOMEM (no target frame) ends the call at once.
 */
export function allocContigMigrateRange(
  buddy: BuddyAllocator,
  start: number,
  end: number,
  stats?: ContigRangeStats,
): void {
  const frames = buddy.frames;
  const migrator = buddy.migrator;
  // One small array per call (not per page): a migration may re-enter alloc_contig_range.
  const batch = new Int32Array(COMPACT_CLUSTER_MAX);
  let count = 0;
  let scan = start;
  let tries = 0;
  while (scan < end || count > 0) {
    if (count === 0) {
      // isolate_migratepages_range: stops right after the COMPACT_CLUSTER_MAX-th page.
      while (scan < end && count < COMPACT_CLUSTER_MAX) {
        const flags = frames.flags[scan]!;
        if ((flags & PG_BUDDY) !== 0) {
          scan += 2 ** frames.order[scan]!;
          continue;
        }
        if ((flags & PG_LRU) !== 0) {
          if (isolatable(frames, scan)) batch[count++] = scan;
          else if (stats !== undefined && stats.busyPfn < 0) {
            stats.busyPfn = frames.pfnOf(scan);
            stats.busyReason = migrator.whyUnmovable(scan) ?? '';
          }
        }
        scan++;
      }
      tries = 0;
    } else if (++tries === MIGRATE_TRIES) {
      const index = batch[0]!;
      const pfn = frames.pfnOf(index);
      const reason = migrator.whyUnmovable(index) ?? 'not migrated';
      if (stats !== undefined) {
        stats.busyPfn = pfn;
        stats.busyReason = reason;
      }
      // putback_movable_pages: the pages left on the list stay where they are.
      throw new SocmemError(
        'EBUSY',
        `alloc_contig_range: page at pfn ${hex(pfn)} cannot migrate: ${reason}`,
      );
    }
    // migrate_pages: the pages that moved leave the list, the failures stay on it, in order.
    let left = 0;
    for (let k = 0; k < count; k++) {
      const index = batch[k]!;
      if (migrator.whyUnmovable(index) === null) {
        migrator.migrateMovablePage(index);
        if (stats !== undefined) stats.migrated++;
      } else {
        batch[left++] = index;
      }
    }
    count = left;
  }
}

/**
 * The `isolate_migratepages_block` test for an LRU page: an anonymous page whose reference
 * count exceeds its map count plus one is skipped ("migration will fail if an anonymous page
 * is pinned"). socmem's movable pages are anonymous pages mapped once; a FOLL_PIN adds
 * GUP_PIN_COUNTING_BIAS (1024) references, so a pinned page is never isolated, while a page
 * with one extra reference (get_page) is isolated and then fails to migrate.
 */
function isolatable(frames: PageFrames, index: number): boolean {
  return frames.pinCount[index] === 0 && frames.refcount[index]! - 1 <= 1;
}
