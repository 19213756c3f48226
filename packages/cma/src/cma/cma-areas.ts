import { type Machine, SocmemError } from '@socmem/hw-sim';
import type { BuddyAllocator } from '../mm/buddy-allocator';
import type { Memblock } from '../mm/memblock';
import type { Cma } from './cma';

declare module '@socmem/hw-sim' {
  interface TraceEvents {
    /** CMA tracepoints (include/trace/events/cma.h): cma_alloc_start, cma_alloc_busy_retry, cma_alloc_finish, cma_release. */
    cma: {
      op: 'alloc_start' | 'alloc_busy_retry' | 'alloc_finish' | 'release';
      name: string;
      pfn: number;
      count: number;
      align: number;
      errno: number;
    };
  }
}

/** `CONFIG_CMA_AREAS` default without NUMA. */
export const DEFAULT_CMA_AREAS = 8;

/** One line of the simulated kernel log (pr_err, pr_info). */
export interface KernelLogLine {
  readonly level: 'err' | 'info';
  readonly message: string;
}

/**
 * Every CMA area of a machine (`cma_areas[]`, `cma_area_count`, `totalcma_pages`) plus the
 * vmstat events `cma_alloc_success`/`cma_alloc_fail` (counted per call) and the kernel log
 * lines CMA prints.
 */
export class CmaAreas {
  readonly machine: Machine;
  readonly memblock: Memblock;
  readonly buddyAllocator: BuddyAllocator;
  readonly pageSize: number;
  readonly pageblockOrder: number;
  /** MAX_CMA_AREAS (= CONFIG_CMA_AREAS). */
  readonly maxAreas: number;
  readonly areas: Cma[] = [];
  /** `totalcma_pages` (/proc/meminfo CmaTotal in pages). */
  totalcmaPages = 0;
  /** /proc/vmstat cma_alloc_success and cma_alloc_fail (per call). */
  readonly vmstat = { cmaAllocSuccess: 0, cmaAllocFail: 0 };
  readonly log: KernelLogLine[] = [];
  /** True once `cmaActivateAreas` ran (core_initcall). */
  activated = false;

  constructor(buddy: BuddyAllocator, memblock: Memblock, options: { maxAreas?: number } = {}) {
    this.machine = buddy.machine;
    this.buddyAllocator = buddy;
    this.memblock = memblock;
    this.pageSize = buddy.pageSize;
    this.pageblockOrder = buddy.pageblockOrder;
    this.maxAreas = options.maxAreas ?? DEFAULT_CMA_AREAS;
  }

  /** CMA_MIN_ALIGNMENT_PAGES = pageblock_nr_pages. */
  get minAlignmentPages(): number {
    return 2 ** this.pageblockOrder;
  }

  /** CMA_MIN_ALIGNMENT_BYTES. */
  get minAlignmentBytes(): number {
    return this.pageSize * this.minAlignmentPages;
  }

  /** The buddy allocator; ENODEV before activation hands the areas to it. */
  requireBuddy(): BuddyAllocator {
    if (!this.activated)
      throw new SocmemError('ENODEV', 'cma: areas are not activated yet (cma_init_reserved_areas)');
    return this.buddyAllocator;
  }

  /** The area named `name`, or undefined. */
  find(name: string): Cma | undefined {
    return this.areas.find((area) => area.name === name);
  }

  /** `cma_for_each_area`: stops at, and returns, the first non-zero result. */
  forEachArea(body: (cma: Cma) => number): number {
    for (const area of this.areas) {
      const result = body(area);
      if (result !== 0) return result;
    }
    return 0;
  }

  /** Records a kernel log line. */
  printk(level: 'err' | 'info', message: string): void {
    this.log.push({ level, message });
  }

  /** /proc/meminfo CmaTotal and CmaFree, in kB (CmaFree = free buddy pages in CMA pageblocks). */
  meminfo(): { CmaTotal: number; CmaFree: number } {
    const kb = this.pageSize / 1024;
    return {
      CmaTotal: this.totalcmaPages * kb,
      CmaFree: this.buddyAllocator.freeCmaPageCount * kb,
    };
  }
}
