/**
 * Levels, start level and PGD size of arm_lpae_alloc_pgtable (v6.16) with the current
 * stage-2 concatenation rule arm_lpae_concat_mandatory (4dcac8407fe1, b7b8a6305557), and
 * granule selection relative to the host PAGE_SIZE (arm_lpae_restrict_pgsizes). Expected
 * values: reference io-pgtable.md §2.3 geometry table and §2.4.
 */
import { describe, expect, test } from 'vitest';
import { freeIoPgtableOps } from '../../src/alloc';
import { ArmLpaeIoPgtable } from '../../src/arm-lpae/pgtable';
import { IoPgtableFmt, type IoPgtableOps } from '../../src/io-pgtable';
import {
  allocOps,
  lpaeCfg,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  SZ_16K,
  SZ_32M,
  SZ_64K,
  SZ_512M,
  testMachine,
} from './helpers';

function lpae(ops: IoPgtableOps): ArmLpaeIoPgtable {
  if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE ops');
  return ops;
}

const GRANULE_SETS: Record<string, number> = {
  '4K': SZ_4K | SZ_2M | SZ_1G,
  '16K': SZ_16K | SZ_32M,
  '64K': SZ_64K | SZ_512M,
};

// [granule, ias, oas, S1 start, S1 PGD bytes, S2 start, S2 PGD bytes, S2 SL0]
const ROWS: [string, number, number, number, number, number, number, number][] = [
  ['4K', 32, 32, 1, 32, 1, 32, 1],
  ['4K', 36, 36, 1, 512, 1, 512, 1],
  ['4K', 39, 48, 1, 4096, 1, 4096, 1],
  ['4K', 40, 40, 0, 16, 1, 8192, 1],
  ['4K', 42, 42, 0, 64, 1, 32768, 1],
  ['4K', 48, 48, 0, 4096, 0, 4096, 2],
  ['4K', 40, 48, 0, 16, 0, 16, 2],
  ['16K', 32, 32, 2, 1024, 2, 1024, 1],
  ['16K', 40, 40, 1, 128, 2, 262144, 1],
  ['16K', 47, 48, 1, 16384, 1, 16384, 2],
  ['16K', 48, 48, 0, 16, 1, 32768, 2],
  ['64K', 32, 32, 2, 64, 2, 64, 1],
  ['64K', 42, 42, 2, 65536, 2, 65536, 1],
  ['64K', 48, 48, 1, 512, 1, 512, 2],
  ['64K', 52, 52, 1, 8192, 1, 8192, 2],
];

describe('geometry (reference §2.3)', () => {
  test.each(ROWS)(
    '%s granule, ias %i oas %i: S1 L%i/%i B, S2 L%i/%i B, SL0 %i',
    (granule, ias, oas, s1Start, s1Pgd, s2Start, s2Pgd, sl0) => {
      const machine = testMachine();
      const s1 = lpae(
        allocOps(
          IoPgtableFmt.ARM_64_LPAE_S1,
          lpaeCfg(machine, { pgsizeBitmap: GRANULE_SETS[granule]!, ias, oas }),
        ),
      );
      expect([s1.startLevel, s1.pgdSize]).toEqual([s1Start, s1Pgd]);
      const s2cfg = lpaeCfg(machine, { pgsizeBitmap: GRANULE_SETS[granule]!, ias, oas });
      const s2 = lpae(allocOps(IoPgtableFmt.ARM_64_LPAE_S2, s2cfg));
      expect([s2.startLevel, s2.pgdSize, s2cfg.armLpaeS2Cfg?.vtcr.sl]).toEqual([
        s2Start,
        s2Pgd,
        sl0,
      ]);
      // Tables are aligned to at least their size (and 64 bytes).
      expect(s1.pgdPa % Math.max(s1Pgd, 64)).toBe(0);
      expect(s2.pgdPa % Math.max(s2Pgd, 64)).toBe(0);
      freeIoPgtableOps(s1);
      freeIoPgtableOps(s2);
      expect(machine.pageAllocator.leakReport()).toEqual([]);
    },
  );

  test('4K S2 with ias 44 / oas 42 would need 32 concatenated tables: WARN and EINVAL (arm_64_lpae_alloc_pgtable_s2)', () => {
    const machine = testMachine();
    expect(() =>
      allocOps(IoPgtableFmt.ARM_64_LPAE_S2, lpaeCfg(machine, { ias: 44, oas: 42 })),
    ).toThrow(/EINVAL.*32 tables/);
    expect(machine.diagnostics.events.map((e) => e.message)).toEqual([
      'WARN_ON(pgd entries > ARM_LPAE_S2_MAX_CONCAT_PAGES)',
    ]);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
  });

  test('Mali walks four levels whatever the ias: start level 0 with a one-entry PGD (arm_mali_lpae_alloc_pgtable)', () => {
    const machine = testMachine();
    const ops = lpae(allocOps(IoPgtableFmt.ARM_MALI_LPAE, lpaeCfg(machine, { ias: 33, oas: 40 })));
    expect([ops.startLevel, ops.pgdSize, ops.pgdBits]).toEqual([0, 8, 0]);
    // Every iova below 2^39 uses PGD entry 0.
    ops.mapPages(0x1_0000_0000, 0x8000_0000, SZ_4K, 1, 1);
    expect(ops.iovaToPhys(0x1_0000_0123)).toBe(0x8000_0123);
    freeIoPgtableOps(ops);
  });

  describe('granule choice follows the host PAGE_SIZE (arm_lpae_restrict_pgsizes)', () => {
    const all = SZ_4K | SZ_16K | SZ_64K | SZ_2M | SZ_32M | SZ_512M | SZ_1G;
    test.each([
      [4096, all, SZ_4K | SZ_2M | SZ_1G],
      [16384, all, SZ_16K | SZ_32M],
      [65536, all, SZ_64K | SZ_512M],
      // PAGE_SIZE not offered: the largest smaller granule ...
      [65536, SZ_4K | SZ_16K | SZ_2M, SZ_16K],
      // ... or else the smallest larger one.
      [4096, SZ_16K | SZ_64K | SZ_32M, SZ_16K | SZ_32M],
    ])('PAGE_SIZE %i, bitmap %i -> %i', (hostPageSize, pgsizeBitmap, expected) => {
      const cfg = lpaeCfg(testMachine(), { pgsizeBitmap, hostPageSize });
      allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
      expect(cfg.pgsizeBitmap).toBe(expected);
    });

    test('64K granule with oas > 48 adds the 4 TiB block (1 << 42); ias/oas clamp to 48 for 4K', () => {
      const cfg = lpaeCfg(testMachine(), {
        pgsizeBitmap: SZ_64K + SZ_512M + 2 ** 42,
        ias: 52,
        oas: 52,
      });
      allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
      expect(cfg.pgsizeBitmap).toBe(SZ_64K + SZ_512M + 2 ** 42);
      const cfg4k = lpaeCfg(testMachine(), { ias: 52, oas: 52 });
      allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg4k);
      expect([cfg4k.ias, cfg4k.oas]).toEqual([48, 48]);
    });

    test('the 32-bit formats and Mali keep 4K|2M|1G only', () => {
      for (const fmt of [
        IoPgtableFmt.ARM_32_LPAE_S1,
        IoPgtableFmt.ARM_32_LPAE_S2,
        IoPgtableFmt.ARM_MALI_LPAE,
      ]) {
        const cfg = lpaeCfg(testMachine(), {
          pgsizeBitmap: all,
          ias: 32,
          oas: 40,
          hostPageSize: 16384,
        });
        allocOps(fmt, cfg);
        expect(cfg.pgsizeBitmap).toBe(SZ_4K | SZ_2M | SZ_1G);
      }
    });

    test('no 4K/16K/64K granule left: EINVAL', () => {
      expect(() =>
        allocOps(
          IoPgtableFmt.ARM_64_LPAE_S1,
          lpaeCfg(testMachine(), { pgsizeBitmap: SZ_2M | SZ_1G }),
        ),
      ).toThrow(/EINVAL.*no 4K, 16K or 64K granule/);
    });
  });
});
