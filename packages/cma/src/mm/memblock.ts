import { hex, SocmemError } from '@socmem/hw-sim';
import type { BuddyAllocator } from './buddy-allocator';

/** A physical range [base, base + size). */
export interface PhysRange {
  readonly base: number;
  readonly size: number;
}

/**
 * The boot-time memory allocator (mm/memblock.c, reduced): the memory ranges and the reserved
 * ranges. CMA areas are carved out of it before the buddy allocator takes over; `freeAll`
 * then hands every unreserved page to the buddy allocator (`memblock_free_all`).
 */
export class Memblock {
  readonly memory: readonly PhysRange[];
  private reservedRanges: PhysRange[] = [];
  /** Top-down (false, Linux's default) or bottom-up allocation. */
  bottomUp = false;

  constructor(memory: readonly PhysRange[]) {
    this.memory = [...memory].sort((a, b) => a.base - b.base);
  }

  /** Memblock over the buddy allocator's managed spans. */
  static forBuddy(buddy: BuddyAllocator): Memblock {
    return new Memblock(
      buddy.frames.spans.map((span) => ({
        base: span.startPfn * buddy.pageSize,
        size: (span.endPfn - span.startPfn) * buddy.pageSize,
      })),
    );
  }

  /** The reserved ranges, sorted and merged. */
  get reserved(): readonly PhysRange[] {
    return this.reservedRanges;
  }

  /** `memblock_end_of_DRAM`. */
  get end(): number {
    const last = this.memory[this.memory.length - 1];
    return last === undefined ? 0 : last.base + last.size;
  }

  /** `memblock_phys_mem_size`. */
  get physMemSize(): number {
    return this.memory.reduce((sum, range) => sum + range.size, 0);
  }

  /** `memblock_is_region_reserved`: true when any byte of the range is reserved. */
  isRegionReserved(base: number, size: number): boolean {
    return this.reservedRanges.some(
      (range) => base < range.base + range.size && range.base < base + size,
    );
  }

  /** True when [base, base + size) is all memory. */
  isRegionMemory(base: number, size: number): boolean {
    let at = base;
    for (const range of this.memory) {
      if (range.base <= at && at < range.base + range.size) at = range.base + range.size;
    }
    return at >= base + size;
  }

  /** `memblock_reserve`. */
  reserve(base: number, size: number): void {
    if (size <= 0)
      throw new SocmemError('EINVAL', `memblock: reserve of ${size} bytes at ${hex(base)}`);
    const all = [...this.reservedRanges, { base, size }].sort((a, b) => a.base - b.base);
    const merged: PhysRange[] = [];
    for (const range of all) {
      const last = merged[merged.length - 1];
      if (last !== undefined && range.base <= last.base + last.size) {
        merged[merged.length - 1] = {
          base: last.base,
          size: Math.max(last.base + last.size, range.base + range.size) - last.base,
        };
      } else merged.push(range);
    }
    this.reservedRanges = merged;
  }

  /** `memblock_phys_free`: un-reserves a range. */
  free(base: number, size: number): void {
    const end = base + size;
    const out: PhysRange[] = [];
    for (const range of this.reservedRanges) {
      const rangeEnd = range.base + range.size;
      if (rangeEnd <= base || range.base >= end) {
        out.push(range);
        continue;
      }
      if (range.base < base) out.push({ base: range.base, size: base - range.base });
      if (rangeEnd > end) out.push({ base: end, size: rangeEnd - end });
    }
    this.reservedRanges = out;
  }

  /**
   * `memblock_alloc_range_nid`: finds and reserves `size` bytes aligned to `align` inside
   * [start, end), top-down unless `bottomUp`. Returns the base, or 0 when nothing fits.
   */
  allocRange(size: number, align: number, start: number, end: number): number {
    const free = this.freeRanges();
    const low = Math.max(start, 4096); // memblock never hands out the page at 0
    if (this.bottomUp) {
      for (const range of free) {
        const base = Math.ceil(Math.max(range.base, low) / align) * align;
        if (base + size <= Math.min(range.base + range.size, end)) return this.take(base, size);
      }
    } else {
      for (let k = free.length - 1; k >= 0; k--) {
        const range = free[k]!;
        const top = Math.min(range.base + range.size, end);
        const base = Math.floor((top - size) / align) * align;
        if (top - size >= 0 && base >= Math.max(range.base, low)) return this.take(base, size);
      }
    }
    return 0;
  }

  /** Memory minus reserved, sorted. */
  freeRanges(): PhysRange[] {
    const out: PhysRange[] = [];
    for (const range of this.memory) {
      let at = range.base;
      const end = range.base + range.size;
      for (const reserved of this.reservedRanges) {
        const reservedEnd = reserved.base + reserved.size;
        if (reservedEnd <= at || reserved.base >= end) continue;
        if (reserved.base > at) out.push({ base: at, size: reserved.base - at });
        at = Math.max(at, reservedEnd);
      }
      if (at < end) out.push({ base: at, size: end - at });
    }
    return out;
  }

  /** `memblock_free_all`: every unreserved page goes to the buddy allocator. */
  freeAll(buddy: BuddyAllocator): void {
    for (const range of this.freeRanges()) {
      const startPfn = Math.ceil(range.base / buddy.pageSize);
      const endPfn = Math.floor((range.base + range.size) / buddy.pageSize);
      if (endPfn > startPfn) buddy.freeBootMemory(startPfn, endPfn);
    }
  }

  private take(base: number, size: number): number {
    this.reserve(base, size);
    return base;
  }
}
