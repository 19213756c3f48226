import { hex, SocmemError } from '@socmem/hw-sim';
import { allocContigMigrateRange } from './alloc-contig-migrate';
import type { BuddyAllocator } from './buddy-allocator';
import { MIGRATE_CMA, MIGRATE_MOVABLE } from './constants';
import { freeRangeToBuddy } from './free-one-page';
import { gfpflagsAllowBlocking } from './gfp';
import { PG_ALLOCATED, PG_BUDDY, PG_CONTIG, PG_HEAD, PG_LRU, PG_RESERVED } from './page-frames';

/** Pages migrated, and the reason of the first page that could not move, of the last call. */
export interface ContigRangeStats {
  migrated: number;
  busyPfn: number;
  busyReason: string;
}

/**
 * `alloc_contig_range(start, end, migratetype, gfp)` (mm/page_alloc.c, v6.16) over the buddy
 * allocator:
 * 1. isolate every pageblock the range touches (MIGRATE_ISOLATE; EBUSY when a non-CMA block
 *    holds unmovable pages inside the range, or a block is already isolated);
 * 2. migrate the movable pages out in batches of COMPACT_CLUSTER_MAX (targets are never in
 *    isolated blocks): a pinned page is skipped at isolation (step 3 then fails with EBUSY);
 *    a page with an extra reference stays on its batch's list, and after 5 tries the call
 *    fails with EBUSY, leaving later batches unmigrated; no target memory gives ENOMEM at once;
 * 3. `test_pages_isolated`: every page of [start, end) must now be free, else EBUSY;
 * 4. take the free blocks, giving back the parts outside the range;
 * 5. restore the pageblocks' types, success or not.
 * The pages belong to `owner` afterwards. Pages migrated before a failure stay migrated, as
 * in Linux.
 */
export function allocContigRange(
  buddy: BuddyAllocator,
  startPfn: number,
  endPfn: number,
  migratetype: number,
  ownerId: number,
  gfp: number,
  stats?: ContigRangeStats,
): void {
  const frames = buddy.frames;
  if (migratetype !== MIGRATE_CMA && migratetype !== MIGRATE_MOVABLE) {
    throw new SocmemError(
      'EINVAL',
      `alloc_contig_range: migratetype ${migratetype} is neither MOVABLE nor CMA`,
    );
  }
  if (!gfpflagsAllowBlocking(gfp)) {
    throw new SocmemError('EINVAL', `alloc_contig_range: gfp ${hex(gfp)} does not allow blocking`);
  }
  const start = frames.requireIndex(startPfn, 'alloc_contig_range');
  const span = frames.spanOf(startPfn)!;
  if (!(endPfn > startPfn) || endPfn > span.endPfn) {
    throw new SocmemError(
      'EINVAL',
      `alloc_contig_range: [${hex(startPfn)}, ${hex(endPfn)}) is not one zone's memory`,
    );
  }
  const end = start + (endPfn - startPfn);
  const pbOrder = buddy.pageblockOrder;
  const firstBlock = start >>> pbOrder;
  const lastBlock = (end - 1) >>> pbOrder;
  if (stats !== undefined) {
    stats.migrated = 0;
    stats.busyPfn = -1;
    stats.busyReason = '';
  }

  let isolated = firstBlock;
  try {
    for (; isolated <= lastBlock; isolated++) {
      checkIsolatable(buddy, isolated, start, end, migratetype);
      buddy.pageblocks.isolate(isolated);
    }
    allocContigMigrateRange(buddy, start, end, stats);
    const outer = testPagesIsolated(buddy, start, end, startPfn, endPfn);
    takeFreeRange(buddy, outer, start, end, ownerId);
  } finally {
    for (let block = firstBlock; block < isolated; block++) buddy.pageblocks.unisolate(block);
  }
}

/** `free_contig_range`: gives back pages taken by `allocContigRange`. EINVAL if one was not. */
export function freeContigRange(buddy: BuddyAllocator, startPfn: number, count: number): void {
  const frames = buddy.frames;
  const start = frames.requireIndex(startPfn, 'free_contig_range');
  const span = frames.spanOf(startPfn)!;
  if (!Number.isInteger(count) || count <= 0 || startPfn + count > span.endPfn) {
    throw new SocmemError(
      'EINVAL',
      `free_contig_range: ${count} pages at pfn ${hex(startPfn)} are outside memory`,
    );
  }
  for (let index = start; index < start + count; index++) {
    if ((frames.flags[index]! & (PG_ALLOCATED | PG_CONTIG)) !== (PG_ALLOCATED | PG_CONTIG)) {
      throw new SocmemError(
        'EINVAL',
        `free_contig_range: pfn ${hex(frames.pfnOf(index))} was not allocated by alloc_contig_range`,
      );
    }
  }
  buddy.releaseFrames(start, count);
  freeRangeToBuddy(buddy, start, startPfn, count);
}

/**
 * `has_unmovable_pages` for the part of a pageblock inside the range. A CMA pageblock counts as
 * movable only for a CMA allocation (PB_ISOLATE_MODE_CMA_ALLOC, formerly
 * `is_migrate_cma(migratetype)`); any other alloc_contig_range over it is EBUSY.
 */
function checkIsolatable(
  buddy: BuddyAllocator,
  block: number,
  start: number,
  end: number,
  migratetype: number,
): void {
  const frames = buddy.frames;
  if (frames.isIsolated(block)) {
    throw new SocmemError(
      'EBUSY',
      `alloc_contig_range: pageblock at pfn ${hex(frames.pfnOf(block << buddy.pageblockOrder))} is already isolated`,
    );
  }
  if (frames.underlyingType(block) === MIGRATE_CMA) {
    if (migratetype === MIGRATE_CMA) return;
    throw new SocmemError(
      'EBUSY',
      `alloc_contig_range: pageblock at pfn ${hex(frames.pfnOf(block << buddy.pageblockOrder))} is MIGRATE_CMA and this is not a CMA allocation`,
    );
  }
  const from = Math.max(start, block << buddy.pageblockOrder);
  const to = Math.min(end, (block + 1) << buddy.pageblockOrder);
  for (let index = from; index < to; ) {
    const flags = frames.flags[index]!;
    if ((flags & PG_BUDDY) !== 0) {
      index += 2 ** frames.order[index]!;
      continue;
    }
    if ((flags & PG_RESERVED) !== 0 || ((flags & PG_ALLOCATED) !== 0 && (flags & PG_LRU) === 0)) {
      throw new SocmemError(
        'EBUSY',
        `alloc_contig_range: unmovable page at pfn ${hex(frames.pfnOf(index))} (owner ${buddy.owners.name(frames.owner[index]!)})`,
      );
    }
    index++;
  }
}

/** `test_pages_isolated`: every page of [start, end) free; returns the index where the first free block starts. */
function testPagesIsolated(
  buddy: BuddyAllocator,
  start: number,
  end: number,
  startPfn: number,
  endPfn: number,
): number {
  const frames = buddy.frames;
  const containing = frames.freeBlockContaining(start, 0, buddy.maxPageOrder);
  const outer = containing < 0 ? start : containing;
  for (let index = outer; index < end; ) {
    if ((frames.flags[index]! & PG_BUDDY) === 0) {
      const why = (frames.flags[index]! & PG_LRU) !== 0 ? buddy.migrator.whyUnmovable(index) : null;
      throw new SocmemError(
        'EBUSY',
        `alloc_contig_range: [${hex(startPfn)}, ${hex(endPfn)}) PFNs busy (pfn ${hex(frames.pfnOf(index))} in use${why === null ? '' : `: ${why}`})`,
      );
    }
    index += 2 ** frames.order[index]!;
  }
  return outer;
}

/** `isolate_freepages_range` + giving back the head and tail outside the range. */
function takeFreeRange(
  buddy: BuddyAllocator,
  outer: number,
  start: number,
  end: number,
  ownerId: number,
): void {
  const frames = buddy.frames;
  const zone = frames.zoneOfIndex(start);
  const tailStart = end;
  let tailEnd = end;
  for (let index = outer; index < end; ) {
    const size = 2 ** frames.order[index]!;
    buddy.freeArea.remove(index, zone);
    if (index + size > end) tailEnd = index + size;
    index += size;
  }
  frames.flags.fill(PG_ALLOCATED | PG_CONTIG, start, end);
  frames.owner.fill(ownerId, start, end);
  frames.refcount.fill(1, start, end);
  frames.flags[start] = PG_ALLOCATED | PG_CONTIG | PG_HEAD;
  frames.order[start] = 0;
  if (outer < start) freeRangeToBuddy(buddy, outer, frames.pfnOf(outer), start - outer);
  if (tailEnd > tailStart)
    freeRangeToBuddy(buddy, tailStart, frames.pfnOf(tailStart), tailEnd - tailStart);
}
