import { describe, expect, it } from 'vitest';
import { allocContigRange, freeContigRange } from '../../src/mm/alloc-contig-range';
import {
  MIGRATE_CMA,
  MIGRATE_ISOLATE,
  MIGRATE_MOVABLE,
  MIGRATE_UNMOVABLE,
  ZONE_DMA32,
} from '../../src/mm/constants';
import { GFP_ATOMIC, GFP_HIGHUSER_MOVABLE, GFP_KERNEL } from '../../src/mm/gfp';
import { MovableMemory } from '../../src/mm/movable-memory';
import { bootBuddy, bootCma, MiB } from '../helpers';

// mm/page_alloc.c alloc_contig_range / mm/page_isolation.c (reference cma.md §3.4, §3.5).
describe('allocContigRange on ordinary memory', () => {
  it('takes a free range mid-block and gives the head and tail back', () => {
    const { buddy } = bootBuddy();
    const owner = buddy.owners.id('contig');
    allocContigRange(buddy, 0x40003, 0x40010, MIGRATE_MOVABLE, owner, GFP_KERNEL);
    expect(buddy.leakReport()).toEqual([{ owner: 'contig', pages: 13, allocations: 1 }]);
    expect(buddy.freePageCount).toBe(4096 - 13);
    buddy.checkInvariants();
    freeContigRange(buddy, 0x40003, 13);
    expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, 10)).toBe(4);
    buddy.checkInvariants();
  });

  it('freeing a range over pageblocks of two types splits it per pageblock (split_large_buddy)', () => {
    const { buddy } = bootBuddy();
    buddy.pageblocks.setPageblockType(1, MIGRATE_CMA);
    // A CMA allocation: has_unmovable_pages refuses a MIGRATE_CMA pageblock to any other caller.
    allocContigRange(buddy, 0x40000, 0x40400, MIGRATE_CMA, buddy.owners.id('c'), GFP_KERNEL);
    freeContigRange(buddy, 0x40000, 1024);
    // MOVABLE and CMA halves may not merge: two order-9 blocks on their own lists.
    expect(buddy.frames.order[0]).toBe(9);
    expect(buddy.frames.listType[0]).toBe(MIGRATE_MOVABLE);
    expect(buddy.frames.order[512]).toBe(9);
    expect(buddy.frames.listType[512]).toBe(MIGRATE_CMA);
    buddy.checkInvariants();
  });

  it('migrates movable pages out of the range, contents intact', () => {
    const { buddy, machine } = bootBuddy([{ base: 0x4000_0000, size: 16 * MiB }], { cache: true });
    const memory = new MovableMemory(buddy, 'page-cache');
    const pages = Array.from({ length: 64 }, () => memory.allocPage());
    for (const page of pages) memory.write(page, 8, new Uint8Array([page, 0xcd, 0xef]));
    const first = memory.pfn(pages[0]!);
    allocContigRange(
      buddy,
      first,
      first + 64,
      MIGRATE_MOVABLE,
      buddy.owners.id('contig'),
      GFP_KERNEL,
    );
    for (const page of pages) {
      expect(Array.from(memory.read(page, 8, 3))).toEqual([page, 0xcd, 0xef]);
      expect(memory.pfn(page) >= first && memory.pfn(page) < first + 64).toBe(false);
    }
    expect(machine.cache.counters.misses).toBeGreaterThan(0);
    buddy.checkInvariants();
  });

  it('EBUSY on an unmovable page, with pageblock types and free lists restored', () => {
    const { buddy } = bootBuddy();
    const unmovable = buddy.allocPagesGfp(GFP_KERNEL, 0, 'driver');
    const free = buddy.freePageCount;
    const types = Array.from(buddy.frames.pageblock);
    expect(() =>
      allocContigRange(
        buddy,
        unmovable - (unmovable % 512),
        unmovable - (unmovable % 512) + 1024,
        MIGRATE_MOVABLE,
        buddy.owners.id('c'),
        GFP_KERNEL,
      ),
    ).toThrowError(/EBUSY.*unmovable page.*driver/);
    expect(Array.from(buddy.frames.pageblock)).toEqual(types);
    expect(buddy.freePageCount).toBe(free);
    expect(buddy.frames.pageblockMigratetype(unmovable)).toBe(MIGRATE_UNMOVABLE);
    buddy.checkInvariants();
  });

  it('rejects non-blocking gfp, other migratetypes and ranges outside memory with EINVAL', () => {
    const { buddy } = bootBuddy();
    expect(() =>
      allocContigRange(buddy, 0x40000, 0x40001, MIGRATE_MOVABLE, 1, GFP_ATOMIC),
    ).toThrowError(/EINVAL/);
    expect(() =>
      allocContigRange(buddy, 0x40000, 0x40001, MIGRATE_UNMOVABLE, 1, GFP_KERNEL),
    ).toThrowError(/EINVAL/);
    expect(() =>
      allocContigRange(buddy, 0x40f00, 0x41100, MIGRATE_MOVABLE, 1, GFP_KERNEL),
    ).toThrowError(/EINVAL/);
  });

  it('isolation moves free pages to MIGRATE_ISOLATE lists (not counted in NR_FREE_PAGES) and back', () => {
    const { buddy } = bootBuddy();
    buddy.pageblocks.isolate(0);
    expect(buddy.frames.pageblockMigratetype(0x40000)).toBe(MIGRATE_ISOLATE);
    expect(buddy.freeArea.freePagesOfType(ZONE_DMA32, MIGRATE_ISOLATE)).toBe(512);
    expect(buddy.freePageCount).toBe(4096 - 512);
    buddy.checkInvariants();
    // Free pages of an isolated block are never handed out.
    const pfn = buddy.allocPagesGfp(GFP_HIGHUSER_MOVABLE, 9, 'm');
    expect(pfn).not.toBe(0x40000);
    expect(() => buddy.pageblocks.isolate(0)).toThrowError(/EBUSY.*already isolated/);
    buddy.pageblocks.unisolate(0);
    expect(buddy.frames.pageblockMigratetype(0x40000)).toBe(MIGRATE_MOVABLE);
    buddy.freePfn(pfn, 9);
    expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, 10)).toBe(4);
    buddy.checkInvariants();
  });
});

describe('CMA balancing and pageblock merging (mm/page_alloc.c __rmqueue, __free_one_page)', () => {
  it('movable requests take CMA first when more than half of the zone free memory is CMA', () => {
    const { mm } = bootCma({ base: 0x4000_0000, size: 48 * MiB }); // 12288 of 16384 pages are CMA
    const pfn = mm.buddy.allocPagesGfp(GFP_HIGHUSER_MOVABLE, 0, 'm');
    expect(mm.buddy.frames.pageblockMigratetype(pfn)).toBe(MIGRATE_CMA);
  });

  it('otherwise movable requests use MOVABLE lists first and CMA only as a fallback', () => {
    const { mm } = bootCma({ base: 0x4000_0000, size: 16 * MiB }); // 4096 of 16384 pages
    const first = mm.buddy.allocPagesGfp(GFP_HIGHUSER_MOVABLE, 0, 'm');
    expect(mm.buddy.frames.pageblockMigratetype(first)).toBe(MIGRATE_MOVABLE);
    // Use MOVABLE memory until CMA is more than half of what is free (4096 > 8191 / 2).
    for (let k = 0; k < 8192; k++) mm.buddy.allocPagesGfp(GFP_HIGHUSER_MOVABLE, 0, 'm');
    const next = mm.buddy.allocPagesGfp(GFP_HIGHUSER_MOVABLE, 0, 'm');
    expect(mm.buddy.frames.pageblockMigratetype(next)).toBe(MIGRATE_CMA);
  });

  it('a CMA pageblock never merges with a neighbouring MOVABLE block, nor changes type', () => {
    const { mm } = bootCma({ base: 0x4020_0000, size: 2 * MiB });
    // pfn 0x40000 (MOVABLE) and 0x40200 (CMA) are order-9 buddies but may not merge.
    expect(mm.buddy.frames.pageblockMigratetype(0x40000)).toBe(MIGRATE_MOVABLE);
    expect(mm.buddy.frames.flags[mm.buddy.frames.indexOf(0x40000)]! & 1).toBe(1);
    expect(mm.buddy.frames.order[mm.buddy.frames.indexOf(0x40000)]).toBe(9);
    expect(mm.buddy.frames.order[mm.buddy.frames.indexOf(0x40200)]).toBe(9);
    mm.checkInvariants();
  });
});
