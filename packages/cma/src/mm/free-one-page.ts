import type { BuddyAllocator } from './buddy-allocator';
import { migratetypeIsMergeable } from './constants';
import type { FreeArea } from './free-area';
import { type PageFrames, PB_MIGRATE_ISOLATE_BIT, PG_BUDDY, PG_RESERVED } from './page-frames';

/**
 * `__free_one_page`: merges the block with free buddies of equal order (never across pageblocks
 * of differing types unless both are mergeable; the buddy's pageblocks then take this type)
 * and puts the result on the free list of its pageblock's type.
 */
export function freeOnePage(
  frames: PageFrames,
  area: FreeArea,
  maxPageOrder: number,
  index: number,
  order: number,
): void {
  const pbOrder = frames.pageblockOrder;
  const blockFlags = frames.pageblock[index >>> pbOrder]!;
  if (order > pbOrder && !samePageblockFlags(frames, index, order)) {
    // `split_large_buddy`: a block over pageblocks of differing types is freed pageblock by
    // pageblock, so each piece lands on its own type's list.
    for (let piece = index; piece < index + 2 ** order; piece += 2 ** pbOrder) {
      freeOnePage(frames, area, maxPageOrder, piece, pbOrder);
    }
    return;
  }
  let pfn = frames.pfnOf(index);
  const span = frames.spanOf(pfn)!;
  while (order < maxPageOrder) {
    const size = 1 << order;
    // pfn & size is exact for pfns below 2^53 (ToInt32 keeps the low 32 bits).
    const delta = (pfn & size) === 0 ? size : -size;
    const buddyPfn = pfn + delta;
    if (buddyPfn < span.startPfn || buddyPfn >= span.endPfn) break;
    const buddy = index + delta;
    if ((frames.flags[buddy]! & PG_BUDDY) === 0 || frames.order[buddy] !== order) break;
    let retype = false;
    if (order >= pbOrder) {
      const buddyFlags = frames.pageblock[buddy >>> pbOrder]!;
      if (buddyFlags !== blockFlags) {
        const isolated = ((buddyFlags | blockFlags) & PB_MIGRATE_ISOLATE_BIT) !== 0;
        if (isolated || !migratetypeIsMergeable(buddyFlags) || !migratetypeIsMergeable(blockFlags))
          break;
        retype = true;
      }
    }
    area.remove(buddy, span.zone);
    if (retype) frames.pageblock.fill(blockFlags, buddy >>> pbOrder, (buddy + size) >>> pbOrder);
    if (delta < 0) {
      index = buddy;
      pfn = buddyPfn;
    }
    order++;
  }
  area.add(index, order, frames.effectiveType(index >>> pbOrder), span.zone);
}

function samePageblockFlags(frames: PageFrames, index: number, order: number): boolean {
  const pbOrder = frames.pageblockOrder;
  const first = frames.pageblock[index >>> pbOrder];
  for (let block = (index >>> pbOrder) + 1; block < (index + 2 ** order) >>> pbOrder; block++) {
    if (frames.pageblock[block] !== first) return false;
  }
  return true;
}

/** Frees every still-reserved frame of [startPfn, endPfn) in the largest aligned blocks. */
export function freeReservedRange(buddy: BuddyAllocator, startPfn: number, endPfn: number): void {
  const frames = buddy.frames;
  let pfn = startPfn;
  while (pfn < endPfn) {
    const span = frames.spanOf(pfn);
    if (span === null) {
      pfn++;
      continue;
    }
    const stop = Math.min(endPfn, span.endPfn);
    const index = span.offset + (pfn - span.startPfn);
    if ((frames.flags[index]! & PG_RESERVED) === 0) {
      pfn++;
      continue;
    }
    let order = 0;
    while (
      order < buddy.maxPageOrder &&
      pfn % 2 ** (order + 1) === 0 &&
      pfn + 2 ** (order + 1) <= stop &&
      allReserved(frames, index, 2 ** (order + 1))
    ) {
      order++;
    }
    frames.flags.fill(0, index, index + 2 ** order);
    buddy.managedPages[span.zone]! += 2 ** order;
    buddy.freeOne(index, order);
    pfn += 2 ** order;
  }
}

function allReserved(frames: PageFrames, index: number, count: number): boolean {
  const flags = frames.flags;
  for (let k = index; k < index + count; k++) if (flags[k] !== PG_RESERVED) return false;
  return true;
}
