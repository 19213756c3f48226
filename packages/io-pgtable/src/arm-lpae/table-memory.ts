import type { DataCache, FailPointSite, FailPoints, PageAllocator } from '@socmem/hw-sim';
import { getOrder, IO_PGTABLE_ALLOC_FAIL_POINT, tableAllocFailPointError } from '../table-pages';
import { ARM_LPAE_PAGE_OWNER } from './constants';

/** Linux's minimum LPAE table allocation: "the HW requires a minimum alignment of at least 64". */
const MIN_TABLE_ALLOC = 64;

/**
 * Where LPAE tables live: `__arm_lpae_alloc_pages`, `__arm_lpae_free_pages` and
 * `__arm_lpae_sync_pte` over a PageAllocator and the CPU cache.
 *
 * Every table takes whole pages from the allocator: 2^order pages, naturally aligned, for
 * max(size, 64) bytes. So a table is aligned to at least its own size and to 64 bytes as
 * Linux requires; a start-level table smaller than a page (e.g. 32 B for a 32-bit ias) takes
 * a page of its own, as Linux did before v6.15 (get_order(size)).
 */
export class ArmLpaeTableMemory {
  private readonly allocator: PageAllocator;
  private readonly cache: DataCache;
  /** The 'io-pgtable-alloc' fail point, held so a check costs no name lookup. */
  private readonly allocFailPoint: FailPointSite;
  private readonly coherentWalk: boolean;
  /** Table pages currently held (for checkInvariants and tests). */
  pagesHeld = 0;
  /** Called whenever a table is freed (the ops drop their walk memo). */
  onFree: () => void = () => undefined;

  constructor(
    allocator: PageAllocator,
    cache: DataCache,
    failPoints: FailPoints,
    coherentWalk: boolean,
  ) {
    this.allocator = allocator;
    this.cache = cache;
    this.allocFailPoint = failPoints.site(IO_PGTABLE_ALLOC_FAIL_POINT);
    this.coherentWalk = coherentWalk;
  }

  /**
   * Allocates a zeroed table of `size` bytes and returns its physical address. With a
   * non-coherent walk the zeroed table is cleaned to memory (dma_map_single, DMA_TO_DEVICE).
   * Throws ENOMEM, taking nothing, when the fail point or the allocator fails.
   */
  alloc(size: number): number {
    if (this.allocFailPoint.shouldFail()) {
      throw tableAllocFailPointError('io-pgtable-arm', `table of ${size} bytes`);
    }
    const order = this.orderFor(size);
    const pa = this.allocator.allocPages(order, ARM_LPAE_PAGE_OWNER);
    this.pagesHeld += 2 ** order;
    if (!this.coherentWalk) this.cache.clean(pa, size);
    return pa;
  }

  /** Returns a table allocated with `alloc(size)`. */
  free(pa: number, size: number): void {
    const order = this.orderFor(size);
    this.onFree();
    this.allocator.freePages(pa, order);
    this.pagesHeld -= 2 ** order;
  }

  /** `__arm_lpae_sync_pte`: cleans `count` descriptors at `ptep` for a non-coherent walker. */
  sync(ptep: number, count: number): void {
    if (!this.coherentWalk && count > 0) this.cache.clean(ptep, 8 * count);
  }

  /** Allocator pages a table of `size` bytes takes. */
  pagesFor(size: number): number {
    return 2 ** this.orderFor(size);
  }

  private orderFor(size: number): number {
    return getOrder(Math.max(size, MIN_TABLE_ALLOC), this.allocator.pageSize);
  }
}
