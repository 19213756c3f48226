import { hex } from '@socmem/hw-sim';
import type { BuddyAllocator } from '../mm/buddy-allocator';
import type { Bitmap } from '../util/bitmap';
import type { CmaAreas } from './cma-areas';

/** `CMA_MAX_RANGES`: ranges per area (multi-range areas, Linux 6.15). */
export const CMA_MAX_RANGES = 8;
/** `CMA_MAX_NAME`. */
export const CMA_MAX_NAME = 64;

/** `struct cma_memrange`: one physically contiguous range of an area and its bitmap. */
export class CmaMemrange {
  readonly basePfn: number;
  readonly count: number;
  /** First pfn not taken by `cmaReserveEarly` (equals basePfn when nothing was). */
  earlyPfn: number;
  /** One bit per 2^orderPerBit pages, 1 = allocated by CMA. Null until activation. */
  bitmap: Bitmap | null = null;

  constructor(basePfn: number, count: number) {
    this.basePfn = basePfn;
    this.count = count;
    this.earlyPfn = basePfn;
  }

  /** One past the last pfn. */
  get endPfn(): number {
    return this.basePfn + this.count;
  }
}

/**
 * `struct cma` (mm/cma.h): a named set of up to 8 ranges reserved at boot, lent to the buddy
 * allocator as MIGRATE_CMA pageblocks once activated, and handed out contiguously by
 * `cmaAlloc`. `count` and `availableCount` are in pages; `availableCount` moves by the
 * requested page count (not the rounded-up bit count), as in Linux.
 *
 * Locking (documented, not needed in single-threaded JS): `cma->lock` (a spinlock since 5.14)
 * guards the bitmaps and `availableCount` and is held only around bitmap search/set/clear;
 * `cma->alloc_mutex` (per area since 2025, a global `cma_mutex` before) serialises
 * `alloc_contig_range`. Bits are claimed before migration starts and cleared after a failure,
 * so a concurrent allocator sees a claimed range as busy.
 */
export class Cma {
  readonly name: string;
  readonly orderPerBit: number;
  readonly ranges: CmaMemrange[] = [];
  readonly registry: CmaAreas;
  /** Pages of the area. */
  count = 0;
  /** Pages not allocated (`cma->available_count`). */
  availableCount = 0;
  /** sysfs counters (pages). */
  nrPagesSucceeded = 0;
  nrPagesFailed = 0;
  nrPagesReleased = 0;
  /** `cma_reserve_pages_on_error`: keep the pages reserved when activation fails. */
  reservePagesOnError = false;
  /** CMA_ACTIVATED. */
  activated = false;
  /** Owner id of the frames this area's allocations take. */
  ownerId = 0;

  constructor(registry: CmaAreas, name: string, orderPerBit: number) {
    this.registry = registry;
    this.name = name;
    this.orderPerBit = orderPerBit;
  }

  /** `cma_get_base`: the base of the first range (WARNs when the area has several). */
  get base(): number {
    if (this.ranges.length !== 1)
      this.registry.machine.diagnostics.warn(
        'cma',
        `${this.name}: cma_get_base on an area of ${this.ranges.length} ranges`,
      );
    return (this.ranges[0]?.basePfn ?? 0) * this.registry.pageSize;
  }

  /** `cma_get_size` in bytes. */
  get size(): number {
    return this.count * this.registry.pageSize;
  }

  /** The buddy allocator the area lends its pages to (after activation). */
  get buddy(): BuddyAllocator {
    return this.registry.requireBuddy();
  }

  /** The range holding `pfn`, or null. */
  rangeOf(pfn: number): CmaMemrange | null {
    for (const range of this.ranges) if (pfn >= range.basePfn && pfn < range.endPfn) return range;
    return null;
  }

  /** `cma_intersects`: true when one of the ranges overlaps the physical [start, end). */
  intersects(start: number, end: number): boolean {
    const pageSize = this.registry.pageSize;
    return this.ranges.some(
      (range) => start < range.endPfn * pageSize && range.basePfn * pageSize < end,
    );
  }

  toString(): string {
    const pageSize = this.registry.pageSize;
    const ranges = this.ranges
      .map((range) => `${hex(range.basePfn * pageSize)}+${hex(range.count * pageSize)}`)
      .join(', ');
    return `cma ${this.name}: ${this.count} pages [${ranges}]`;
  }
}
