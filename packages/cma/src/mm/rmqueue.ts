import {
  FALLBACKS,
  MIGRATE_CMA,
  MIGRATE_HIGHATOMIC,
  MIGRATE_MOVABLE,
  MIGRATE_RECLAIMABLE,
  MIGRATE_UNMOVABLE,
} from './constants';
import type { FreeArea } from './free-area';
import { type PageFrames, PG_ALLOCATED, PG_BUDDY, PG_LRU } from './page-frames';
import type { PageblockOps } from './pageblock-ops';

/**
 * `__rmqueue` and its helpers (mm/page_alloc.c, v6.16): take a block of `order` from a zone
 * for a request of `migratetype`, returning the frame index of the block or -1.
 *
 * Order of preference:
 * 1. With ALLOC_CMA, when more than half of the zone's free pages are CMA, MIGRATE_CMA first
 *    (the 2020 balancing rule).
 * 2. The request's own free lists (`__rmqueue_smallest`).
 * 3. With ALLOC_CMA, MIGRATE_CMA (`__rmqueue_cma_fallback`).
 * 4. `__rmqueue_claim`: the largest fallback block, claiming its pageblock when enough of it
 *    is free or alike.
 * 5. `__rmqueue_steal`: the smallest fallback block, pageblock type unchanged.
 * CMA pageblocks are never claimed or stolen: they are not in any fallback list.
 * Not modelled: per-CPU lists, watermarks, ALLOC_NOFRAGMENT and highatomic reserves.
 */
export class Rmqueue {
  private readonly frames: PageFrames;
  private readonly area: FreeArea;
  private readonly blocks: PageblockOps;
  private readonly maxPageOrder: number;
  private readonly pageblockOrder: number;

  constructor(frames: PageFrames, area: FreeArea, blocks: PageblockOps, maxPageOrder: number) {
    this.frames = frames;
    this.area = area;
    this.blocks = blocks;
    this.maxPageOrder = maxPageOrder;
    this.pageblockOrder = frames.pageblockOrder;
  }

  rmqueue(zone: number, order: number, migratetype: number, allocCma: boolean): number {
    const area = this.area;
    if (allocCma && area.zoneFreeCmaPages(zone) > Math.floor(area.zoneFreePages(zone) / 2)) {
      const page = this.smallest(zone, order, MIGRATE_CMA);
      if (page >= 0) return page;
    }
    let page = this.smallest(zone, order, migratetype);
    if (page >= 0) return page;
    if (allocCma) {
      page = this.smallest(zone, order, MIGRATE_CMA);
      if (page >= 0) return page;
    }
    if (migratetype >= FALLBACKS.length) return -1;
    page = this.claim(zone, order, migratetype);
    if (page >= 0) return page;
    return this.steal(zone, order, migratetype);
  }

  /** `__rmqueue_smallest`: the smallest block of `order` or more on one type's lists, split down. */
  smallest(zone: number, order: number, migratetype: number): number {
    for (let current = order; current <= this.maxPageOrder; current++) {
      const index = this.area.first(zone, current, migratetype);
      if (index < 0) continue;
      this.area.remove(index, zone);
      this.expand(index, order, current, migratetype, zone);
      return index;
    }
    return -1;
  }

  /** `expand`: gives back the upper halves of a split block, largest first, on `migratetype`'s lists. */
  expand(index: number, low: number, high: number, migratetype: number, zone: number): void {
    while (high > low) {
      high--;
      this.area.add(index + (1 << high), high, migratetype, zone);
    }
  }

  /** `__rmqueue_claim`: largest order first; movable requests only claim from half a pageblock up. */
  private claim(zone: number, order: number, startType: number): number {
    for (let current = this.maxPageOrder; current >= order; current--) {
      if (!this.shouldTryClaimBlock(current, startType)) return -1;
      const fallback = this.findFallback(zone, current, startType);
      if (fallback < 0) continue;
      const index = this.area.first(zone, current, fallback);
      const page = this.tryToClaimBlock(index, current, order, startType, fallback, zone);
      if (page >= 0) return page;
    }
    return -1;
  }

  /** `__rmqueue_steal`: smallest fallback block, taken without changing its pageblock. */
  private steal(zone: number, order: number, startType: number): number {
    for (let current = order; current <= this.maxPageOrder; current++) {
      const fallback = this.findFallback(zone, current, startType);
      if (fallback < 0) continue;
      const index = this.area.first(zone, current, fallback);
      this.area.remove(index, zone);
      this.expand(index, order, current, fallback, zone);
      return index;
    }
    return -1;
  }

  /** `should_try_claim_block`. */
  private shouldTryClaimBlock(order: number, startType: number): boolean {
    if (order >= this.pageblockOrder) return true;
    if (order >= this.pageblockOrder >>> 1) return true;
    return startType === MIGRATE_RECLAIMABLE || startType === MIGRATE_UNMOVABLE;
  }

  /** `find_suitable_fallback`: the first type in `fallbacks[startType]` with a free block of `order`. */
  private findFallback(zone: number, order: number, startType: number): number {
    for (const type of FALLBACKS[startType]!) {
      if (this.area.first(zone, order, type) >= 0) return type;
    }
    return -1;
  }

  /** `try_to_claim_block`. */
  private tryToClaimBlock(
    index: number,
    current: number,
    order: number,
    startType: number,
    blockType: number,
    zone: number,
  ): number {
    if (blockType === MIGRATE_HIGHATOMIC) return -1;
    const pbOrder = this.pageblockOrder;
    if (current >= pbOrder) {
      this.area.remove(index, zone);
      for (let block = index >>> pbOrder; block < (index + 2 ** current) >>> pbOrder; block++) {
        this.frames.pageblock[block] = startType;
      }
      this.expand(index, order, current, startType, zone);
      return index;
    }
    const block = index >>> pbOrder;
    const { free, movable } = this.countPageblock(block);
    const blockPages = 2 ** pbOrder;
    let alike = 0;
    if (startType === MIGRATE_MOVABLE) alike = movable;
    else if (blockType === MIGRATE_MOVABLE) alike = blockPages - (free + movable);
    if (free + alike >= blockPages >>> 1) {
      this.blocks.setPageblockType(block, startType);
      return this.smallest(zone, order, startType);
    }
    return -1;
  }

  /** Free and movable-in-use pages of a pageblock (`prep_move_freepages_block`). */
  private countPageblock(block: number): { free: number; movable: number } {
    const frames = this.frames;
    const start = block << this.pageblockOrder;
    const end = start + 2 ** this.pageblockOrder;
    let free = 0;
    let movable = 0;
    for (let index = start; index < end; ) {
      const flags = frames.flags[index]!;
      if ((flags & PG_BUDDY) !== 0) {
        const size = 2 ** frames.order[index]!;
        free += size;
        index += size;
        continue;
      }
      if ((flags & PG_ALLOCATED) !== 0 && (flags & PG_LRU) !== 0) movable++;
      index++;
    }
    return { free, movable };
  }
}
