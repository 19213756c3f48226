/** Frames still held, grouped by the owner tag given when they were allocated. */
export interface LeakReportEntry {
  readonly owner: string;
  /** Pages (of the allocator's page size) held by this owner. */
  readonly pages: number;
  /** Separate allocations those pages came from. */
  readonly allocations: number;
}

/**
 * The page allocator interface every layer allocates physical pages through: 2^order
 * naturally aligned, zeroed pages (zeroed as the CPU sees them). hw-sim ships a simple
 * implementation; @socmem/cma provides the buddy allocator behind the same interface.
 */
export interface PageAllocator {
  /** Bytes per page (4096 unless configured otherwise). */
  readonly pageSize: number;
  /**
   * Allocates 2^order contiguous pages aligned to their size, zeroed, tagged with `owner`.
   * Returns the physical address. Throws ENOMEM when no such block is free.
   */
  allocPages(order: number, owner: string): number;
  /** Frees a block returned by `allocPages` with the same order. */
  freePages(pa: number, order: number): void;
  /** Pages still allocated, by owner, sorted by owner. Empty when nothing leaked. */
  leakReport(): LeakReportEntry[];
}
