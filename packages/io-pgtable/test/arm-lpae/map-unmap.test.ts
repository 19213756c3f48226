/**
 * Error codes, order of checks and WARNs of arm_lpae_map_pages / arm_lpae_unmap_pages
 * (Linux v6.16 io-pgtable-arm.c; reference io-pgtable.md §3.1, §3.2, §6.4).
 */
import type { Machine } from '@socmem/hw-sim';
import { describe, expect, test } from 'vitest';
import { freeIoPgtableOps } from '../../src/alloc';
import { ArmLpaeIoPgtable } from '../../src/arm-lpae/pgtable';
import {
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_NO_WARN,
  IOMMU_CACHE,
  IOMMU_NOEXEC,
  IOMMU_READ,
  IOMMU_WRITE,
  type IoPgtableCfg,
  IoPgtableFmt,
} from '../../src/io-pgtable';
import { IoPgtableMapError } from '../../src/map-error';
import { allocOps, lpaeCfg, SZ_1G, SZ_2M, SZ_4K, testMachine } from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;

function setup(
  overrides: Partial<IoPgtableCfg> = {},
  fmt: IoPgtableFmt = IoPgtableFmt.ARM_64_LPAE_S1,
): { machine: Machine; ops: ArmLpaeIoPgtable } {
  const machine = testMachine();
  const ops = allocOps(fmt, lpaeCfg(machine, overrides));
  if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
  return { machine, ops };
}

function mapError(run: () => unknown): IoPgtableMapError {
  try {
    run();
  } catch (error) {
    if (error instanceof IoPgtableMapError) return error;
    throw error;
  }
  throw new Error('expected an IoPgtableMapError');
}

function warnings(machine: Machine): string[] {
  return machine.diagnostics.take().map((event) => `${event.source}: ${event.message}`);
}

describe('mapPages checks, in Linux order', () => {
  test('pgsize not in the bitmap (or 0): WARN and EINVAL, even with NO_WARN', () => {
    const { machine, ops } = setup({ quirks: IO_PGTABLE_QUIRK_NO_WARN });
    expect(mapError(() => ops.mapPages(0, 0, 0x2000, 1, RW)).code).toBe('EINVAL');
    expect(mapError(() => ops.mapPages(0, 0, 0, 1, RW)).code).toBe('EINVAL');
    expect(warnings(machine)).toHaveLength(2);
    // 4K|2M passes (pgsize & bitmap) == pgsize; no level has that block size, so the walk
    // reaches level 3 and WARNs there. The empty tables it installed on the way are removed.
    const held = ops.tables.pagesHeld;
    expect(mapError(() => ops.mapPages(0, 0, SZ_4K | SZ_2M, 1, RW)).code).toBe('EINVAL');
    expect(warnings(machine)).toEqual([
      'io-pgtable-arm: WARN_ON(lvl >= ARM_LPAE_MAX_LEVELS - 1): no level maps pgsize 0x20_1000',
    ]);
    expect(ops.tables.pagesHeld).toBe(held);
  });

  test('iova beyond ias or paddr beyond oas: WARN and ERANGE', () => {
    const { machine, ops } = setup({ ias: 32, oas: 36 });
    expect(mapError(() => ops.mapPages(2 ** 32, 0, SZ_4K, 1, RW)).code).toBe('ERANGE');
    expect(mapError(() => ops.mapPages(0, 2 ** 36, SZ_4K, 1, RW)).code).toBe('ERANGE');
    expect(mapError(() => ops.mapPages(-SZ_4K, 0, SZ_4K, 1, RW)).code).toBe('ERANGE');
    expect(warnings(machine)).toEqual([
      'io-pgtable-arm: WARN_ON(iaext || paddr >> oas): map iova 0x1_0000_0000 paddr 0x0',
      'io-pgtable-arm: WARN_ON(iaext || paddr >> oas): map iova 0x0 paddr 0x10_0000_0000',
      'io-pgtable-arm: WARN_ON(iaext || paddr >> oas): map iova 0xffff_ffff_ffff_f000 paddr 0x0',
    ]);
    // The last page below 2^ias and 2^oas maps.
    expect(ops.mapPages(2 ** 32 - SZ_4K, 2 ** 36 - SZ_4K, SZ_4K, 1, RW)).toBe(SZ_4K);
    expect(ops.iovaToPhys(2 ** 32 - 1)).toBe(2 ** 36 - 1);
  });

  test('neither READ nor WRITE: EINVAL without a WARN (the pre-v4.x no-op is gone)', () => {
    const { machine, ops } = setup();
    expect(mapError(() => ops.mapPages(0, 0, SZ_4K, 1, IOMMU_CACHE | IOMMU_NOEXEC)).code).toBe(
      'EINVAL',
    );
    expect(warnings(machine)).toEqual([]);
  });

  test('order: bad pgsize before bad range before missing prot', () => {
    const { ops } = setup({ ias: 32 });
    expect(mapError(() => ops.mapPages(2 ** 40, 0, 0x3000, 1, 0)).code).toBe('EINVAL');
    expect(mapError(() => ops.mapPages(2 ** 40, 0, SZ_4K, 1, 0)).code).toBe('ERANGE');
    expect(mapError(() => ops.mapPages(0, 0, SZ_4K, 1, 0)).message).toMatch(
      /neither IOMMU_READ nor IOMMU_WRITE/,
    );
  });

  test('EEXIST over a page: WARN unless NO_WARN, nothing written, mapped 0', () => {
    const { machine, ops } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_4K, 4, RW);
    const error = mapError(() => ops.mapPages(2 * SZ_4K, 0x9000_0000, SZ_4K, 1, IOMMU_READ));
    expect([error.code, error.mapped]).toEqual(['EEXIST', 0]);
    expect(warnings(machine)).toEqual([
      'io-pgtable-arm: WARN_ON: map of iova 0x2000 over an existing mapping',
    ]);
    expect(ops.iovaToPhys(2 * SZ_4K)).toBe(0x8000_2000);
    const quiet = setup({ quirks: IO_PGTABLE_QUIRK_NO_WARN });
    quiet.ops.mapPages(0, 0, SZ_4K, 1, RW);
    expect(mapError(() => quiet.ops.mapPages(0, 0, SZ_4K, 1, RW)).code).toBe('EEXIST');
    expect(warnings(quiet.machine)).toEqual([]);
  });

  test('a multi-page map over a range with one existing page writes none of it', () => {
    const { ops } = setup({ quirks: IO_PGTABLE_QUIRK_NO_WARN });
    ops.mapPages(5 * SZ_4K, 0x8000_5000, SZ_4K, 1, RW);
    expect(mapError(() => ops.mapPages(0, 0x9000_0000, SZ_4K, 8, RW)).code).toBe('EEXIST');
    for (let page = 0; page < 8; page++)
      expect(ops.iovaToPhys(page * SZ_4K)).toBe(page === 5 ? 0x8000_5000 : 0);
  });

  test('a page inside a mapped block: EEXIST at the block level', () => {
    const { ops } = setup({ quirks: IO_PGTABLE_QUIRK_NO_WARN });
    ops.mapPages(0, 0x8000_0000, SZ_2M, 1, RW);
    expect(mapError(() => ops.mapPages(SZ_4K, 0, SZ_4K, 1, RW)).message).toMatch(
      /inside a mapped block at level 2/,
    );
  });

  test('at most one table of entries per call (arm_lpae_max_entries)', () => {
    const { ops } = setup();
    // Index 510 of a level-3 table: only 2 entries remain in that table.
    expect(ops.mapPages(510 * SZ_4K, 0x8000_0000, SZ_4K, 5, RW)).toBe(2 * SZ_4K);
    expect(ops.iovaToPhys(511 * SZ_4K)).toBe(0x8000_1000);
    expect(ops.iovaToPhys(512 * SZ_4K)).toBe(0);
    expect(ops.unmapPages(510 * SZ_4K, SZ_4K, 5)).toBe(2 * SZ_4K);
  });

  test('concatenated stage-2 PGD: one call stops at the end of each 4K table page (d71fa842d33c)', () => {
    // 4K, ias = oas = 40: level 1 with two concatenated tables (1024 entries of 1G).
    const { ops } = setup({ ias: 40, oas: 40 }, IoPgtableFmt.ARM_64_LPAE_S2);
    expect([ops.startLevel, ops.pgdSize]).toEqual([1, 8192]);
    expect(ops.mapPages(510 * SZ_1G, 0, SZ_1G, 5, RW)).toBe(2 * SZ_1G);
    expect(ops.mapPages(512 * SZ_1G, 2 * SZ_1G, SZ_1G, 3, RW)).toBe(3 * SZ_1G);
    expect(ops.mapPages(1022 * SZ_1G, 0, SZ_1G, 5, RW)).toBe(2 * SZ_1G);
    expect(ops.iovaToPhys(513 * SZ_1G + 42)).toBe(3 * SZ_1G + 42);
    expect(ops.unmapPages(510 * SZ_1G, SZ_1G, 10)).toBe(2 * SZ_1G);
    expect(ops.unmapPages(512 * SZ_1G, SZ_1G, 10)).toBe(3 * SZ_1G);
    expect(ops.unmapPages(1022 * SZ_1G, SZ_1G, 10)).toBe(2 * SZ_1G);
  });

  test('pgcount > 1 maps consecutive physical pages; pgcount 0 maps nothing', () => {
    const { ops } = setup();
    expect(ops.mapPages(SZ_1G, 0x8000_0000, SZ_2M, 3, RW)).toBe(3 * SZ_2M);
    expect(ops.iovaToPhys(SZ_1G + 2 * SZ_2M + 5)).toBe(0x8040_0005);
    expect(ops.mapPages(0, 0, SZ_4K, 0, RW)).toBe(0);
  });

  test('a block replaces a table: the table (and the pages in it) are unmapped and freed', () => {
    const { machine, ops } = setup();
    ops.mapPages(SZ_2M, 0x8000_0000, SZ_4K, 3, RW);
    const held = ops.tables.pagesHeld;
    expect(ops.mapPages(SZ_2M, 0x9000_0000, SZ_2M, 1, RW)).toBe(SZ_2M);
    expect(ops.tables.pagesHeld).toBe(held - 1);
    expect(ops.iovaToPhys(SZ_2M + SZ_4K)).toBe(0x9000_1000);
    expect(warnings(machine)).toEqual([]);
  });

  test('non-integer arguments: EINVAL', () => {
    const { ops } = setup();
    expect(mapError(() => ops.mapPages(0.5, 0, SZ_4K, 1, RW)).code).toBe('EINVAL');
    expect(mapError(() => ops.mapPages(0, 0, SZ_4K, -1, RW)).code).toBe('EINVAL');
  });
});

describe('unmapPages', () => {
  test('returns the bytes unmapped; iovaToPhys gives 0 afterwards', () => {
    const { ops } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_4K, 4, RW);
    expect(ops.unmapPages(0, SZ_4K, 4)).toBe(4 * SZ_4K);
    expect(ops.iovaToPhys(0)).toBe(0);
  });

  test('bad pgsize, zero pgcount or iova beyond ias: WARN and 0', () => {
    const { machine, ops } = setup({ ias: 32 });
    ops.mapPages(0, 0, SZ_4K, 1, RW);
    expect(ops.unmapPages(0, 0x2000, 1)).toBe(0);
    expect(ops.unmapPages(0, SZ_4K, 0)).toBe(0);
    expect(ops.unmapPages(2 ** 32, SZ_4K, 1)).toBe(0);
    expect(warnings(machine)).toHaveLength(3);
    expect(ops.iovaToPhys(0)).toBe(0);
  });

  test('unmapped iova: WARN (unless NO_WARN) and 0, not -ENOENT as a size_t (the Dec-2025 fix)', () => {
    const { machine, ops } = setup();
    expect(ops.unmapPages(SZ_1G, SZ_4K, 1)).toBe(0);
    ops.mapPages(0, 0, SZ_4K, 1, RW);
    expect(ops.unmapPages(SZ_4K, SZ_4K, 1)).toBe(0);
    expect(warnings(machine)).toEqual([
      'io-pgtable-arm: WARN_ON: unmap of unmapped iova 0x4000_0000',
      'io-pgtable-arm: WARN_ON: unmap of unmapped iova 0x1000',
    ]);
    const quiet = setup({ quirks: IO_PGTABLE_QUIRK_NO_WARN });
    expect(quiet.ops.unmapPages(0, SZ_4K, 1)).toBe(0);
    expect(warnings(quiet.machine)).toEqual([]);
  });

  test('a hole inside the range stops the unmap there', () => {
    const { machine, ops } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_4K, 2, RW);
    ops.mapPages(3 * SZ_4K, 0x8000_3000, SZ_4K, 1, RW);
    expect(ops.unmapPages(0, SZ_4K, 4)).toBe(2 * SZ_4K);
    expect(ops.iovaToPhys(3 * SZ_4K)).toBe(0x8000_3000);
    expect(warnings(machine)).toEqual(['io-pgtable-arm: WARN_ON: unmap of unmapped iova 0x2000']);
  });

  test('partial unmap of a block: WARN_ONCE and 0, the block stays (v6.12+, 33729a5fc0ca)', () => {
    const { machine, ops } = setup({ quirks: IO_PGTABLE_QUIRK_NO_WARN });
    ops.mapPages(SZ_1G, 0x8000_0000, SZ_1G, 1, RW);
    expect(ops.unmapPages(SZ_1G + SZ_4K, SZ_4K, 1)).toBe(0);
    expect(ops.unmapPages(SZ_1G + SZ_2M, SZ_2M, 1)).toBe(0);
    expect(warnings(machine)).toEqual([
      'io-pgtable-arm: WARN_ONCE: Unmap of a partial large IOPTE is not allowed',
    ]);
    expect(ops.iovaToPhys(SZ_1G + SZ_4K)).toBe(0x8000_1000);
  });

  test('unmapping a table entry at its own size frees the sub-tree', () => {
    const { machine, ops } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_4K, 1, RW);
    ops.mapPages(SZ_2M - SZ_4K, 0x8000_0000, SZ_4K, 1, RW);
    expect(ops.tables.pagesHeld).toBe(4);
    expect(ops.unmapPages(0, SZ_1G, 1)).toBe(SZ_1G);
    expect(ops.tables.pagesHeld).toBe(2);
    freeIoPgtableOps(ops);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
  });
});

describe('ARM_TTBR1: upper-range IOVAs as signed 64-bit numbers', () => {
  test('0xffff_ffff_ffe0_0000 is passed as -0x20_0000 and maps; a lower-range iova is ERANGE', () => {
    const { ops } = setup({ quirks: IO_PGTABLE_QUIRK_ARM_TTBR1 });
    expect(ops.mapPages(-SZ_2M, 0x8000_0000, SZ_4K, 2, RW)).toBe(2 * SZ_4K);
    expect(ops.iovaToPhys(-SZ_2M + SZ_4K + 7)).toBe(0x8000_1007);
    expect(mapError(() => ops.mapPages(0, 0, SZ_4K, 1, RW)).code).toBe('ERANGE');
    expect(mapError(() => ops.mapPages(-(2 ** 48) - SZ_4K, 0, SZ_4K, 1, RW)).code).toBe('ERANGE');
    expect(ops.mapPages(-(2 ** 48), 0, SZ_4K, 1, RW)).toBe(SZ_4K);
    expect(ops.unmapPages(-SZ_2M, SZ_4K, 2)).toBe(2 * SZ_4K);
  });

  test('messages print TTBR1 IOVAs as the unsigned long Linux sees, not as negative hex', () => {
    // arm_lpae_map_pages takes `unsigned long iova`: -0x80_0000_1000 is 0xffff_ff7f_ffff_f000.
    const { machine, ops } = setup({ quirks: IO_PGTABLE_QUIRK_ARM_TTBR1, ias: 39 });
    const error = mapError(() => ops.mapPages(-(2 ** 39) - SZ_4K, 0x1000, SZ_4K, 1, RW));
    expect(error.message).toBe(
      'ERANGE: io-pgtable-arm: map of iova 0xffff_ff7f_ffff_f000 to paddr 0x1000 is outside ias 39 / oas 48',
    );
    expect(ops.unmapPages(-SZ_4K, SZ_4K, 1)).toBe(0);
    expect(warnings(machine)).toEqual([
      'io-pgtable-arm: WARN_ON(iaext || paddr >> oas): map iova 0xffff_ff7f_ffff_f000 paddr 0x1000',
      'io-pgtable-arm: WARN_ON: unmap of unmapped iova 0xffff_ffff_ffff_f000',
    ]);
  });
});

describe('errors raised below mapPages', () => {
  test('ENOMEM keeps one errno prefix in the message (IoPgtableMapError.fromError)', () => {
    // A SocmemError message already starts with "ENOMEM: "; re-wrapping it as the map error
    // must not print the code twice.
    const { machine, ops } = setup();
    machine.failPoints.arm('io-pgtable-alloc', { nth: 1 });
    const error = mapError(() => ops.mapPages(0, 0, SZ_4K, 1, RW));
    expect([error.code, error.mapped]).toEqual(['ENOMEM', 0]);
    expect(error.message).toBe(
      'ENOMEM: io-pgtable-arm: io-pgtable-alloc fail point (table of 4096 bytes)',
    );
  });
});

describe('use after free', () => {
  test('ops are unusable after freeIoPgtableOps; a second free is EINVAL', () => {
    const { ops } = setup();
    freeIoPgtableOps(ops);
    expect(() => ops.mapPages(0, 0, SZ_4K, 1, RW)).toThrow(/EINVAL.*after freeIoPgtableOps/);
    expect(() => ops.iovaToPhys(0)).toThrow(/EINVAL/);
    expect(() => freeIoPgtableOps(ops)).toThrow(/EINVAL.*freed twice/);
  });
});
