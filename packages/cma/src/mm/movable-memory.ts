import { hex, SocmemError } from '@socmem/hw-sim';
import type { BuddyAllocator } from './buddy-allocator';
import { MIGRATE_CMA, MIGRATE_ISOLATE } from './constants';
import { __GFP_NOWARN, GFP_HIGHUSER_MOVABLE, GFP_USER } from './gfp';
import type { MigrationClient } from './owner-registry';
import { PG_ALLOCATED, PG_HEAD, PG_LRU } from './page-frames';

/** How a page is pinned (mm/gup.c). */
export interface PinOptions {
  /** FOLL_LONGTERM: first migrate the page out of CMA (and isolated) pageblocks. Default false. */
  readonly longterm?: boolean;
}

/**
 * A user of movable memory, as page cache or anonymous memory is: order-0 pages allocated
 * with GFP_HIGHUSER_MOVABLE (so they may borrow CMA pageblocks), addressed by a stable page
 * number. Migration moves a page to another frame and updates this owner's reference, so
 * reads through the page number see the same bytes afterwards.
 */
export class MovableMemory implements MigrationClient {
  readonly name: string;
  readonly ownerId: number;
  private readonly buddy: BuddyAllocator;
  /** Frame index of each page number, -1 for a free number. */
  private frameOf: Int32Array;
  private freeNumbers: Int32Array;
  private freeCount = 0;
  private used = 0;
  private live = 0;

  constructor(buddy: BuddyAllocator, name: string) {
    this.buddy = buddy;
    this.name = name;
    this.ownerId = buddy.owners.id(name);
    if (buddy.owners.client(this.ownerId) !== undefined) {
      throw new SocmemError('EEXIST', `movable memory: owner ${name} already exists`);
    }
    buddy.owners.setClient(this.ownerId, this);
    this.frameOf = new Int32Array(64).fill(-1);
    this.freeNumbers = new Int32Array(64);
  }

  /** Pages currently held. */
  get pageCount(): number {
    return this.live;
  }

  /** Allocates one movable page and returns its page number. ENOMEM when memory is full. */
  allocPage(gfp = GFP_HIGHUSER_MOVABLE): number {
    const index = this.buddy.allocFrames(gfp, 0, this.ownerId);
    const frames = this.buddy.frames;
    frames.flags[index] = PG_ALLOCATED | PG_HEAD | PG_LRU;
    const page = this.freeCount > 0 ? this.freeNumbers[--this.freeCount]! : this.used++;
    if (page >= this.frameOf.length) this.grow();
    this.frameOf[page] = index;
    frames.ownerIndex[index] = page;
    this.live++;
    return page;
  }

  /** Frees a page. EBUSY while it is pinned or has extra references. */
  freePage(page: number): void {
    const index = this.indexOf(page);
    if (this.isHeld(index)) {
      throw new SocmemError(
        'EBUSY',
        `${this.name}: page ${page} is pinned or referenced and cannot be freed`,
      );
    }
    this.buddy.releaseFrames(index, 1);
    this.buddy.freeOne(index, 0);
    this.frameOf[page] = -1;
    this.freeNumbers[this.freeCount++] = page;
    this.live--;
  }

  /** Frees every page that is not pinned or referenced; returns how many stayed. */
  freeAll(): number {
    let kept = 0;
    for (let page = 0; page < this.used; page++) {
      const index = this.frameOf[page]!;
      if (index < 0) continue;
      if (this.isHeld(index)) kept++;
      else this.freePage(page);
    }
    return kept;
  }

  /** The page numbers currently held, ascending. */
  pages(): number[] {
    const result: number[] = [];
    for (let page = 0; page < this.used; page++) if (this.frameOf[page]! >= 0) result.push(page);
    return result;
  }

  /** Current pfn of a page (changes when it migrates). */
  pfn(page: number): number {
    return this.buddy.frames.pfnOf(this.indexOf(page));
  }

  /** Current physical address of a page. */
  physAddr(page: number): number {
    return this.buddy.pfnToPhys(this.pfn(page));
  }

  /** Writes bytes into a page through the CPU. */
  write(page: number, offset: number, data: Uint8Array): void {
    this.checkSpan(page, offset, data.length);
    this.buddy.machine.cpu.write(this.physAddr(page) + offset, data);
  }

  /** Reads bytes of a page through the CPU. */
  read(page: number, offset: number, length: number): Uint8Array {
    this.checkSpan(page, offset, length);
    const out = new Uint8Array(length);
    this.buddy.machine.cpu.read(this.physAddr(page) + offset, out);
    return out;
  }

  /** Fills a whole page with one byte value through the CPU. */
  fill(page: number, value: number): void {
    this.buddy.machine.cpu.fill(this.physAddr(page), value, this.buddy.pageSize);
  }

  /**
   * Pins a page (FOLL_PIN). With `longterm`, a page in a CMA or isolated pageblock is first
   * migrated under PF_MEMALLOC_PIN to a frame allocated with GFP_USER, i.e. as an UNMOVABLE
   * request that never uses CMA (`check_and_migrate_movable_folios`). A failed migration
   * (no target memory, or the page pinned or referenced elsewhere) leaves the page unpinned and
   * throws ENOMEM, as `migrate_longterm_unpinnable_folios` returns -ENOMEM.
   */
  pin(page: number, options: PinOptions = {}): void {
    let index = this.indexOf(page);
    const buddy = this.buddy;
    if (options.longterm === true && !this.isLongtermPinnable(index)) {
      buddy.memallocPinDepth++;
      try {
        // migrate_longterm_unpinnable_folios: target gfp GFP_USER | __GFP_NOWARN (no
        // __GFP_MOVABLE), and any migrate_pages() failure is reported as -ENOMEM.
        index = buddy.migrator.migratePage(index, GFP_USER | __GFP_NOWARN);
      } catch (error) {
        if (!SocmemError.isInstance(error) || error.code === 'ENOMEM') throw error;
        throw new SocmemError(
          'ENOMEM',
          `${this.name}: long-term pin of page ${page}: migration out of CMA failed (${error.message})`,
        );
      } finally {
        buddy.memallocPinDepth--;
      }
    }
    buddy.frames.pinCount[index]!++;
  }

  /** Drops one pin. EINVAL when the page is not pinned. */
  unpin(page: number): void {
    const index = this.indexOf(page);
    const frames = this.buddy.frames;
    if (frames.pinCount[index] === 0)
      throw new SocmemError('EINVAL', `${this.name}: page ${page} is not pinned`);
    frames.pinCount[index]!--;
  }

  /** Takes an extra reference (get_page), as a transient user would; it blocks migration. */
  getPage(page: number): void {
    this.buddy.frames.refcount[this.indexOf(page)]!++;
  }

  /** Drops an extra reference taken by `getPage`. */
  putPage(page: number): void {
    const index = this.indexOf(page);
    const frames = this.buddy.frames;
    if (frames.refcount[index]! <= 1)
      throw new SocmemError('EINVAL', `${this.name}: page ${page} has no extra reference`);
    frames.refcount[index]!--;
  }

  /** Migration callback: the page now lives in `newIndex`. */
  pageMoved(ownerIndex: number, newIndex: number): void {
    this.frameOf[ownerIndex] = newIndex;
  }

  /** Frame index of a page (for the allocator's invariant checks). */
  frameIndexOf(page: number): number {
    return this.frameOf[page] ?? -1;
  }

  /** True while the page in frame `index` is pinned or has references beyond its owner's. */
  private isHeld(index: number): boolean {
    const frames = this.buddy.frames;
    return frames.pinCount[index]! > 0 || frames.refcount[index] !== 1;
  }

  /** `folio_is_longterm_pinnable`: not in a CMA or isolated pageblock. */
  private isLongtermPinnable(index: number): boolean {
    const type = this.buddy.frames.effectiveType(index >>> this.buddy.pageblockOrder);
    return type !== MIGRATE_CMA && type !== MIGRATE_ISOLATE;
  }

  private indexOf(page: number): number {
    const index =
      Number.isInteger(page) && page >= 0 && page < this.used ? this.frameOf[page]! : -1;
    if (index < 0) throw new SocmemError('EINVAL', `${this.name}: no page ${page}`);
    return index;
  }

  private checkSpan(page: number, offset: number, length: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + length > this.buddy.pageSize) {
      throw new SocmemError(
        'EINVAL',
        `${this.name}: bytes ${hex(offset)}+${length} of page ${page} are outside the page`,
      );
    }
  }

  private grow(): void {
    const frameOf = new Int32Array(this.frameOf.length * 2).fill(-1);
    frameOf.set(this.frameOf);
    this.frameOf = frameOf;
    const free = new Int32Array(this.freeNumbers.length * 2);
    free.set(this.freeNumbers);
    this.freeNumbers = free;
  }
}
