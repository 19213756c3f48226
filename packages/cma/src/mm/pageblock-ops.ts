import { hex, SocmemError } from '@socmem/hw-sim';
import { MIGRATE_ISOLATE } from './constants';
import type { FreeArea } from './free-area';
import { freeOnePage } from './free-one-page';
import { type PageFrames, PB_MIGRATE_ISOLATE_BIT, PG_BUDDY } from './page-frames';

/**
 * Pageblock migratetype changes (mm/page_alloc.c `move_freepages_block`, mm/page_isolation.c).
 * Invariant kept: a free block is on the list of the (effective) type of every pageblock it
 * covers; a free block larger than a pageblock whose type is about to change is split first,
 * as `split_large_buddy` does since Linux 6.10.
 */
export class PageblockOps {
  private readonly frames: PageFrames;
  private readonly area: FreeArea;
  private readonly maxPageOrder: number;
  /** Scratch lists for re-freeing a pageblock's free blocks; a pageblock holds at most 2^order blocks. */
  private readonly scratchIndex: Int32Array;
  private readonly scratchOrder: Uint8Array;

  constructor(frames: PageFrames, area: FreeArea, maxPageOrder: number) {
    this.frames = frames;
    this.area = area;
    this.maxPageOrder = maxPageOrder;
    this.scratchIndex = new Int32Array(2 ** frames.pageblockOrder);
    this.scratchOrder = new Uint8Array(2 ** frames.pageblockOrder);
  }

  /** Sets a pageblock's migratetype and moves its free pages to the new type's lists. */
  setPageblockType(block: number, migratetype: number): void {
    this.splitCoveringBlock(block);
    const frames = this.frames;
    frames.pageblock[block] = (frames.pageblock[block]! & PB_MIGRATE_ISOLATE_BIT) | migratetype;
    this.moveFreePages(block, frames.effectiveType(block));
  }

  /**
   * `set_migratetype_isolate`: marks the pageblock isolated and moves its free pages to the
   * MIGRATE_ISOLATE lists, so nothing allocates them. EBUSY when already isolated.
   */
  isolate(block: number): void {
    const frames = this.frames;
    if (frames.isIsolated(block)) {
      throw new SocmemError(
        'EBUSY',
        `page isolation: pageblock at pfn ${hex(frames.pfnOf(block << frames.pageblockOrder))} is already isolated`,
      );
    }
    // __move_freepages_block_isolate: a free buddy larger than the pageblock is taken off its
    // list, the isolate bit is set, and `split_large_buddy` frees it again pageblock by
    // pageblock through __free_one_page, so the pieces outside this block merge back together.
    const head = this.removeCoveringBlock(block);
    frames.pageblock[block] = frames.pageblock[block]! | PB_MIGRATE_ISOLATE_BIT;
    if (head >= 0) {
      const pbOrder = frames.pageblockOrder;
      // Read before the loop: freeing the first piece rewrites the head's order.
      const end = head + 2 ** frames.order[head]!;
      for (let piece = head; piece < end; piece += 2 ** pbOrder) this.freeOne(piece, pbOrder);
    }
    this.moveFreePages(block, MIGRATE_ISOLATE);
  }

  /**
   * `unset_migratetype_isolate`: restores the pageblock's type and gives its free pages back
   * through the merge path, so they coalesce with their buddies again.
   */
  unisolate(block: number): void {
    const frames = this.frames;
    if (!frames.isIsolated(block)) return;
    const zone = frames.zoneOfIndex(block << frames.pageblockOrder);
    let count = 0;
    this.forEachFreeBlock(block, (index) => {
      this.scratchIndex[count] = index;
      this.scratchOrder[count] = frames.order[index]!;
      count++;
    });
    for (let k = 0; k < count; k++) this.area.remove(this.scratchIndex[k]!, zone);
    frames.pageblock[block] = frames.pageblock[block]! & ~PB_MIGRATE_ISOLATE_BIT;
    // Linux either moves the blocks with move_to_free_list (list_move_tail) or, for a block
    // that can merge past the pageblock, gives it back with __putback_isolated_page
    // (FPI_TO_TAIL): either way they go to the tail.
    for (let k = 0; k < count; k++)
      this.freeOne(this.scratchIndex[k]!, this.scratchOrder[k]!, true);
  }

  /** Splits a free block of more than a pageblock that covers `block` into pageblock-sized pieces. */
  splitCoveringBlock(block: number): void {
    const head = this.removeCoveringBlock(block);
    if (head < 0) return;
    const frames = this.frames;
    const pbOrder = frames.pageblockOrder;
    const zone = frames.zoneOfIndex(head);
    // Read before the loop: adding the first piece rewrites the head's order and type.
    const type = frames.listType[head]!;
    const end = head + 2 ** frames.order[head]!;
    for (let piece = head; piece < end; piece += 2 ** pbOrder)
      this.area.add(piece, pbOrder, type, zone);
  }

  /**
   * Takes a free block of more than a pageblock that covers `block` off its list and returns
   * its head, or -1 when there is none. The head keeps its order and list type (only
   * PG_BUDDY is cleared), so callers read them from the frames.
   */
  private removeCoveringBlock(block: number): number {
    const frames = this.frames;
    const pbOrder = frames.pageblockOrder;
    const head = frames.freeBlockContaining(block << pbOrder, pbOrder + 1, this.maxPageOrder);
    if (head >= 0) this.area.remove(head, frames.zoneOfIndex(head));
    return head;
  }

  /** `__free_one_page` for a block this class took off the lists. */
  private freeOne(index: number, order: number, toTail = false): void {
    freeOnePage(this.frames, this.area, this.maxPageOrder, index, order, toTail);
  }

  /**
   * Moves every free block inside a pageblock onto `migratetype`'s lists, at the tail, as
   * `move_to_free_list` does (list_move_tail).
   */
  private moveFreePages(block: number, migratetype: number): void {
    const zone = this.frames.zoneOfIndex(block << this.frames.pageblockOrder);
    this.forEachFreeBlock(block, (index, order) => {
      if (this.frames.listType[index] === migratetype) return;
      this.area.remove(index, zone);
      this.area.addTail(index, order, migratetype, zone);
    });
  }

  /** Calls `body` for each free block inside a pageblock (which never straddles it after a split). */
  private forEachFreeBlock(block: number, body: (index: number, order: number) => void): void {
    const frames = this.frames;
    const start = block << frames.pageblockOrder;
    const end = start + 2 ** frames.pageblockOrder;
    for (let index = start; index < end; ) {
      if ((frames.flags[index]! & PG_BUDDY) !== 0) {
        const order = frames.order[index]!;
        body(index, order);
        index += 2 ** order;
      } else {
        index++;
      }
    }
  }
}
