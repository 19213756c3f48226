/**
 * allocIoPgtableOps / freeIoPgtableOps: the format dispatch of io_pgtable_init_table
 * (drivers/iommu/io-pgtable.c), the quirks and limits each LPAE format accepts (v6.16
 * io-pgtable-arm.c; reference io-pgtable.md §1, §1.1, §2.3), and the cfg contract.
 */
import { SimplePageAllocator, SocmemError } from '@socmem/hw-sim';
import { describe, expect, test } from 'vitest';
import {
  allocIoPgtableOps,
  freeIoPgtableOps,
  IO_PGTABLE_QUIRK_ARM_HD,
  IO_PGTABLE_QUIRK_ARM_MTK_EXT,
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_ARM_OUTER_WBWA,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_NO_PERMS,
  IO_PGTABLE_QUIRK_NO_WARN,
  IOMMU_READ,
  type IoPgtableFmt,
} from '../src/index';
import { lpaeCfg, recordingTlb, SZ_4K, testMachine } from './arm-lpae/helpers';

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (SocmemError.isInstance(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'ok';
}

describe('allocIoPgtableOps dispatch', () => {
  test('an unknown format is EINVAL naming it', () => {
    expect(
      code(() => allocIoPgtableOps('ARM_FOO' as IoPgtableFmt, lpaeCfg(testMachine()), null)),
    ).toMatch(/^EINVAL: .*format ARM_FOO is not one of ARM_32_LPAE_S1/);
  });

  test('ARM_V7S goes to the v7s init fns; free flushes the TLB first', () => {
    const machine = testMachine();
    const { tlb, calls } = recordingTlb();
    const ops = allocIoPgtableOps(
      'ARM_V7S',
      lpaeCfg(machine, { ias: 32, oas: 32, pgsizeBitmap: SZ_4K, tlb }),
      'cookie',
    );
    expect(ops.fmt).toBe('ARM_V7S');
    expect(ops.mapPages(0, 0x8000_0000, SZ_4K, 1, IOMMU_READ)).toBe(SZ_4K);
    freeIoPgtableOps(ops);
    expect(calls).toEqual([{ op: 'flushAll', cookie: 'cookie' }]);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
  });

  test('every LPAE format allocates and frees', () => {
    for (const fmt of [
      'ARM_32_LPAE_S1',
      'ARM_32_LPAE_S2',
      'ARM_64_LPAE_S1',
      'ARM_64_LPAE_S2',
      'ARM_MALI_LPAE',
    ] as const) {
      const machine = testMachine();
      const ops = allocIoPgtableOps(fmt, lpaeCfg(machine, { ias: 32, oas: 40 }), null);
      expect(ops.fmt).toBe(fmt);
      freeIoPgtableOps(ops);
      expect(machine.pageAllocator.leakReport()).toEqual([]);
    }
  });
});

describe('quirks accepted per format (v6.16)', () => {
  const S1 = ['ARM_32_LPAE_S1', 'ARM_64_LPAE_S1'] as const;
  const S2 = ['ARM_32_LPAE_S2', 'ARM_64_LPAE_S2'] as const;
  test.each([
    [S1, IO_PGTABLE_QUIRK_ARM_NS, 'ok'],
    [S1, IO_PGTABLE_QUIRK_ARM_TTBR1, 'ok'],
    [S1, IO_PGTABLE_QUIRK_ARM_HD | IO_PGTABLE_QUIRK_NO_WARN, 'ok'],
    [S1, IO_PGTABLE_QUIRK_ARM_S2FWB, 'EINVAL'],
    [S1, IO_PGTABLE_QUIRK_NO_PERMS, 'EINVAL'],
    [S1, IO_PGTABLE_QUIRK_ARM_MTK_EXT, 'EINVAL'],
    [S2, IO_PGTABLE_QUIRK_ARM_S2FWB | IO_PGTABLE_QUIRK_NO_WARN, 'ok'],
    [S2, IO_PGTABLE_QUIRK_ARM_NS, 'EINVAL'],
    [S2, IO_PGTABLE_QUIRK_ARM_TTBR1, 'EINVAL'],
    [S2, IO_PGTABLE_QUIRK_ARM_HD, 'EINVAL'],
    [['ARM_MALI_LPAE'], IO_PGTABLE_QUIRK_NO_WARN, 'EINVAL'],
    [['ARM_MALI_LPAE'], 0, 'ok'],
  ] as const)('%s with quirks %i: %s', (fmts, quirks, expected) => {
    for (const fmt of fmts) {
      const machine = testMachine();
      const result = code(() =>
        allocIoPgtableOps(fmt, lpaeCfg(machine, { ias: 32, oas: 40, quirks }), null),
      );
      expect(result.slice(0, expected.length)).toBe(expected);
      if (expected !== 'ok') expect(result).toMatch(/quirks 0x/);
    }
  });

  test('ARM_OUTER_WBWA: accepted with a non-coherent walk only', () => {
    const quirks = IO_PGTABLE_QUIRK_ARM_OUTER_WBWA;
    expect(
      code(() =>
        allocIoPgtableOps(
          'ARM_64_LPAE_S1',
          lpaeCfg(testMachine(), { quirks, coherentWalk: false }),
          null,
        ),
      ),
    ).toBe('ok');
    expect(
      code(() => allocIoPgtableOps('ARM_64_LPAE_S1', lpaeCfg(testMachine(), { quirks }), null)),
    ).toMatch(/^EINVAL/);
  });
});

describe('address-size limits', () => {
  test.each([
    ['ARM_32_LPAE_S1', 32, 40, 'ok'],
    ['ARM_32_LPAE_S1', 33, 40, 'EINVAL'],
    ['ARM_32_LPAE_S1', 32, 41, 'EINVAL'],
    ['ARM_32_LPAE_S2', 40, 40, 'ok'],
    ['ARM_32_LPAE_S2', 41, 40, 'EINVAL'],
    ['ARM_MALI_LPAE', 48, 40, 'ok'],
    ['ARM_MALI_LPAE', 49, 40, 'EINVAL'],
    ['ARM_MALI_LPAE', 48, 42, 'EINVAL'],
    ['ARM_64_LPAE_S1', 12, 48, 'EINVAL'],
  ] as const)('%s ias %i oas %i: %s', (fmt, ias, oas, expected) => {
    const result = code(() => allocIoPgtableOps(fmt, lpaeCfg(testMachine(), { ias, oas }), null));
    expect(result.slice(0, expected.length)).toBe(expected);
  });
});

describe('the cfg contract', () => {
  test('a failed alloc (bad value or ENOMEM) leaves the caller cfg untouched and nothing allocated', () => {
    const machine = testMachine();
    const bad = lpaeCfg(machine, { ias: 52, oas: 39 });
    expect(code(() => allocIoPgtableOps('ARM_64_LPAE_S1', bad, null))).toMatch(/^EINVAL.*oas 39/);
    expect([bad.ias, bad.oas, bad.armLpaeS1Cfg]).toEqual([52, 39, undefined]);
    const cfg = lpaeCfg(machine, { ias: 52 });
    machine.failPoints.arm('io-pgtable-alloc', { nth: 1 });
    expect(code(() => allocIoPgtableOps('ARM_64_LPAE_S1', cfg, null))).toMatch(/^ENOMEM/);
    expect([cfg.ias, cfg.armLpaeS1Cfg]).toEqual([52, undefined]);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
  });

  test('hostPageSize must be 4K, 16K or 64K; a cfg needs a machine', () => {
    expect(
      code(() =>
        allocIoPgtableOps('ARM_64_LPAE_S1', lpaeCfg(testMachine(), { hostPageSize: 8192 }), null),
      ),
    ).toMatch(/^EINVAL.*hostPageSize 8192/);
    const noMachine = { ...lpaeCfg(testMachine()), machine: undefined } as unknown as Parameters<
      typeof allocIoPgtableOps
    >[1];
    expect(code(() => allocIoPgtableOps('ARM_64_LPAE_S1', noMachine, null))).toMatch(
      /^EINVAL.*no machine/,
    );
  });

  test('cfg.allocator replaces the machine allocator for every table', () => {
    const machine = testMachine();
    const allocator = new SimplePageAllocator(
      { name: 'tables', base: 0x4200_0000, size: 0x10_0000 },
      {
        zero: (pa, size) => machine.cpu.fill(pa, 0, size),
        failPoints: machine.failPoints,
        trace: machine.trace,
      },
    );
    const cfg = lpaeCfg(machine, { allocator });
    const ops = allocIoPgtableOps('ARM_64_LPAE_S1', cfg, null);
    ops.mapPages(0, 0, SZ_4K, 1, IOMMU_READ);
    expect(cfg.armLpaeS1Cfg!.ttbr).toBe(0x4200_0000);
    expect(allocator.leakReport()).toEqual([{ owner: 'io-pgtable-arm', pages: 4, allocations: 4 }]);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
    freeIoPgtableOps(ops);
    expect(allocator.leakReport()).toEqual([]);
  });
});
