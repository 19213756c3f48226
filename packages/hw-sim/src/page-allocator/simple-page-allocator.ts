import { InvariantError } from '../errors/invariant-error';
import { hex, SocmemError } from '../errors/socmem-error';
import type { FailPointSite, FailPoints } from '../observability/fail-points';
import type { TraceStream } from '../observability/trace';
import type { LeakReportEntry, PageAllocator } from './page-allocator';

/** Where a SimplePageAllocator hands out pages from. */
export interface SimplePageAllocatorConfig {
  readonly name?: string;
  readonly base: number;
  readonly size: number;
  /** Default 4096. */
  readonly pageSize?: number;
}

/** What the allocator needs from its machine. */
export interface SimplePageAllocatorDeps {
  /** Zeroes memory as the CPU sees it (through its cache). */
  readonly zero: (pa: number, size: number) => void;
  readonly failPoints: FailPoints;
  readonly trace: TraceStream;
}

/** Largest order accepted, as Linux's MAX_PAGE_ORDER. */
export const SIMPLE_MAX_ORDER = 10;

interface Allocation {
  readonly order: number;
  readonly owner: string;
}

/**
 * A small, deterministic first-fit allocator of naturally aligned page blocks over one RAM
 * range: enough for io-pgtable to run without @socmem/cma. Fail point: `page-alloc`.
 */
export class SimplePageAllocator implements PageAllocator {
  readonly name: string;
  readonly pageSize: number;
  readonly base: number;
  readonly size: number;
  private readonly used: Uint8Array;
  private readonly allocations = new Map<number, Allocation>();
  private readonly deps: SimplePageAllocatorDeps;
  private readonly allocFailPoint: FailPointSite;
  /** No page below this index is free. */
  private lowestFree = 0;
  private usedPages = 0;

  constructor(config: SimplePageAllocatorConfig, deps: SimplePageAllocatorDeps) {
    const pageSize = config.pageSize ?? 4096;
    this.name = config.name ?? 'simple-page-allocator';
    if (config.base % pageSize !== 0 || config.size % pageSize !== 0 || config.size <= 0) {
      throw new SocmemError(
        'EINVAL',
        `${this.name}: range ${hex(config.base)}+${hex(config.size)} is not page aligned`,
      );
    }
    this.pageSize = pageSize;
    this.base = config.base;
    this.size = config.size;
    this.used = new Uint8Array(config.size / pageSize);
    this.deps = deps;
    this.allocFailPoint = deps.failPoints.site('page-alloc');
  }

  /** Pages currently allocated. */
  get allocatedPages(): number {
    return this.usedPages;
  }

  /** Pages currently free. */
  get freePageCount(): number {
    return this.used.length - this.usedPages;
  }

  allocPages(order: number, owner: string): number {
    if (!Number.isInteger(order) || order < 0 || order > SIMPLE_MAX_ORDER) {
      throw new SocmemError(
        'EINVAL',
        `${this.name}: order ${order} is outside 0..${SIMPLE_MAX_ORDER}`,
      );
    }
    if (this.allocFailPoint.shouldFail()) {
      throw new SocmemError(
        'ENOMEM',
        `${this.name}: page-alloc fail point (order ${order}, owner ${owner})`,
      );
    }
    const count = 2 ** order;
    const blockBytes = count * this.pageSize;
    // First page index whose address is aligned to the block size.
    const alignedStart = (index: number): number => {
      const pa = this.base + index * this.pageSize;
      const aligned = Math.ceil(pa / blockBytes) * blockBytes;
      return (aligned - this.base) / this.pageSize;
    };
    for (
      let index = alignedStart(this.lowestFree);
      index + count <= this.used.length;
      index += count
    ) {
      const busy = this.firstUsed(index, count);
      if (busy < 0) return this.take(index, order, owner);
      index = alignedStart(busy + 1) - count;
    }
    throw new SocmemError('ENOMEM', `${this.name}: no free block of order ${order} for ${owner}`);
  }

  freePages(pa: number, order: number): void {
    const index = (pa - this.base) / this.pageSize;
    const allocation = this.allocations.get(index);
    if (allocation === undefined) {
      throw new SocmemError(
        'EINVAL',
        `${this.name}: ${hex(pa)} is not the start of an allocated block`,
      );
    }
    if (allocation.order !== order) {
      throw new SocmemError(
        'EINVAL',
        `${this.name}: ${hex(pa)} was allocated with order ${allocation.order}, freed with ${order}`,
      );
    }
    const count = 2 ** order;
    this.used.fill(0, index, index + count);
    this.allocations.delete(index);
    this.usedPages -= count;
    if (index < this.lowestFree) this.lowestFree = index;
    if (this.deps.trace.active) {
      this.deps.trace.emit('alloc', {
        op: 'free',
        allocator: this.name,
        pa,
        order,
        owner: allocation.owner,
      });
    }
  }

  /** The owner tag of the allocation containing `pa`, or null when the page is free. */
  ownerOf(pa: number): string | null {
    const index = Math.floor((pa - this.base) / this.pageSize);
    if (index < 0 || index >= this.used.length || this.used[index] === 0) return null;
    for (const [start, allocation] of this.allocations) {
      if (index >= start && index < start + 2 ** allocation.order) return allocation.owner;
    }
    return null;
  }

  leakReport(): LeakReportEntry[] {
    const byOwner = new Map<string, { pages: number; allocations: number }>();
    for (const allocation of this.allocations.values()) {
      const entry = byOwner.get(allocation.owner) ?? { pages: 0, allocations: 0 };
      entry.pages += 2 ** allocation.order;
      entry.allocations++;
      byOwner.set(allocation.owner, entry);
    }
    return [...byOwner.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([owner, entry]) => ({ owner, ...entry }));
  }

  /** The used map matches the allocation records exactly. */
  checkInvariants(): void {
    const expected = new Uint8Array(this.used.length);
    let pages = 0;
    for (const [start, allocation] of this.allocations) {
      const count = 2 ** allocation.order;
      if (((this.base + start * this.pageSize) / this.pageSize) % count !== 0) {
        throw new InvariantError(this.name, `block at page ${start} is not naturally aligned`);
      }
      for (let index = start; index < start + count; index++) {
        if (expected[index] !== 0)
          throw new InvariantError(this.name, `page ${index} allocated twice`);
        expected[index] = 1;
      }
      pages += count;
    }
    for (let index = 0; index < expected.length; index++) {
      if (expected[index] !== this.used[index])
        throw new InvariantError(this.name, `page ${index} used map disagrees`);
      if (index < this.lowestFree && this.used[index] === 0) {
        throw new InvariantError(this.name, `page ${index} is free below the lowest-free hint`);
      }
    }
    if (pages !== this.usedPages)
      throw new InvariantError(this.name, `usedPages ${this.usedPages}, counted ${pages}`);
  }

  private firstUsed(index: number, count: number): number {
    for (let page = index + count - 1; page >= index; page--)
      if (this.used[page] !== 0) return page;
    return -1;
  }

  private take(index: number, order: number, owner: string): number {
    const count = 2 ** order;
    const pa = this.base + index * this.pageSize;
    this.deps.zero(pa, count * this.pageSize);
    this.used.fill(1, index, index + count);
    this.allocations.set(index, { order, owner });
    this.usedPages += count;
    while (this.lowestFree < this.used.length && this.used[this.lowestFree] !== 0)
      this.lowestFree++;
    if (this.deps.trace.active)
      this.deps.trace.emit('alloc', { op: 'alloc', allocator: this.name, pa, order, owner });
    return pa;
  }
}
