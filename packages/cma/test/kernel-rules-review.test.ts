import { createMachine } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { bootMemory, type MemorySystem } from '../src/boot';
import { cmaAlloc, cmaRelease } from '../src/cma/cma-alloc';
import { cmaDebugShowAreas } from '../src/cma/cma-debug';
import { allocContigRange, freeContigRange } from '../src/mm/alloc-contig-range';
import { MIGRATE_CMA, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE } from '../src/mm/constants';
import { GFP_KERNEL } from '../src/mm/gfp';
import { MovableMemory } from '../src/mm/movable-memory';
import { bootBuddy, bootCma, MiB } from './helpers';

// Regressions found by an audit against Linux v6.16; each test failed before its fix.

describe('mm/cma.c cma_debug_show_areas', () => {
  it('prints "+" before every free run that does not start at bit 0, the first one included', () => {
    const { cma } = bootCma({ size: 2 * MiB });
    const pfn = cmaAlloc(cma, 10, 0);
    // for_each_clear_bitrange(start, end, ...): pr_cont("%s%lu@%lu", start ? "+" : "", ...)
    expect(cmaDebugShowAreas(cma)).toBe(
      'number of available pages: \nrange 0: +502@10\n=> 502 free of 512 total pages',
    );
    expect(cmaRelease(cma, pfn, 10)).toBe(true);
    expect(cmaDebugShowAreas(cma)).toBe(
      'number of available pages: \nrange 0: 512@0\n=> 512 free of 512 total pages',
    );
  });
});

/** 8 MiB of RAM, 6 MiB of it CMA: movable pages start in CMA (more than half is CMA). */
function mostlyCma() {
  return bootCma({ ramSize: 8 * MiB, base: 0x4020_0000, size: 6 * MiB });
}

describe('mm/gup.c FOLL_LONGTERM (migrate_longterm_unpinnable_folios)', () => {
  it('the replacement page is allocated with GFP_USER under PF_MEMALLOC_PIN: an UNMOVABLE request', () => {
    const { mm, cma } = mostlyCma();
    const memory = new MovableMemory(mm.buddy, 'anon');
    const page = memory.allocPage();
    expect(cma.rangeOf(memory.pfn(page))).not.toBeNull(); // __rmqueue: CMA first (> 1/2 free)
    mm.machine.cpu.write32(memory.physAddr(page), 0xfeed_beef);
    memory.pin(page, { longterm: true });
    const pfn = memory.pfn(page);
    expect(cma.rangeOf(pfn)).toBeNull();
    // current_gfp_context() clears __GFP_MOVABLE, so the unmovable request claims a whole free
    // MOVABLE pageblock (try_to_claim_block at order >= pageblock_order).
    expect(mm.buddy.frames.pageblockMigratetype(pfn)).toBe(MIGRATE_UNMOVABLE);
    expect(mm.machine.cpu.read32(memory.physAddr(page))).toBe(0xfeed_beef);
    expect(mm.buddy.memallocPinDepth).toBe(0);
    mm.checkInvariants();
    memory.unpin(page);
    memory.freePage(page);
    expect(mm.buddy.leakReport()).toEqual([]);
  });

  it('a page already pinned another way fails the long-term pin with ENOMEM, unmoved and unpinned by it', () => {
    const { mm, cma } = mostlyCma();
    const memory = new MovableMemory(mm.buddy, 'anon');
    const page = memory.allocPage();
    const pfn = memory.pfn(page);
    expect(cma.rangeOf(pfn)).not.toBeNull();
    memory.pin(page); // FOLL_PIN without FOLL_LONGTERM: stays in CMA
    // migrate_pages() fails on the extra pin; the caller turns any failure into -ENOMEM.
    expect(() => memory.pin(page, { longterm: true })).toThrowError(
      /ENOMEM: anon: long-term pin of page 0: migration out of CMA failed/,
    );
    expect(memory.pfn(page)).toBe(pfn);
    memory.unpin(page);
    expect(() => memory.unpin(page)).toThrowError(/not pinned/);
    mm.checkInvariants();
  });
});

describe('mm/page_isolation.c has_unmovable_pages', () => {
  it('a CMA pageblock is isolatable only for a CMA allocation (PB_ISOLATE_MODE_CMA_ALLOC)', () => {
    const { mm } = bootCma();
    const owner = mm.buddy.owners.id('contig');
    const before = mm.buddy.freePageCount;
    expect(() =>
      allocContigRange(mm.buddy, 0x42000, 0x42010, MIGRATE_MOVABLE, owner, GFP_KERNEL),
    ).toThrowError(/EBUSY: alloc_contig_range: pageblock at pfn 0x4_2000 is MIGRATE_CMA/);
    expect(mm.buddy.frames.pageblockMigratetype(0x42000)).toBe(MIGRATE_CMA);
    expect(mm.buddy.freePageCount).toBe(before);
    mm.checkInvariants();
    allocContigRange(mm.buddy, 0x42000, 0x42010, MIGRATE_CMA, owner, GFP_KERNEL);
    freeContigRange(mm.buddy, 0x42000, 0x10);
    expect(mm.buddy.freePageCount).toBe(before);
    mm.checkInvariants();
  });
});

describe('kernel/dma/contiguous.c dma_contiguous_reserve', () => {
  it('an area that cannot be reserved is logged and skipped; boot goes on without one', () => {
    const machine = createMachine({
      ram: [{ base: 0x4000_0000, size: 64 * MiB }],
      pageAllocator: false,
      cache: { enabled: false },
    });
    // The result of dma_contiguous_reserve_area is not checked; cma_declare_contiguous_nid
    // printed pr_err("Failed to reserve %ld MiB").
    const mm = bootMemory(machine, { contiguous: { cmdline: '1G' } });
    expect(mm.contiguous.defaultArea).toBeNull();
    expect(mm.cma.areas).toHaveLength(0);
    expect(mm.cma.log).toContainEqual({ level: 'err', message: 'Failed to reserve 1024 MiB' });
    expect(mm.memblock.reserved).toEqual([]);
    mm.checkInvariants();
  });

  it('a reserved area logs "Reserved %ld MiB at %pa"', () => {
    const machine = createMachine({
      ram: [{ base: 0x4000_0000, size: 64 * MiB }],
      pageAllocator: false,
      cache: { enabled: false },
    });
    const mm = bootMemory(machine, { contiguous: { cmdline: '8M@0x41000000' } });
    expect(mm.cma.log).toContainEqual({ level: 'info', message: 'Reserved 8 MiB at 0x4100_0000' });
  });
});

describe('64 KiB pages: 512 MiB pageblocks (reference cma.md §7 pitfall 9)', () => {
  const node = { name: 'linux,cma', base: 0x4400_0000, size: 64 * MiB, reusable: true };

  function boot64k(pageblockOrder: number | undefined, declare: (mm: MemorySystem) => void) {
    const machine = createMachine({
      ram: [{ base: 0x4000_0000, size: 1024 * MiB }],
      pageAllocator: false,
      cache: { enabled: false },
    });
    return bootMemory(machine, {
      pageSize: 65536,
      contiguous: false,
      declare,
      ...(pageblockOrder === undefined ? {} : { pageblockOrder }),
    });
  }

  it('a 64 MiB shared-dma-pool fails rmem_cma_setup ("incorrect alignment of CMA region")', () => {
    const mm = boot64k(undefined, (system) => {
      expect(() => system.contiguous.rmemCmaSetup(node)).toThrowError(/EINVAL/);
    });
    expect(mm.buddy.pageblockOrder).toBe(13);
    expect(mm.cma.minAlignmentBytes).toBe(512 * MiB);
    expect(mm.cma.areas).toHaveLength(0);
    expect(mm.cma.log).toContainEqual({
      level: 'err',
      message: 'Reserved memory: incorrect alignment of CMA region',
    });
  });

  it('CONFIG_PAGE_BLOCK_ORDER 9 (32 MiB pageblocks) makes the same node a CMA area', () => {
    const mm = boot64k(9, (system) => {
      system.contiguous.rmemCmaSetup(node);
    });
    expect(mm.cma.minAlignmentBytes).toBe(32 * MiB);
    const cma = mm.cma.areas[0]!;
    expect(cma.count).toBe(1024);
    expect(cma.activated).toBe(true);
    expect(mm.buddy.frames.pageblockMigratetype(0x4400_0000 / 65536)).toBe(MIGRATE_CMA);
    mm.checkInvariants();
  });
});

describe('mm/page_isolation.c isolating a pageblock inside a larger free buddy', () => {
  it('split_large_buddy frees the other pageblocks through __free_one_page, so they merge again', () => {
    // CONFIG_PAGE_BLOCK_ORDER 7 under MAX_PAGE_ORDER 10: a free order-10 buddy covers 8 pageblocks.
    const { buddy } = bootBuddy(undefined, { pageblockOrder: 7 });
    const owner = buddy.owners.id('contig');
    allocContigRange(buddy, 0x40100, 0x40110, MIGRATE_MOVABLE, owner, GFP_KERNEL);
    // Pageblocks 0-1 merge to order 8, pageblocks 4-7 to order 9; block 3 has no free buddy.
    expect([buddy.frames.order[0], buddy.frames.listType[0]]).toEqual([8, MIGRATE_MOVABLE]);
    expect([buddy.frames.order[0x180], buddy.frames.order[0x200]]).toEqual([7, 9]);
    buddy.checkInvariants();
    freeContigRange(buddy, 0x40100, 0x10);
    expect(buddy.frames.order[0]).toBe(10);
    buddy.checkInvariants();
  });
});
