import { createMachine } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { bootMemory } from '../../src/boot';
import type { Cma } from '../../src/cma/cma';
import { cmaAlloc } from '../../src/cma/cma-alloc';
import { cmaDeclareContiguous } from '../../src/cma/cma-declare';
import { MovableMemory } from '../../src/mm/movable-memory';
import { MiB } from '../helpers';

// include/linux/pageblock-flags.h: pageblock = PMD-sized huge page; CMA_MIN_ALIGNMENT_BYTES =
// PAGE_SIZE * pageblock_nr_pages (reference cma.md §3.1: 16K pages -> 32 MiB).
describe('16 KiB pages', () => {
  it('uses pageblock order 11 (32 MiB), MAX_PAGE_ORDER 11, and migrates 16 KiB pages', () => {
    const machine = createMachine({
      ram: [{ base: 0x4000_0000, size: 128 * MiB }],
      pageAllocator: false,
      cache: { enabled: false },
    });
    let cma: Cma | null = null;
    const mm = bootMemory(machine, {
      pageSize: 16384,
      contiguous: false,
      declare: (system) => {
        expect(system.cma.minAlignmentBytes).toBe(32 * MiB);
        expect(() =>
          cmaDeclareContiguous(system.cma, { base: 0x4100_0000, size: 32 * MiB, fixed: true }),
        ).toThrowError(/must be aligned to 0x200_0000/);
        cma = cmaDeclareContiguous(system.cma, {
          base: 0x4200_0000,
          size: 32 * MiB,
          fixed: true,
          name: 'big',
        });
      },
    });
    expect(mm.buddy.pageblockOrder).toBe(11);
    expect(mm.buddy.maxPageOrder).toBe(11);
    const memory = new MovableMemory(mm.buddy, 'anon');
    const pages: number[] = [];
    while (mm.buddy.freePageCount > 0) {
      const page = memory.allocPage();
      machine.cpu.write32(memory.physAddr(page) + 12 * 1024, page); // in the last 4 KiB RAM frame
      pages.push(page);
    }
    for (const page of pages.slice(0, 100))
      if (cma!.rangeOf(memory.pfn(page)) === null) memory.freePage(page);
    const area = cma! as Cma;
    const inside = pages.filter((page) => {
      try {
        const pfn = memory.pfn(page);
        return pfn >= 0x10800 && pfn < 0x10810;
      } catch {
        return false;
      }
    });
    expect(inside.length).toBeGreaterThan(0);
    expect(cmaAlloc(area, 16, 0)).toBe(0x4200_0000 / 16384);
    for (const page of inside)
      expect(machine.cpu.read32(memory.physAddr(page) + 12 * 1024)).toBe(page);
    mm.checkInvariants();
  });
});
