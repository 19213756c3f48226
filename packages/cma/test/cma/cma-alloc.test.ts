import { describe, expect, it } from 'vitest';
import { cmaAlloc, cmaLastAttempts, cmaRelease } from '../../src/cma/cma-alloc';
import { cmaDebugfs, cmaDebugShowAreas, cmaSysfs } from '../../src/cma/cma-debug';
import { MIGRATE_CMA, MIGRATE_MOVABLE } from '../../src/mm/constants';
import { bootCma, fillWithMovable, freeOutside, MiB } from '../helpers';

// All placements follow mm/cma.c cma_range_alloc with the fixed bitmap math
// (reference cma.md §1.3: cma_bitmap_aligned_mask/offset, pages_to_bits).
describe('cmaAlloc placement (align x order_per_bit)', () => {
  it('opb 0, align 10 on a base 2 MiB past a 4 MiB boundary: first slot 4 MiB aligned', () => {
    const { mm, cma } = bootCma({ base: 0x4020_0000 });
    const pfn = cmaAlloc(cma, 1, 10);
    expect(pfn).toBe(0x40400);
    mm.checkInvariants();
  });

  it('Berger 2017: align 8 MiB (4x the base alignment) still gives an 8 MiB aligned pfn', () => {
    const { mm, cma } = bootCma({ base: 0x4020_0000 });
    // The 2015 formula (distance to the NEXT boundary, 0x600 bits) would have given pfn 0x40400.
    const pfn = cmaAlloc(cma, 1, 11);
    expect(pfn).toBe(0x40800);
    expect(pfn % 2048).toBe(0);
    mm.checkInvariants();
  });

  it('opb 2, align 11: mask 511, offset 0x80 bits, pfn 0x40800', () => {
    const { mm, cma } = bootCma({ base: 0x4020_0000, orderPerBit: 2 });
    const pfn = cmaAlloc(cma, 4, 11);
    expect(pfn).toBe(0x40800);
    const bitmap = cmaDebugfs(cma).ranges[0]!.bitmap;
    // bit 0x180 = (0x40800 - 0x40200) / 4
    expect(bitmap[0x180 >>> 5]).toBe(1 << (0x180 & 31));
    mm.checkInvariants();
  });

  it('opb 2: 5 pages take 2 bits (8 pages) but available_count drops by 5', () => {
    const { mm, cma } = bootCma({ orderPerBit: 2 });
    const first = cmaAlloc(cma, 5, 0);
    expect(first).toBe(0x42000);
    expect(cmaDebugfs(cma).ranges[0]!.bitmap[0]).toBe(0b11);
    expect(cma.availableCount).toBe(4096 - 5);
    expect(cmaDebugfs(cma).used).toBe(5);
    const second = cmaAlloc(cma, 1, 0);
    expect(second).toBe(0x42000 + 8); // bit 2
    // Pages 5..7 are claimed by the bitmap but still free in the buddy allocator.
    expect(mm.buddy.frames.flags[mm.buddy.frames.indexOf(0x42005)]! & 2).toBe(0);
    mm.checkInvariants();
    expect(cmaRelease(cma, first, 5)).toBe(true);
    expect(cmaDebugfs(cma).ranges[0]!.bitmap[0]).toBe(0b100);
    expect(cma.availableCount).toBe(4096 - 1);
    mm.checkInvariants();
  });

  it('align <= order_per_bit needs no mask: consecutive bits', () => {
    const { cma } = bootCma({ orderPerBit: 3 });
    expect(cmaAlloc(cma, 8, 2)).toBe(0x42000);
    expect(cmaAlloc(cma, 8, 3)).toBe(0x42008);
  });

  it('skips claimed bits to the next aligned area (bitmap_find_next_zero_area_off restart)', () => {
    const { mm, cma } = bootCma();
    expect(cmaAlloc(cma, 3, 0)).toBe(0x42000);
    expect(cmaAlloc(cma, 4, 2)).toBe(0x42004);
    expect(cmaAlloc(cma, 1, 0)).toBe(0x42003);
    mm.checkInvariants();
  });
});

describe('cmaAlloc takes memory back from movable pages (alloc_contig_range)', () => {
  it('migrates every borrowed page out and the owners still read their bytes', () => {
    const { mm, cma } = bootCma();
    const { memory, pages } = fillWithMovable(mm);
    expect(mm.buddy.freeCmaPageCount).toBe(0); // every CMA page lent out
    freeOutside(memory, pages, 0x42000, 0x43000, 4096);
    const before = pages.map((page) => memory.pfn(page));
    const inArea = before.filter((pfn) => pfn >= 0x42000 && pfn < 0x43000).length;
    expect(inArea).toBe(4096);
    const migratedBefore = mm.buddy.migrator.migrated;
    const pfn = cmaAlloc(cma, 4096, 0);
    expect(pfn).toBe(0x42000);
    expect(mm.buddy.migrator.migrated - migratedBefore).toBe(4096);
    for (const page of pages) {
      expect(mm.machine.cpu.read32(memory.physAddr(page))).toBe(0x5a00_0000 + page);
      const now = memory.pfn(page);
      expect(now < 0x42000 || now >= 0x43000).toBe(true);
    }
    expect(mm.buddy.frames.pageblockMigratetype(0x42000)).toBe(MIGRATE_CMA); // type restored
    mm.checkInvariants();
    expect(cmaRelease(cma, pfn, 4096)).toBe(true);
    expect(mm.buddy.freeCmaPageCount).toBe(4096);
    mm.checkInvariants();
  });

  it('a pinned page makes the slot EBUSY and the retry takes the next aligned slot', () => {
    const { mm, cma } = bootCma();
    const { memory, pages } = fillWithMovable(mm);
    freeOutside(memory, pages, 0x42000, 0x43000, 2048);
    const victim = pages.find((page) => memory.pfn(page) === 0x42005)!;
    memory.pin(victim); // FOLL_PIN without FOLL_LONGTERM: stays in CMA and blocks migration
    const pfn = cmaAlloc(cma, 512, 9);
    expect(pfn).toBe(0x42200);
    const attempts = cmaLastAttempts(cma);
    expect(attempts.map((attempt) => attempt.pfn)).toEqual([0x42000, 0x42200]);
    expect(attempts[0]!.errno).toBe(16);
    expect(attempts[0]!.reason).toMatch(/pinned/);
    expect(memory.pfn(victim)).toBe(0x42005);
    expect(cmaDebugfs(cma).ranges[0]!.bitmap[0]).toBe(0); // first slot un-claimed
    expect(cmaSysfs(cma)).toMatchObject({ alloc_pages_success: 512, alloc_pages_fail: 0 });
    mm.checkInvariants();
    memory.unpin(victim);
    expect(cmaAlloc(cma, 512, 9)).toBe(0x42000);
    mm.checkInvariants();
  });

  it('emits cma_alloc_start, cma_alloc_busy_retry and cma_alloc_finish trace events', () => {
    const { mm, cma } = bootCma({ size: 4 * MiB });
    const { memory, pages } = fillWithMovable(mm);
    freeOutside(memory, pages, 0x42000, 0x42400, 1024);
    memory.pin(pages.find((page) => memory.pfn(page) === 0x42001)!);
    const events = mm.machine.trace.record(() => cmaAlloc(cma, 16, 9));
    const cmaEvents = events.flatMap((event) =>
      event.kind === 'cma' ? [`${event.op}@${event.pfn.toString(16)}`] : [],
    );
    expect(cmaEvents).toEqual(['alloc_start@-1', 'alloc_busy_retry@42000', 'alloc_finish@42200']);
  });

  it('bits are claimed before migration: an allocation during the migration sees the range busy', () => {
    const { mm, cma } = bootCma({ size: 4 * MiB });
    const { memory, pages } = fillWithMovable(mm);
    freeOutside(memory, pages, 0x42000, 0x42400, 2048);
    let inner = -1;
    let started = false;
    const stop = mm.machine.trace.subscribe((event) => {
      // First migration target allocation inside the outer cma_alloc (lock dropped, bits claimed).
      if (!started && event.kind === 'alloc' && event.owner === 'anon') {
        started = true;
        inner = cmaAlloc(cma, 16, 0);
      }
    });
    const outer = cmaAlloc(cma, 512, 0);
    stop();
    expect(outer).toBe(0x42000);
    expect(inner).toBe(0x42200); // bits 0..511 were taken; bit 512 starts the next pageblock
    mm.checkInvariants();
  });

  it('an extra reference (get_page) blocks migration like a pin', () => {
    const { mm, cma } = bootCma({ size: 2 * MiB });
    const { memory, pages } = fillWithMovable(mm);
    freeOutside(memory, pages, 0x42000, 0x42200, 1024);
    const victim = pages.find((page) => memory.pfn(page) === 0x42100)!;
    memory.getPage(victim);
    expect(() => cmaAlloc(cma, 512, 0)).toThrowError(
      /EBUSY: cma: test: alloc failed, req-size: 512 pages, ret: -16/,
    );
    expect(cmaSysfs(cma)).toMatchObject({ alloc_pages_fail: 512, available_pages: 512 });
    memory.putPage(victim);
    expect(cmaAlloc(cma, 512, 0)).toBe(0x42000);
    mm.checkInvariants();
  });

  it('a long-term pin migrates the page out of CMA first (FOLL_LONGTERM)', () => {
    const { mm, cma } = bootCma({ size: 2 * MiB });
    const { memory, pages } = fillWithMovable(mm);
    freeOutside(memory, pages, 0x42000, 0x42200, 8);
    const victim = pages.find((page) => memory.pfn(page) === 0x42100)!;
    memory.pin(victim, { longterm: true });
    pages.splice(pages.indexOf(victim), 1);
    const moved = memory.pfn(victim);
    expect(moved < 0x42000 || moved >= 0x42200).toBe(true);
    expect(mm.buddy.frames.pageblockMigratetype(moved)).toBe(MIGRATE_MOVABLE);
    expect(mm.machine.cpu.read32(memory.physAddr(victim))).toBe(0x5a00_0000 + victim);
    mm.checkInvariants();
    freeOutside(memory, pages, 0x42000, 0x42200, 512);
    expect(cmaAlloc(cma, 512, 0)).toBe(0x42000);
    mm.checkInvariants();
  });

  it('a long-term pin fails with ENOMEM when only CMA memory is free, leaving the page unpinned', () => {
    const { mm, cma } = bootCma({ size: 2 * MiB });
    const { memory, pages } = fillWithMovable(mm);
    const inCma = pages.filter((page) => cma.rangeOf(memory.pfn(page)) !== null);
    memory.freePage(inCma[0]!); // the only free page is a CMA page
    expect(() => memory.pin(inCma[1]!, { longterm: true })).toThrowError(/ENOMEM/);
    expect(() => memory.unpin(inCma[1]!)).toThrowError(/not pinned/);
    expect(mm.buddy.memallocPinDepth).toBe(0);
    mm.checkInvariants();
  });

  it('no target memory: ENOMEM stops at once, bits and pageblocks restored', () => {
    const { mm, cma } = bootCma({ size: 2 * MiB });
    fillWithMovable(mm);
    expect(() => cmaAlloc(cma, 512, 0)).toThrowError(
      /ENOMEM: cma: test: alloc failed, req-size: 512 pages, ret: -12/,
    );
    expect(cmaLastAttempts(cma)).toHaveLength(1);
    expect(cma.availableCount).toBe(512);
    expect(mm.buddy.frames.pageblockMigratetype(0x42000)).toBe(MIGRATE_CMA);
    mm.checkInvariants();
  });
});

describe('counters, log and failure reporting (mm/cma.c, mm/cma_sysfs.c, mm/cma_debug.c)', () => {
  it('counts pages in sysfs and calls in vmstat; used and maxchunk in debugfs', () => {
    const { mm, cma } = bootCma();
    const a = cmaAlloc(cma, 100, 0);
    cmaAlloc(cma, 28, 0);
    expect(() => cmaAlloc(cma, 5000, 0)).toThrowError(/EBUSY/);
    expect(cmaRelease(cma, a, 100)).toBe(true);
    expect(cmaSysfs(cma)).toEqual({
      alloc_pages_success: 128,
      alloc_pages_fail: 5000,
      release_pages_success: 100,
      total_pages: 4096,
      available_pages: 4096 - 28,
    });
    expect(mm.cma.vmstat).toEqual({ cmaAllocSuccess: 2, cmaAllocFail: 1 });
    expect(cmaDebugfs(cma)).toMatchObject({
      count: 4096,
      order_per_bit: 0,
      used: 28,
      maxchunk: 4096 - 128,
    });
    expect(mm.cma.meminfo()).toEqual({ CmaTotal: 16384, CmaFree: (4096 - 28) * 4 });
  });

  it('logs "alloc failed" with the free runs unless no_warn', () => {
    const { cma, mm } = bootCma({ size: 2 * MiB });
    cmaAlloc(cma, 10, 0);
    cmaAlloc(cma, 10, 0);
    const second = 0x42000 + 10;
    cmaRelease(cma, 0x42000, 10);
    expect(() => cmaAlloc(cma, 600, 0)).toThrowError(/ret: -16/);
    expect(mm.cma.log.at(-2)).toEqual({
      level: 'err',
      message: 'cma: test: alloc failed, req-size: 600 pages, ret: -16',
    });
    expect(cmaDebugShowAreas(cma)).toBe(
      `number of available pages: \nrange 0: 10@0+492@20\n=> 502 free of 512 total pages`,
    );
    const lines = mm.cma.log.length;
    expect(() => cmaAlloc(cma, 600, 0, true)).toThrowError(/EBUSY/);
    expect(mm.cma.log.length).toBe(lines);
    expect(cmaRelease(cma, second, 10)).toBe(true);
  });

  it('count 0 or an inactive area is EINVAL without counting', () => {
    const { cma, mm } = bootCma();
    expect(() => cmaAlloc(cma, 0, 0)).toThrowError(/EINVAL/);
    expect(mm.cma.vmstat).toEqual({ cmaAllocSuccess: 0, cmaAllocFail: 0 });
  });

  it('CmaFree counts free CMA buddy pages: it drops when movable pages borrow the area', () => {
    const { mm, cma } = bootCma();
    const before = mm.cma.meminfo().CmaFree;
    fillWithMovable(mm);
    expect(mm.cma.meminfo().CmaFree).toBe(0);
    expect(cmaSysfs(cma).available_pages).toBe(4096); // the bitmap still says everything is available
    expect(before).toBe(16384);
  });
});

describe('cmaRelease', () => {
  it('returns false for pages outside the area and WARNs for a span running past its range', () => {
    const { mm, cma } = bootCma({ size: 2 * MiB });
    const pfn = cmaAlloc(cma, 512, 0);
    expect(cmaRelease(cma, 0x40000, 1)).toBe(false);
    expect(cmaRelease(cma, pfn + 511, 2)).toBe(false);
    expect(mm.machine.diagnostics.events.at(-1)?.message).toMatch(/runs past its range/);
    expect(cmaRelease(cma, pfn, 512)).toBe(true);
    // Releasing again: the pages are no longer CMA-allocated.
    expect(() => cmaRelease(cma, pfn, 512)).toThrowError(/EINVAL/);
    mm.checkInvariants();
  });
});
