import { describe, expect, it } from 'vitest';
import { MIGRATE_UNMOVABLE, ZONE_DMA32 } from '../../src/mm/constants';
import { GFP_KERNEL } from '../../src/mm/gfp';
import { bootBuddy } from '../helpers';

/** Pfns on one free list, head first. */
function listPfns(
  buddy: ReturnType<typeof bootBuddy>['buddy'],
  order: number,
  type: number,
): number[] {
  const frames = buddy.frames;
  const pfns: number[] = [];
  for (
    let index = buddy.freeArea.first(ZONE_DMA32, order, type);
    index >= 0;
    index = frames.next[index]!
  )
    pfns.push(frames.pfnOf(index));
  return pfns;
}

describe('free-list placement (mm/page_alloc.c __free_one_page: to_tail, v6.16)', () => {
  it('__free_pages_core frees boot memory with FPI_TO_TAIL: the lists stay in ascending pfn order', () => {
    // memblock_free_all -> __free_pages_memory frees ascending blocks through
    // __free_pages_core(..., FPI_TO_TAIL), so the lowest block is taken first.
    const { buddy } = bootBuddy();
    const base = buddy.frames.spans[0]!.startPfn;
    expect(listPfns(buddy, 10, 1)).toEqual([base, base + 1024, base + 2048, base + 3072]);
    expect(buddy.allocPagesGfp(GFP_KERNEL, 0, 'first')).toBe(base);
    buddy.checkInvariants();
  });

  it('buddy_merge_likely: a page whose order+1 higher buddy is free goes to the tail (known answer)', () => {
    const { buddy } = bootBuddy();
    const p = buddy.frames.spans[0]!.startPfn;
    // Eight order-0 allocations split the lowest block into p .. p+7; no order 0..2 block is left.
    const pages: number[] = [];
    for (let k = 0; k < 8; k++) pages.push(buddy.allocPagesGfp(GFP_KERNEL, 0, `page${k}`));
    expect(pages).toEqual([p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7]);
    // p+2 and p+3 merge into an order-1 block at p+2.
    buddy.freePfn(p + 2, 0);
    buddy.freePfn(p + 3, 0);
    expect(listPfns(buddy, 1, MIGRATE_UNMOVABLE)).toEqual([p + 2]);
    // p+5: its buddy p+4 is allocated, and the order-1 buddy of p+4 (p+6) is allocated:
    // buddy_merge_likely is false, the page goes to the head.
    buddy.freePfn(p + 5, 0);
    // p: its buddy p+1 is allocated, but higher_page_pfn = p & (p+1) = p has its order-1
    // buddy p+2 free at order 1: buddy_merge_likely is true, so p goes to the TAIL.
    buddy.freePfn(p, 0);
    expect(listPfns(buddy, 0, MIGRATE_UNMOVABLE)).toEqual([p + 5, p]);
    buddy.checkInvariants();
    // Linux hands out p+5 first (always-head placement would have handed out p) ...
    expect(buddy.allocPagesGfp(GFP_KERNEL, 0, 'x')).toBe(p + 5);
    // ... so freeing p+1 now merges p, p+1 and p+2..p+3 into one order-2 block.
    buddy.freePfn(p + 1, 0);
    expect(listPfns(buddy, 0, MIGRATE_UNMOVABLE)).toEqual([]);
    expect(listPfns(buddy, 2, MIGRATE_UNMOVABLE)).toEqual([p]);
    buddy.checkInvariants();
  });

  it('no tail placement at order >= MAX_PAGE_ORDER - 1 (buddy_merge_likely returns false)', () => {
    const { buddy } = bootBuddy();
    const p = buddy.frames.spans[0]!.startPfn;
    const halves: number[] = [];
    for (let k = 0; k < 6; k++) halves.push(buddy.allocPagesGfp(GFP_KERNEL, 9, `half${k}`));
    expect(halves).toEqual([p, p + 512, p + 1024, p + 1536, p + 2048, p + 2560]);
    // p+1024 and p+1536 merge into a free order-10 block.
    buddy.freePfn(p + 1024, 9);
    buddy.freePfn(p + 1536, 9);
    expect(listPfns(buddy, 10, MIGRATE_UNMOVABLE)).toEqual([p + 1024]);
    // p+2560 (its buddy p+2048 allocated) goes to the head of the order-9 list.
    buddy.freePfn(p + 2560, 9);
    // p: buddy p+512 allocated; its order-10 "higher buddy" p+1024 is free at order 10, but
    // order 9 >= MAX_PAGE_ORDER - 1 makes buddy_merge_likely false: p goes to the head too.
    buddy.freePfn(p, 9);
    expect(listPfns(buddy, 9, MIGRATE_UNMOVABLE)).toEqual([p, p + 2560]);
    buddy.checkInvariants();
  });

  // unset_migratetype_isolate: blocks stay where they are via move_to_free_list
  // (list_move_tail) or, when they can merge past the pageblock, __putback_isolated_page with
  // FPI_TO_TAIL. Either way they land at the tail, in pfn order.
  it('pageblock unisolation puts the free blocks at the tail (move_to_free_list / __putback_isolated_page)', () => {
    const { buddy } = bootBuddy();
    const p = buddy.frames.spans[0]!.startPfn;
    const pages: number[] = [];
    for (let k = 0; k < 4; k++) pages.push(buddy.allocPagesGfp(GFP_KERNEL, 0, `page${k}`));
    // Free p+1 (buddy p allocated) then p+3 (buddy p+2 allocated): order-0 list [p+3, p+1].
    buddy.freePfn(p + 1, 0);
    buddy.freePfn(p + 3, 0);
    expect(listPfns(buddy, 0, MIGRATE_UNMOVABLE)).toEqual([p + 3, p + 1]);
    // Isolate pageblock 0 (mm/page_isolation.c set_migratetype_isolate) and undo it.
    const block = (p - buddy.frames.spans[0]!.startPfn) >>> buddy.pageblockOrder;
    buddy.pageblocks.isolate(block);
    expect(listPfns(buddy, 0, MIGRATE_UNMOVABLE)).toEqual([]);
    buddy.pageblocks.unisolate(block);
    // Both come back through the tail, in pfn order.
    expect(listPfns(buddy, 0, MIGRATE_UNMOVABLE)).toEqual([p + 1, p + 3]);
    buddy.checkInvariants();
  });
});
