import { SocmemError } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import {
  MIGRATE_CMA,
  MIGRATE_MOVABLE,
  MIGRATE_RECLAIMABLE,
  MIGRATE_UNMOVABLE,
  ZONE_DMA32,
  ZONE_NORMAL,
} from '../../src/mm/constants';
import { __GFP_DMA32, __GFP_RECLAIMABLE, GFP_HIGHUSER_MOVABLE, GFP_KERNEL } from '../../src/mm/gfp';
import { bootBuddy, MiB } from '../helpers';

describe('buddy allocator: boot, split and merge (mm/page_alloc.c __free_one_page, expand)', () => {
  it('hands all memory over as MAX_PAGE_ORDER blocks on the MOVABLE lists', () => {
    const { buddy } = bootBuddy();
    expect(buddy.freePageCount).toBe(4096);
    expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, 10)).toBe(4);
    expect(buddy.freeArea.freePagesOfType(ZONE_DMA32, MIGRATE_MOVABLE)).toBe(4096);
    buddy.checkInvariants();
  });

  it('splits the smallest block and puts the upper halves back (expand)', () => {
    const { buddy } = bootBuddy();
    const pfn = buddy.allocPagesGfp(GFP_KERNEL, 0, 'test');
    // The lowest order-10 block was split: halves of order 9..0 are now free.
    expect(pfn % 1024).toBe(0);
    for (let order = 0; order < 10; order++)
      expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, order)).toBe(1);
    expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, 10)).toBe(3);
    buddy.checkInvariants();
    buddy.freePfn(pfn, 0);
    expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, 10)).toBe(4);
    expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, 0)).toBe(0);
    buddy.checkInvariants();
  });

  it('merges buddies found by pfn ^ (1 << order)', () => {
    const { buddy } = bootBuddy();
    const a = buddy.allocPagesGfp(GFP_KERNEL, 0, 'a');
    const b = buddy.allocPagesGfp(GFP_KERNEL, 0, 'b');
    expect(b).toBe(a + 1); // the order-0 buddy left by the split
    buddy.freePfn(a, 0);
    expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, 0)).toBe(1);
    buddy.freePfn(b, 0);
    expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, 0)).toBe(0);
    expect(buddy.freeArea.blocksOfOrder(ZONE_DMA32, 10)).toBe(4);
    buddy.checkInvariants();
  });

  it('PageAllocator: zeroed pages, leak report by owner, EINVAL on a wrong free', () => {
    const { machine, buddy } = bootBuddy();
    const pa = buddy.allocPages(2, 'io-pgtable');
    machine.cpu.fill(pa, 0xaa, 4 * 4096);
    buddy.freePages(pa, 2);
    const again = buddy.allocPages(2, 'io-pgtable');
    expect(again).toBe(pa);
    expect(machine.cpu.read32(again + 100)).toBe(0);
    expect(buddy.leakReport()).toEqual([{ owner: 'io-pgtable', pages: 4, allocations: 1 }]);
    expect(() => buddy.freePages(again, 1)).toThrowError(/order 1/);
    expect(() => buddy.freePages(again + 4096, 0)).toThrowError(SocmemError);
    buddy.freePages(again, 2);
    expect(buddy.leakReport()).toEqual([]);
    buddy.checkInvariants();
  });

  it('fails with ENOMEM when no block is large enough and the buddy-alloc fail point fires', () => {
    const { machine, buddy } = bootBuddy([{ base: 0x4000_0000, size: 4 * MiB }]);
    const big = buddy.allocPagesGfp(GFP_KERNEL, 10, 'x');
    expect(() => buddy.allocPagesGfp(GFP_KERNEL, 0, 'x')).toThrowError(/ENOMEM/);
    buddy.freePfn(big, 10);
    machine.failPoints.arm('buddy-alloc', { nth: 1 });
    expect(() => buddy.allocPagesGfp(GFP_KERNEL, 0, 'x')).toThrowError(/buddy-alloc fail point/);
    expect(buddy.freePageCount).toBe(1024);
    buddy.checkInvariants();
  });
});

describe('zones split at 4 GiB', () => {
  const banks = [
    { base: 0xff00_0000, size: 32 * MiB }, // 16 MiB below, 16 MiB above 4 GiB
  ];
  it('splits a bank crossing 4 GiB into DMA32 and NORMAL', () => {
    const { buddy } = bootBuddy(banks);
    expect(buddy.zoneFreePages(ZONE_DMA32)).toBe(4096);
    expect(buddy.zoneFreePages(ZONE_NORMAL)).toBe(4096);
    buddy.checkInvariants();
  });

  it('GFP_KERNEL prefers NORMAL and falls back to DMA32; GFP_DMA32 stays below 4 GiB', () => {
    const { buddy } = bootBuddy(banks);
    const normal = buddy.allocPagesGfp(GFP_KERNEL, 0, 't');
    expect(buddy.pfnToPhys(normal)).toBeGreaterThanOrEqual(0x1_0000_0000);
    const dma = buddy.allocPagesGfp(GFP_KERNEL | __GFP_DMA32, 0, 't');
    expect(buddy.pfnToPhys(dma)).toBeLessThan(0x1_0000_0000);
    // Exhaust NORMAL: the next GFP_KERNEL page comes from DMA32.
    for (let k = 0; k < 4095; k++) buddy.allocPagesGfp(GFP_KERNEL, 0, 't');
    expect(buddy.zoneFreePages(ZONE_NORMAL)).toBe(0);
    const fallback = buddy.allocPagesGfp(GFP_KERNEL, 0, 't');
    expect(buddy.pfnToPhys(fallback)).toBeLessThan(0x1_0000_0000);
    buddy.checkInvariants();
  });

  it('zone-limited allocation fails with ENOMEM when DMA32 is full even if NORMAL is free', () => {
    const { buddy } = bootBuddy(banks);
    for (let k = 0; k < 4; k++) buddy.allocPagesGfp(__GFP_DMA32 | GFP_KERNEL, 10, 't');
    expect(() => buddy.allocPagesGfp(__GFP_DMA32 | GFP_KERNEL, 0, 't')).toThrowError(/ENOMEM/);
    expect(buddy.zoneFreePages(ZONE_NORMAL)).toBe(4096);
  });
});

describe('migratetype fallback (mm/page_alloc.c fallbacks[], __rmqueue_claim, __rmqueue_steal)', () => {
  it('an unmovable request claims a whole movable pageblock (largest block first)', () => {
    const { buddy } = bootBuddy();
    const pfn = buddy.allocPagesGfp(GFP_KERNEL, 0, 'u');
    // __rmqueue_claim took an order-10 block (2 pageblocks) and retyped both to UNMOVABLE.
    expect(buddy.frames.pageblockMigratetype(pfn)).toBe(MIGRATE_UNMOVABLE);
    expect(buddy.frames.pageblockMigratetype(pfn + 512)).toBe(MIGRATE_UNMOVABLE);
    expect(buddy.freeArea.freePagesOfType(ZONE_DMA32, MIGRATE_UNMOVABLE)).toBe(1023);
    expect(buddy.freeArea.freePagesOfType(ZONE_DMA32, MIGRATE_MOVABLE)).toBe(3072);
    // The next unmovable page comes from its own list, not another fallback.
    const next = buddy.allocPagesGfp(GFP_KERNEL, 0, 'u');
    expect(next).toBe(pfn + 1);
    buddy.checkInvariants();
  });

  it('claims the largest fallback block first, and at equal order reclaimable prefers unmovable', () => {
    const { buddy } = bootBuddy([{ base: 0x4000_0000, size: 8 * MiB }]);
    const unmovable = buddy.allocPagesGfp(GFP_KERNEL, 10, 'u'); // claims block A as UNMOVABLE
    buddy.freePfn(unmovable, 10); // A returns to the UNMOVABLE order-10 list
    expect(buddy.freeArea.freePagesOfType(ZONE_DMA32, MIGRATE_UNMOVABLE)).toBe(1024);
    const pfn = buddy.allocPagesGfp(GFP_KERNEL | __GFP_RECLAIMABLE, 0, 'r');
    expect(pfn).toBe(unmovable); // fallbacks[RECLAIMABLE] = { UNMOVABLE, MOVABLE }
    expect(buddy.frames.pageblockMigratetype(pfn)).toBe(MIGRATE_RECLAIMABLE);
    expect(buddy.freeArea.freePagesOfType(ZONE_DMA32, MIGRATE_MOVABLE)).toBe(1024);
    buddy.checkInvariants();
  });

  it('a small movable request steals without changing the pageblock when it may not claim', () => {
    const { buddy } = bootBuddy([{ base: 0x4000_0000, size: 4 * MiB }]);
    // Turn all memory UNMOVABLE, then leave only order-0 holes in one pageblock.
    const pages: number[] = [];
    for (let k = 0; k < 1024; k++) pages.push(buddy.allocPagesGfp(GFP_KERNEL, 0, 'u'));
    buddy.freePfn(pages[10]!, 0);
    const movable = buddy.allocPagesGfp(GFP_HIGHUSER_MOVABLE, 0, 'm');
    expect(movable).toBe(pages[10]);
    expect(buddy.frames.pageblockMigratetype(movable)).toBe(MIGRATE_UNMOVABLE);
    buddy.checkInvariants();
  });

  it('unmovable requests never take CMA pageblocks', () => {
    const { buddy } = bootBuddy([{ base: 0x4000_0000, size: 4 * MiB }]);
    // Retype everything to CMA (what CMA activation does), via the pageblock operation.
    for (let block = 0; block < 2; block++) buddy.pageblocks.setPageblockType(block, MIGRATE_CMA);
    expect(buddy.zoneFreeCmaPages(ZONE_DMA32)).toBe(1024);
    expect(() => buddy.allocPagesGfp(GFP_KERNEL, 0, 'u')).toThrowError(/ENOMEM/);
    expect(() => buddy.allocPagesGfp(GFP_KERNEL | __GFP_RECLAIMABLE, 0, 'r')).toThrowError(
      /ENOMEM/,
    );
    const movable = buddy.allocPagesGfp(GFP_HIGHUSER_MOVABLE, 0, 'm');
    expect(buddy.frames.pageblockMigratetype(movable)).toBe(MIGRATE_CMA);
    buddy.checkInvariants();
  });
});
