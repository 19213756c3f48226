/**
 * Round trip for every format: map ranges with the ops (Linux's encoders, ../arm-lpae and
 * ../arm-v7s), then dumpIoPgtableOps must give back exactly the mapped ranges, with the
 * attributes the prot asked for (prot-to-PTE rules of reference io-pgtable.md §2.2 and §4).
 */
import { createMachine } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { allocIoPgtableOps, freeIoPgtableOps } from '../../src/alloc';
import { dumpIoPgtableOps } from '../../src/dump/dump';
import {
  IO_PGTABLE_QUIRK_ARM_MTK_EXT,
  IO_PGTABLE_QUIRK_NO_PERMS,
  IOMMU_CACHE,
  IOMMU_MMIO,
  IOMMU_NOEXEC,
  IOMMU_READ,
  IOMMU_WRITE,
  type IoPgtableCfg,
  type IoPgtableFmt,
} from '../../src/io-pgtable';

const K = 1024;
const M = 1024 * K;
const G = 1024 * M;

interface Case {
  readonly name: string;
  readonly fmt: IoPgtableFmt;
  readonly cfg: Partial<IoPgtableCfg>;
  /** [iova, pa, pgsize, pgcount] — kept apart so no two merge. */
  readonly maps: ReadonlyArray<readonly [number, number, number, number]>;
}

const cases: Case[] = [
  {
    name: 'v7s',
    fmt: 'ARM_V7S',
    cfg: { ias: 32, oas: 32, pgsizeBitmap: 4 * K + 64 * K + M + 16 * M },
    maps: [
      [0x1000, 0x4000_1000, 4 * K, 3],
      [0x10_0000, 0x4100_0000, 64 * K, 3],
      [0x40_0000, 0x4200_0000, M, 2],
      [0x100_0000, 0x4300_0000, 16 * M, 1],
      [0xfff0_0000, 0x4400_0000, 4 * K, 256],
    ],
  },
  {
    name: 'v7s MTK',
    fmt: 'ARM_V7S',
    cfg: {
      ias: 34,
      oas: 35,
      quirks: IO_PGTABLE_QUIRK_ARM_MTK_EXT | IO_PGTABLE_QUIRK_NO_PERMS,
      pgsizeBitmap: 4 * K + 64 * K + M + 16 * M,
    },
    maps: [
      [0x3_0000_1000, 0x7_4000_1000, 4 * K, 2],
      [0x2_0000_0000, 0x5_0000_0000, 16 * M, 1],
      [0x10_0000, 0x1_0010_0000, 64 * K, 1],
    ],
  },
  {
    name: '64 S1 4K ias 48',
    fmt: 'ARM_64_LPAE_S1',
    cfg: { ias: 48, oas: 48, pgsizeBitmap: 4 * K + 2 * M + G },
    maps: [
      [0x1000, 0x4000_1000, 4 * K, 3],
      [0x4000_0000, 0x4000_0000, 2 * M, 2],
      [0x80_0000_0000, 0x8_8000_0000, G, 1],
      [2 ** 48 - 4 * K, 0x5000_0000, 4 * K, 1],
    ],
  },
  {
    name: '64 S1 16K ias 36',
    fmt: 'ARM_64_LPAE_S1',
    cfg: { ias: 36, oas: 40, pgsizeBitmap: 16 * K + 32 * M },
    maps: [
      [0x4000, 0x4000_8000, 16 * K, 5],
      [0x800_0000, 0x4200_0000, 32 * M, 1],
    ],
  },
  {
    name: '64 S1 64K ias 42',
    fmt: 'ARM_64_LPAE_S1',
    cfg: { ias: 42, oas: 48, pgsizeBitmap: 64 * K + 512 * M },
    maps: [
      [0x1_0000, 0x4001_0000, 64 * K, 2],
      [0x4000_0000, 0x4000_0000, 512 * M, 1],
    ],
  },
  {
    name: '64 S2 4K ias 40 (concatenated)',
    fmt: 'ARM_64_LPAE_S2',
    cfg: { ias: 40, oas: 40, pgsizeBitmap: 4 * K + 2 * M + G },
    maps: [
      [0x1000, 0x4000_1000, 4 * K, 2],
      [0x80_0000_0000 - 2 * M, 0x4020_0000, 2 * M, 1],
      [0x40_0000_0000, 0x8_8000_0000, G, 1],
    ],
  },
  {
    name: '64 S2 16K ias 40',
    fmt: 'ARM_64_LPAE_S2',
    cfg: { ias: 40, oas: 40, pgsizeBitmap: 16 * K + 32 * M },
    maps: [
      [0x8000, 0x4000_8000, 16 * K, 1],
      [0xff_fe00_0000, 0x4200_0000, 32 * M, 1],
    ],
  },
  {
    name: '32 S1',
    fmt: 'ARM_32_LPAE_S1',
    cfg: { ias: 32, oas: 40, pgsizeBitmap: 4 * K + 2 * M + G },
    maps: [
      [0x2000, 0x4000_2000, 4 * K, 1],
      [0xc000_0000, 0x8_8000_0000, G, 1],
    ],
  },
  {
    name: '32 S2',
    fmt: 'ARM_32_LPAE_S2',
    cfg: { ias: 40, oas: 40, pgsizeBitmap: 4 * K + 2 * M + G },
    maps: [
      [0x2000, 0x4000_2000, 4 * K, 1],
      [0x20_0000, 0x4060_0000, 2 * M, 1],
    ],
  },
  {
    name: 'Mali',
    fmt: 'ARM_MALI_LPAE',
    cfg: { ias: 48, oas: 40, pgsizeBitmap: 4 * K + 2 * M + G },
    maps: [
      [0x3000, 0x4000_3000, 4 * K, 2],
      [0x1_0000_0000, 0x4000_0000, 2 * M, 3],
    ],
  },
  {
    name: 'Mali ias 33',
    fmt: 'ARM_MALI_LPAE',
    cfg: { ias: 33, oas: 40, pgsizeBitmap: 4 * K + 2 * M + G },
    maps: [[0x3000, 0x4000_3000, 4 * K, 1]],
  },
];

const PROTS = [
  IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE,
  IOMMU_READ | IOMMU_NOEXEC,
  IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO,
  IOMMU_WRITE,
];

describe('dumpIoPgtableOps round trip', () => {
  for (const testCase of cases) {
    for (const coherentWalk of [true, false]) {
      it(`${testCase.name}, ${coherentWalk ? 'coherent' : 'non-coherent'}: gives back exactly the mapped ranges`, () => {
        const machine = createMachine();
        const cfg: IoPgtableCfg = {
          quirks: 0,
          ias: 32,
          oas: 32,
          pgsizeBitmap: 0,
          coherentWalk,
          tlb: null,
          machine,
          ...testCase.cfg,
        };
        const ops = allocIoPgtableOps(testCase.fmt, cfg, null);
        const expected = testCase.maps.map(([iova, pa, pgsize, count], index) => {
          const prot = PROTS[index % PROTS.length]!;
          expect(ops.mapPages(iova, pa, pgsize, count, prot)).toBe(pgsize * count);
          return { iova, pa, size: pgsize * count, pageSize: pgsize, prot };
        });
        expected.sort((a, b) => a.iova - b.iova);
        const dump = dumpIoPgtableOps(ops);
        expect(dump.errors).toEqual([]);
        expect(
          dump.mappings.map(({ iova, pa, size, pageSize }) => ({ iova, pa, size, pageSize })),
        ).toEqual(expected.map(({ iova, pa, size, pageSize }) => ({ iova, pa, size, pageSize })));
        const noPerms = (cfg.quirks & IO_PGTABLE_QUIRK_NO_PERMS) !== 0;
        dump.mappings.forEach((mapping, index) => {
          const { prot } = expected[index]!;
          const a = mapping.attributes;
          expect(a.write).toBe(
            noPerms || testCase.fmt.includes('S1') || testCase.fmt === 'ARM_V7S'
              ? noPerms || (prot & IOMMU_WRITE) !== 0
              : (prot & IOMMU_WRITE) !== 0,
          );
          expect(a.exec).toBe(noPerms || (prot & IOMMU_NOEXEC) === 0);
          if ((prot & IOMMU_MMIO) !== 0) expect(a.memoryType).toMatch(/device|dev/);
          else if ((prot & IOMMU_CACHE) !== 0) expect(a.memoryType).toMatch(/wb/);
        });
        // Every table page the ops hold appears in the dump.
        const allocated = machine.pageAllocator
          .leakReport()
          .reduce((sum, entry) => sum + entry.pages, 0);
        const pages = new Set(dump.tables.map((table) => table.pa - (table.pa % 4096)));
        expect(pages.size).toBeLessThanOrEqual(allocated);
        freeIoPgtableOps(ops);
        expect(machine.pageAllocator.leakReport()).toEqual([]);
      });
    }
  }
});
