import {
  type FailPointSite,
  hex,
  type LeakReportEntry,
  type Machine,
  type PageAllocator,
  SocmemError,
} from '@socmem/hw-sim';
import { resolveBuddyGeometry } from './buddy-geometry';
import { checkBuddyInvariants } from './buddy-invariants';
import { MAX_NR_ZONES, ZONE_NAMES } from './constants';
import { FreeArea } from './free-area';
import { freeOnePage, freeReservedRange } from './free-one-page';
import { __GFP_ZERO, GFP_KERNEL, gfpMigratetype } from './gfp';
import { frameLeakReport } from './leak-report';
import { Migrator } from './migrate';
import { OwnerRegistry } from './owner-registry';
import { PageFrames, PG_ALLOCATED, PG_HEAD } from './page-frames';
import { PageblockOps } from './pageblock-ops';
import { Rmqueue } from './rmqueue';

/** How to build a buddy allocator. */
export interface BuddyAllocatorOptions {
  /** Bytes per page: 4096 (default), 16384 or 65536. RAM frames stay 4 KiB underneath. */
  readonly pageSize?: number;
  /** Default by page size: 9 for 4 KiB (2 MiB pageblocks), 11 for 16 KiB, 13 for 64 KiB. */
  readonly pageblockOrder?: number;
  /** Default by page size: 10 for 4 KiB, 11 for 16 KiB, 13 for 64 KiB. */
  readonly maxPageOrder?: number;
  /** Physical ranges to manage. Default: every RAM bank of the machine. */
  readonly ranges?: readonly { readonly base: number; readonly size: number }[];
  readonly name?: string;
}

/**
 * Linux's zoned buddy page allocator with migratetypes (mm/page_alloc.c, v6.16), over the
 * machine's RAM. Every frame starts reserved (as under memblock); `freeBootMemory` hands
 * ranges over, as `memblock_free_all` does. Implements hw-sim's {@link PageAllocator}
 * (unmovable, zeroed pages), so io-pgtable can allocate page tables from it.
 * Fail point: `buddy-alloc`.
 */
export class BuddyAllocator implements PageAllocator {
  readonly name: string;
  readonly machine: Machine;
  readonly pageSize: number;
  readonly maxPageOrder: number;
  readonly pageblockOrder: number;
  readonly frames: PageFrames;
  readonly freeArea: FreeArea;
  readonly pageblocks: PageblockOps;
  readonly owners = new OwnerRegistry();
  /**
   * Nesting depth of `memalloc_pin_save` (PF_MEMALLOC_PIN): while > 0, `current_gfp_context`
   * clears __GFP_MOVABLE from every request, so nothing is allocated from CMA pageblocks.
   */
  memallocPinDepth = 0;
  readonly migrator: Migrator;
  private readonly rmqueueOps: Rmqueue;
  /** The 'buddy-alloc' fail point, held so a check costs no name lookup. */
  private readonly allocFailPoint: FailPointSite;
  /** Pages ever handed to the allocator (managed pages), per zone. */
  readonly managedPages = new Float64Array(MAX_NR_ZONES);

  constructor(machine: Machine, options: BuddyAllocatorOptions = {}) {
    this.allocFailPoint = machine.failPoints.site('buddy-alloc');
    const { pageSize, maxPageOrder, pageblockOrder } = resolveBuddyGeometry(options);
    this.name = options.name ?? 'buddy';
    this.machine = machine;
    this.pageSize = pageSize;
    this.maxPageOrder = maxPageOrder;
    this.pageblockOrder = pageblockOrder;
    const ranges =
      options.ranges ?? machine.ram.banks.map((bank) => ({ base: bank.base, size: bank.size }));
    this.frames = new PageFrames(ranges, pageSize, pageblockOrder);
    this.freeArea = new FreeArea(this.frames, maxPageOrder);
    this.pageblocks = new PageblockOps(this.frames, this.freeArea, maxPageOrder);
    this.rmqueueOps = new Rmqueue(this.frames, this.freeArea, this.pageblocks, maxPageOrder);
    this.migrator = new Migrator(this);
  }

  /** Physical address of a pfn. */
  pfnToPhys(pfn: number): number {
    return pfn * this.pageSize;
  }

  /** Pfn of a physical address (rounded down). */
  physToPfn(pa: number): number {
    return Math.floor(pa / this.pageSize);
  }

  /**
   * Hands reserved memory to the allocator (`memblock_free_all` / `free_reserved_page`): every
   * frame of [startPfn, endPfn) still reserved is freed in the largest aligned blocks.
   */
  freeBootMemory(startPfn: number, endPfn: number): void {
    freeReservedRange(this, startPfn, endPfn);
  }

  /**
   * Allocates 2^order pages with Linux's GFP semantics and returns the frame index of the
   * first. Movable requests may use CMA pageblocks (ALLOC_CMA) unless PF_MEMALLOC_PIN is set.
   * Zones: __GFP_DMA32 requests only ZONE_DMA32; others try ZONE_NORMAL, then ZONE_DMA32.
   * Throws ENOMEM when no zone has such a block.
   */
  allocFrames(gfp: number, order: number, ownerId: number): number {
    if (!Number.isInteger(order) || order < 0 || order > this.maxPageOrder) {
      throw new SocmemError(
        'EINVAL',
        `${this.name}: order ${order} is outside 0..${this.maxPageOrder}`,
      );
    }
    if (this.allocFailPoint.shouldFail()) {
      throw new SocmemError(
        'ENOMEM',
        `${this.name}: buddy-alloc fail point (order ${order}, owner ${this.owners.name(ownerId)})`,
      );
    }
    // The flag, migratetype and zone constants below are literals (named in comments): this
    // is the allocation fast path, and V8 reloads a module-level const on every access.
    // current_gfp_context(): under PF_MEMALLOC_PIN, __GFP_MOVABLE (0x8) is cleared, so the
    // request becomes UNMOVABLE (and with it loses ALLOC_CMA), not merely "movable without CMA".
    const effectiveGfp = this.memallocPinDepth > 0 ? gfp & ~0x8 : gfp;
    const migratetype = gfpMigratetype(effectiveGfp);
    const allocCma = migratetype === 1; // MIGRATE_MOVABLE
    // The zonelist holds only populated zones: NORMAL (1) then DMA32 (0), or DMA32 alone for
    // __GFP_DMA32 (0x4).
    let index = -1;
    if ((gfp & 0x4) === 0 && this.managedPages[1]! > 0) {
      index = this.rmqueueOps.rmqueue(1, order, migratetype, allocCma);
    }
    if (index < 0 && this.managedPages[0]! > 0) {
      index = this.rmqueueOps.rmqueue(0, order, migratetype, allocCma);
    }
    if (index < 0) {
      throw new SocmemError(
        'ENOMEM',
        `${this.name}: no free block of order ${order} for ${this.owners.name(ownerId)}`,
      );
    }
    this.prepNewPage(index, order, ownerId);
    if ((gfp & 0x100) !== 0) {
      // __GFP_ZERO
      this.machine.cpu.fill(this.pfnToPhys(this.frames.pfnOf(index)), 0, this.pageSize << order);
    }
    if (this.machine.trace.active) this.emitTrace('alloc', index, order, ownerId);
    return index;
  }

  /** `alloc_pages(gfp, order)` returning the pfn. */
  allocPagesGfp(gfp: number, order: number, owner: string): number {
    return this.frames.pfnOf(this.allocFrames(gfp, order, this.owners.id(owner)));
  }

  /** Frees a block allocated by `allocFrames`/`allocPagesGfp` (`__free_pages`). */
  freeFrames(index: number, order: number): void {
    const frames = this.frames;
    // Exactly PG_ALLOCATED | PG_HEAD (6, a literal on this hot path): the head of a block
    // that no movable user or CMA area owns.
    if (frames.flags[index] !== 6 || frames.order[index] !== order) this.rejectFree(index, order);
    if (this.machine.trace.active) this.emitTrace('free', index, order, frames.owner[index]!);
    this.releaseFrames(index, 1 << order);
    this.freeOne(index, order);
  }

  /** Throws the EINVAL explaining why `freeFrames(index, order)` is refused. */
  private rejectFree(index: number, order: number): never {
    const frames = this.frames;
    const pfn = hex(frames.pfnOf(index));
    const head = PG_ALLOCATED | PG_HEAD;
    if ((frames.flags[index]! & head) !== head || frames.order[index] !== order) {
      throw new SocmemError(
        'EINVAL',
        `${this.name}: pfn ${pfn} is not an allocated block of order ${order}`,
      );
    }
    throw new SocmemError(
      'EINVAL',
      `${this.name}: pfn ${pfn} belongs to a movable user or CMA and is freed by it`,
    );
  }

  /** `__free_pages(pfn_to_page(pfn), order)`. */
  freePfn(pfn: number, order: number): void {
    this.freeFrames(this.frames.requireIndex(pfn, this.name), order);
  }

  /** PageAllocator: 2^order unmovable pages, zeroed through the CPU. */
  allocPages(order: number, owner: string): number {
    return this.pfnToPhys(this.allocPagesGfp(GFP_KERNEL | __GFP_ZERO, order, owner));
  }

  /** PageAllocator: frees a block returned by `allocPages`. */
  freePages(pa: number, order: number): void {
    if (pa % this.pageSize !== 0)
      throw new SocmemError('EINVAL', `${this.name}: ${hex(pa)} is not page aligned`);
    this.freePfn(pa / this.pageSize, order);
  }

  /** Pages still allocated, by owner (movable users and CMA allocations included). */
  leakReport(): LeakReportEntry[] {
    return frameLeakReport(this.frames, this.owners);
  }

  /** Free pages of a zone (NR_FREE_PAGES: isolated pages excluded). */
  zoneFreePages(zone: number): number {
    return this.freeArea.zoneFreePages(zone);
  }

  /** Free pages in CMA pageblocks of a zone (NR_FREE_CMA_PAGES). */
  zoneFreeCmaPages(zone: number): number {
    return this.freeArea.zoneFreeCmaPages(zone);
  }

  /** NR_FREE_PAGES over all zones. */
  get freePageCount(): number {
    let total = 0;
    for (let zone = 0; zone < MAX_NR_ZONES; zone++) total += this.freeArea.zoneFreePages(zone);
    return total;
  }

  /** NR_FREE_CMA_PAGES over all zones (/proc/meminfo CmaFree, in pages). */
  get freeCmaPageCount(): number {
    let total = 0;
    for (let zone = 0; zone < MAX_NR_ZONES; zone++) total += this.freeArea.zoneFreeCmaPages(zone);
    return total;
  }

  /** Name of a zone id. */
  zoneName(zone: number): string {
    return ZONE_NAMES[zone] ?? `zone${zone}`;
  }

  /**
   * `__free_one_page`: merges with free buddies and puts the block on its pageblock's list,
   * at the tail when `toTail` (FPI_TO_TAIL) or a merge is likely (see {@link freeOnePage}).
   */
  freeOne(index: number, order: number, toTail = false): void {
    freeOnePage(this.frames, this.freeArea, this.maxPageOrder, index, order, toTail);
  }

  /** Marks the 2^order frames from `index` as one allocation owned by `ownerId`. */
  prepNewPage(index: number, order: number, ownerId: number): void {
    const frames = this.frames;
    // Flag literals on this hot path: PG_ALLOCATED = 2, PG_ALLOCATED | PG_HEAD = 6.
    if (order > 0) {
      const count = 1 << order;
      frames.flags.fill(2, index, index + count);
      frames.owner.fill(ownerId, index, index + count);
    } else {
      frames.owner[index] = ownerId;
    }
    frames.flags[index] = 6;
    frames.order[index] = order;
    frames.refcount[index] = 1;
  }

  /** Clears the allocation state of `count` frames before they go back to the free lists. */
  releaseFrames(index: number, count: number): void {
    const frames = this.frames;
    if (count === 1) {
      // The common case (movable pages, order-0 frees): no TypedArray.fill call overhead.
      frames.flags[index] = 0;
      frames.owner[index] = 0;
      frames.refcount[index] = 0;
      frames.pinCount[index] = 0;
      return;
    }
    frames.flags.fill(0, index, index + count);
    frames.owner.fill(0, index, index + count);
    frames.refcount.fill(0, index, index + count);
    frames.pinCount.fill(0, index, index + count);
  }

  /** Checks free lists, counters and frame states (see checkBuddyInvariants). */
  checkInvariants(): void {
    checkBuddyInvariants(this);
  }

  private emitTrace(op: 'alloc' | 'free', index: number, order: number, ownerId: number): void {
    this.machine.trace.emit('alloc', {
      op,
      allocator: this.name,
      pa: this.pfnToPhys(this.frames.pfnOf(index)),
      order,
      owner: this.owners.name(ownerId),
    });
  }
}
