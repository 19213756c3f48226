import { createMachine } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { bootMemory, type MemorySystem } from '../../src/boot';
import { cmaAlloc } from '../../src/cma/cma-alloc';
import { cmaDebugfs } from '../../src/cma/cma-debug';
import {
  cmaDeclareContiguous,
  cmaDeclareContiguousMulti,
  cmaInitReservedMem,
  cmaReserveEarly,
} from '../../src/cma/cma-declare';
import { MIGRATE_CMA, MIGRATE_MOVABLE } from '../../src/mm/constants';
import { MiB } from '../helpers';

function boot(
  ram: { base: number; size: number }[],
  declare: (mm: MemorySystem) => void,
  maxAreas?: number,
): MemorySystem {
  const machine = createMachine({ ram, pageAllocator: false, cache: { enabled: false } });
  return bootMemory(machine, {
    contiguous: false,
    declare,
    ...(maxAreas === undefined ? {} : { maxAreas }),
  });
}

const LOW = [{ base: 0x4000_0000, size: 64 * MiB }];
const LOW_AND_HIGH = [
  { base: 0x4000_0000, size: 64 * MiB },
  { base: 0x1_0000_0000, size: 64 * MiB },
];

// mm/cma.c __cma_declare_contiguous_nid and cma_init_reserved_mem (reference cma.md §1.4).
describe('cma_declare_contiguous rules', () => {
  it('rejects bad arguments with the errno Linux returns', () => {
    boot(LOW, (mm) => {
      expect(() => cmaDeclareContiguous(mm.cma, { size: 0 })).toThrowError(/EINVAL.*size 0/);
      expect(() =>
        cmaDeclareContiguous(mm.cma, { size: MiB * 4, alignment: 3 * MiB }),
      ).toThrowError(/EINVAL.*power of two/);
      expect(() =>
        cmaDeclareContiguous(mm.cma, { base: 0x4010_0000, size: 4 * MiB, fixed: true }),
      ).toThrowError(/EINVAL.*must be aligned to 0x20_0000/);
      expect(() => cmaDeclareContiguous(mm.cma, { size: 4 * MiB, orderPerBit: 11 })).toThrowError(
        /EINVAL.*2\^11 pages/,
      );
      expect(() =>
        cmaDeclareContiguous(mm.cma, {
          base: 0x4000_0000,
          size: 8 * MiB,
          limit: 0x4040_0000,
          fixed: true,
        }),
      ).toThrowError(/EINVAL.*exceeds limit/);
      expect(() => cmaDeclareContiguous(mm.cma, { size: 128 * MiB })).toThrowError(/ENOMEM/);
      cmaDeclareContiguous(mm.cma, { base: 0x4000_0000, size: 4 * MiB, fixed: true, name: 'a' });
      expect(() =>
        cmaDeclareContiguous(mm.cma, { base: 0x4020_0000, size: 4 * MiB, fixed: true }),
      ).toThrowError(/EBUSY/);
      expect(() => cmaDeclareContiguous(mm.cma, { size: 62 * MiB })).toThrowError(/ENOMEM/);
      expect(mm.cma.areas).toHaveLength(1);
      expect(mm.memblock.reserved).toEqual([{ base: 0x4000_0000, size: 4 * MiB }]);
    });
  });

  it('raises alignment to a pageblock and rounds the size up', () => {
    const mm = boot(LOW, (system) => {
      cmaDeclareContiguous(system.cma, { size: 3 * MiB, name: 'odd' });
    });
    const cma = mm.cma.areas[0]!;
    expect(cma.count).toBe(1024); // 3 MiB rounded up to 2 MiB alignment = 4 MiB
    expect(cma.base % (2 * MiB)).toBe(0);
    // Top-down below the end of memory.
    expect(cma.base).toBe(0x4400_0000 - 4 * MiB);
  });

  it('ENOSPC when all MAX_CMA_AREAS slots are used', () => {
    boot(
      LOW,
      (mm) => {
        cmaDeclareContiguous(mm.cma, { size: 2 * MiB });
        cmaDeclareContiguous(mm.cma, { size: 2 * MiB });
        expect(() => cmaDeclareContiguous(mm.cma, { size: 2 * MiB })).toThrowError(/ENOSPC/);
      },
      2,
    );
  });

  it('places a non-fixed area bottom-up from 4 GiB when memory reaches 4 GiB + size', () => {
    const mm = boot(LOW_AND_HIGH, (system) => {
      cmaDeclareContiguous(system.cma, { size: 16 * MiB, name: 'high' });
      cmaDeclareContiguous(system.cma, { size: 16 * MiB, limit: 0x1_0000_0000, name: 'low' });
    });
    expect(mm.cma.find('high')!.base).toBe(0x1_0000_0000);
    expect(mm.cma.find('low')!.base).toBe(0x4400_0000 - 16 * MiB);
  });

  it('names an unnamed area "cma%d\\n" (the stray newline is Linux\'s)', () => {
    const mm = boot(LOW, (system) => {
      cmaDeclareContiguous(system.cma, { size: 2 * MiB });
    });
    expect(mm.cma.areas[0]!.name).toBe('cma0\n');
  });

  it('cma_init_reserved_mem needs memblock-reserved, pageblock-aligned memory', () => {
    boot(LOW, (mm) => {
      expect(() => cmaInitReservedMem(mm.cma, 0x4000_0000, 2 * MiB)).toThrowError(
        /EINVAL.*not reserved/,
      );
      mm.memblock.reserve(0x4010_0000, 2 * MiB);
      expect(() => cmaInitReservedMem(mm.cma, 0x4010_0000, 2 * MiB)).toThrowError(
        /EINVAL.*CMA_MIN_ALIGNMENT_BYTES/,
      );
    });
  });
});

describe('activation (cma_activate_area)', () => {
  it('turns the pageblocks into MIGRATE_CMA and frees them to the buddy allocator', () => {
    const mm = boot(LOW, (system) => {
      cmaDeclareContiguous(system.cma, {
        base: 0x4100_0000,
        size: 8 * MiB,
        fixed: true,
        name: 'a',
      });
    });
    expect(mm.buddy.frames.pageblockMigratetype(0x41000)).toBe(MIGRATE_CMA);
    expect(mm.buddy.frames.pageblockMigratetype(0x417ff)).toBe(MIGRATE_CMA);
    expect(mm.buddy.frames.pageblockMigratetype(0x41800)).toBe(MIGRATE_MOVABLE);
    expect(mm.buddy.freeCmaPageCount).toBe(2048);
    expect(mm.cma.totalcmaPages).toBe(2048);
    mm.checkInvariants();
  });

  /** Boots 128 MiB at 0xfc00_0000 with a fixed 32 MiB area 'straddle' across the 4 GiB line. */
  function bootStraddlingArea(reservePagesOnError: boolean) {
    return boot([{ base: 0xfc00_0000, size: 128 * MiB }], (system) => {
      cmaDeclareContiguous(system.cma, {
        base: 0xff00_0000,
        size: 32 * MiB,
        fixed: true,
        name: 'straddle',
      }).reservePagesOnError = reservePagesOnError;
    });
  }

  it('an area spanning two zones cannot be activated; its pages become ordinary memory', () => {
    const mm = bootStraddlingArea(false);
    const cma = mm.cma.find('straddle')!;
    expect(cma.count).toBe(0);
    expect(mm.cma.totalcmaPages).toBe(0);
    expect(mm.cma.log).toContainEqual({
      level: 'err',
      message: 'CMA area straddle could not be activated',
    });
    expect(mm.buddy.freeCmaPageCount).toBe(0);
    expect(mm.buddy.freePageCount).toBe(32768);
    expect(() => cmaAlloc(cma, 1, 0)).toThrowError(/EINVAL/);
    mm.checkInvariants();
  });

  it('cma_reserve_pages_on_error keeps the pages out of the buddy allocator', () => {
    const mm = bootStraddlingArea(true);
    expect(mm.buddy.freePageCount).toBe(32768 - 8192);
    mm.checkInvariants();
  });

  it('cma_reserve_early carves pages off the bottom before activation; they stay out of buddy', () => {
    let early: number | null = null;
    const mm = boot(LOW, (system) => {
      const cma = cmaDeclareContiguous(system.cma, {
        base: 0x4100_0000,
        size: 8 * MiB,
        fixed: true,
        name: 'e',
      });
      expect(cmaReserveEarly(cma, MiB)).toBeNull(); // not a whole pageblock
      early = cmaReserveEarly(cma, 2 * MiB);
    });
    const cma = mm.cma.find('e')!;
    expect(early).toBe(0x4100_0000);
    expect(cma.availableCount).toBe(2048 - 512);
    expect(
      cmaDebugfs(cma)
        .ranges[0]!.bitmap.slice(0, 16)
        .every((word) => word === 0xffff_ffff),
    ).toBe(true);
    expect(mm.buddy.freeCmaPageCount).toBe(1536);
    expect(cmaReserveEarly(cma, 2 * MiB)).toBeNull(); // already active
    expect(cmaAlloc(cma, 1, 0)).toBe(0x41200);
    mm.checkInvariants();
  });
});

describe('multi-range areas (cma_declare_contiguous_multi, Linux 6.15)', () => {
  const SPLIT = [
    { base: 0x4000_0000, size: 8 * MiB },
    { base: 0x1_0000_0000, size: 8 * MiB },
    { base: 0x1_0100_0000, size: 8 * MiB },
  ];
  it('collects free ranges above 4 GiB when one range cannot hold the area', () => {
    const mm = boot(SPLIT, (system) => {
      cmaDeclareContiguousMulti(system.cma, 12 * MiB, 0, 0, 'multi');
    });
    const cma = mm.cma.find('multi')!;
    expect(cma.ranges.map((range) => [range.basePfn, range.count])).toEqual([
      [0x10_0000, 2048],
      [0x10_1000, 1024],
    ]);
    expect(mm.cma.log.at(-1)?.message).toBe('Reserved 12 MiB in 2 ranges');
    // A request too big for range 0 gets EBUSY there and moves to range 1.
    cmaAlloc(cma, 1500, 0);
    expect(cmaAlloc(cma, 1000, 0)).toBe(0x10_1000);
    expect(() => cmaAlloc(cma, 600, 0, true)).toThrowError(/EBUSY/);
    expect(cmaDebugfs(cma).maxchunk).toBe(548);
    mm.checkInvariants();
  });

  it('cma_get_base WARNs on a multi-range area', () => {
    const mm = boot(SPLIT, (system) => {
      cmaDeclareContiguousMulti(system.cma, 12 * MiB, 0, 0, 'multi');
    });
    void mm.cma.find('multi')!.base;
    expect(mm.machine.diagnostics.events.at(-1)?.message).toMatch(/2 ranges/);
  });
});
