import type { BuddyAllocator } from './buddy-allocator';
import { migratetypeIsMergeable } from './constants';
import type { FreeArea } from './free-area';
import { type PageFrames, PG_RESERVED } from './page-frames';

/**
 * `__free_one_page`: merges the block with free buddies of equal order (never across pageblocks
 * of differing types unless both are mergeable; the buddy's pageblocks then take this type)
 * and puts the result on the free list of its pageblock's type: at the tail when `toTail`
 * (FPI_TO_TAIL) or when `buddy_merge_likely`, at the head otherwise.
 */
export function freeOnePage(
  frames: PageFrames,
  area: FreeArea,
  maxPageOrder: number,
  index: number,
  order: number,
  toTail = false,
): void {
  const pbOrder = frames.pageblockOrder;
  const blockFlags = frames.pageblock[index >>> pbOrder]!;
  if (order > pbOrder && !samePageblockFlags(frames, index, order)) {
    // `split_large_buddy`: a block over pageblocks of differing types is freed pageblock by
    // pageblock, so each piece lands on its own type's list.
    for (let piece = index; piece < index + 2 ** order; piece += 2 ** pbOrder) {
      freeOnePage(frames, area, maxPageOrder, piece, pbOrder, toTail);
    }
    return;
  }
  const span = frames.spanOfIndex(index);
  let pfn = span.startPfn + (index - span.offset);
  while (order < maxPageOrder) {
    const size = 1 << order;
    // pfn & size is exact for pfns below 2^53 (ToInt32 keeps the low 32 bits).
    const delta = (pfn & size) === 0 ? size : -size;
    const buddyPfn = pfn + delta;
    if (buddyPfn < span.startPfn || buddyPfn >= span.endPfn) break;
    const buddy = index + delta;
    // PG_BUDDY (1) and PB_MIGRATE_ISOLATE_BIT (8) as literals: this loop runs on every free,
    // and V8 reloads a module-level const from the module context on each access.
    if ((frames.flags[buddy]! & 1) === 0 || frames.order[buddy] !== order) break;
    let retype = false;
    if (order >= pbOrder) {
      const buddyFlags = frames.pageblock[buddy >>> pbOrder]!;
      if (buddyFlags !== blockFlags) {
        const isolated = ((buddyFlags | blockFlags) & 8) !== 0;
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
  const type = frames.effectiveType(index >>> pbOrder);
  if (
    toTail ||
    buddyMergeLikely(frames, pfn, index, order, maxPageOrder, span.endPfn, span.startPfn)
  )
    area.addTail(index, order, type, span.zone);
  else area.add(index, order, type, span.zone);
}

/**
 * `buddy_merge_likely` (mm/page_alloc.c, v6.16): below MAX_PAGE_ORDER - 1, is the buddy of the
 * combined block one order up free at that order (`page_is_buddy`)? Then this block's own buddy
 * may be freed soon, so it goes to the tail of its list, where it waits longest.
 */
function buddyMergeLikely(
  frames: PageFrames,
  pfn: number,
  index: number,
  order: number,
  maxPageOrder: number,
  spanEnd: number,
  spanStart: number,
): boolean {
  if (order >= maxPageOrder - 1) return false;
  // higher_page_pfn = buddy_pfn & pfn: the pfn with bit `order` cleared.
  const size = 1 << order;
  const higherPfn = (pfn & size) === 0 ? pfn : pfn - size;
  // Its buddy one order up: higher_page_pfn ^ (2 << order).
  const higherBuddyPfn =
    (higherPfn & (size << 1)) === 0 ? higherPfn + 2 * size : higherPfn - 2 * size;
  // page_is_buddy also requires the same zone: a span is one zone's memory.
  if (higherBuddyPfn < spanStart || higherBuddyPfn >= spanEnd) return false;
  const higherBuddy = index + (higherBuddyPfn - pfn);
  return (frames.flags[higherBuddy]! & 1) !== 0 && frames.order[higherBuddy] === order + 1; // PG_BUDDY
}

function samePageblockFlags(frames: PageFrames, index: number, order: number): boolean {
  const pbOrder = frames.pageblockOrder;
  const first = frames.pageblock[index >>> pbOrder];
  for (let block = (index >>> pbOrder) + 1; block < (index + 2 ** order) >>> pbOrder; block++) {
    if (frames.pageblock[block] !== first) return false;
  }
  return true;
}

/**
 * Frees every still-reserved frame of [startPfn, endPfn): each run of reserved frames is
 * handed over (counted as managed pages) in the largest aligned blocks.
 */
export function freeReservedRange(buddy: BuddyAllocator, startPfn: number, endPfn: number): void {
  const frames = buddy.frames;
  const flags = frames.flags;
  let pfn = startPfn;
  while (pfn < endPfn) {
    const span = frames.spanOf(pfn);
    if (span === null) {
      pfn++;
      continue;
    }
    const index = span.offset + (pfn - span.startPfn);
    const runEnd = index + (Math.min(endPfn, span.endPfn) - pfn);
    let run = index;
    while (run < runEnd && (flags[run]! & PG_RESERVED) !== 0) run++;
    if (run === index) {
      pfn++;
      continue;
    }
    flags.fill(0, index, run);
    buddy.managedPages[span.zone]! += run - index;
    // `__free_pages_core` frees with FPI_TO_TAIL (fresh memory goes to the tail of the lists).
    freeRangeToBuddy(buddy, index, pfn, run - index, true);
    pfn += run - index;
  }
}

/**
 * Frees [pfn, pfn + count), frame `index` onwards, in the largest naturally aligned blocks;
 * `toTail` is FPI_TO_TAIL.
 */
export function freeRangeToBuddy(
  buddy: BuddyAllocator,
  index: number,
  pfn: number,
  count: number,
  toTail = false,
): void {
  while (count > 0) {
    let order = 0;
    while (order < buddy.maxPageOrder && pfn % 2 ** (order + 1) === 0 && 2 ** (order + 1) <= count)
      order++;
    buddy.freeOne(index, order, toTail);
    index += 2 ** order;
    pfn += 2 ** order;
    count -= 2 ** order;
  }
}
