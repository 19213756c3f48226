/**
 * Exact descriptor and register bits of ARM_V7S, against values worked out by hand from
 * arm_v7s_prot_to_pte / arm_v7s_pte_to_cont / arm_v7s_alloc_pgtable (io-pgtable-arm-v7s.c v6.13;
 * reference io-pgtable.md §4).
 */
import { createMachine, SimplePageAllocator } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { ARM_V7S_NMRR, ARM_V7S_PRRR } from '../../src/arm-v7s/init';
import { armV7sProtToPte, armV7sPteToCont } from '../../src/arm-v7s/pte';
import {
  IO_PGTABLE_QUIRK_ARM_MTK_EXT,
  IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT,
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_NO_PERMS,
  IOMMU_CACHE,
  IOMMU_MMIO,
  IOMMU_NOEXEC,
  IOMMU_PRIV,
  IOMMU_READ,
  IOMMU_WRITE,
} from '../../src/io-pgtable';
import { allocV7s, freeV7s, SZ_1M, SZ_4K, SZ_16M, SZ_64K, v7sCfg } from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;
const NS = IO_PGTABLE_QUIRK_ARM_NS;
const NO_PERMS = IO_PGTABLE_QUIRK_NO_PERMS;

describe('arm_v7s_prot_to_pte', () => {
  // [prot, quirks, level-1 value, level-2 value]
  const cases: Array<[string, number, number, number, number]> = [
    ['RW|NOEXEC|CACHE, NS', RW | IOMMU_NOEXEC | IOMMU_CACHE, NS, 0x000b_1c1e, 0x0000_0c7f],
    ['RW|NOEXEC|CACHE', RW | IOMMU_NOEXEC | IOMMU_CACHE, 0, 0x0003_1c1e, 0x0000_0c7f],
    ['RW', RW, 0, 0x0003_1c02, 0x0000_0c72],
    ['R', IOMMU_READ, 0, 0x0003_9c02, 0x0000_0e72],
    ['W (RW mapping)', IOMMU_WRITE, 0, 0x0003_1c02, 0x0000_0c72],
    ['RW|PRIV', RW | IOMMU_PRIV, 0, 0x0003_1402, 0x0000_0c52],
    ['RW|MMIO', RW | IOMMU_MMIO, 0, 0x0003_0c06, 0x0000_0c36],
    ['RW|MMIO|CACHE (MMIO wins)', RW | IOMMU_MMIO | IOMMU_CACHE, 0, 0x0003_0c06, 0x0000_0c36],
    ['R|PRIV|NOEXEC', IOMMU_READ | IOMMU_PRIV | IOMMU_NOEXEC, 0, 0x0003_9412, 0x0000_0e53],
    [
      'RW|NOEXEC|CACHE, NO_PERMS',
      RW | IOMMU_NOEXEC | IOMMU_CACHE,
      NO_PERMS,
      0x0003_100e,
      0x0000_0c4e,
    ],
    ['R, NO_PERMS (no AP2)', IOMMU_READ, NO_PERMS, 0x0003_1002, 0x0000_0c42],
    [
      'RW|MMIO, NO_PERMS|NS',
      RW | IOMMU_MMIO,
      NO_PERMS | NS,
      0x0008_0006 | 0x0003_0000,
      0x0000_0c06,
    ],
  ];
  for (const [name, prot, quirks, l1, l2] of cases) {
    it(`${name}: level 1 ${l1.toString(16)}, level 2 ${l2.toString(16)}`, () => {
      expect(armV7sProtToPte(prot, 1, quirks)).toBe(l1);
      expect(armV7sProtToPte(prot, 2, quirks)).toBe(l2);
    });
  }

  it('every prot (0..63) x quirk set matches the ARM ARM field layout (B3.5.1 short descriptors)', () => {
    const bit = (on: boolean, position: number): number => (on ? 2 ** position : 0);
    for (const quirks of [0, NS, NO_PERMS, NO_PERMS | NS]) {
      const perms = (quirks & NO_PERMS) === 0;
      for (let prot = 0; prot < 64; prot++) {
        const mmio = (prot & IOMMU_MMIO) !== 0;
        const cache = !mmio && (prot & IOMMU_CACHE) !== 0;
        const xn = perms && (prot & IOMMU_NOEXEC) !== 0;
        const ap1 = perms && (prot & IOMMU_PRIV) === 0;
        const ap2 = perms && (prot & IOMMU_WRITE) === 0;
        const b = mmio || cache;
        // Small page: XN[0] 1[1] B[2] C[3] AP[1:0][5:4] TEX[8:6] AP2[9] S[10] nG[11].
        const small =
          bit(xn, 0) +
          2 +
          bit(b, 2) +
          bit(cache, 3) +
          bit(perms, 4) +
          bit(ap1, 5) +
          bit(!mmio, 6) +
          bit(ap2, 9) +
          bit(true, 10) +
          bit(true, 11);
        // Section: 1[1] B[2] C[3] XN[4] AP[1:0][11:10] TEX[14:12] AP2[15] S[16] nG[17] NS[19].
        const section =
          2 +
          bit(b, 2) +
          bit(cache, 3) +
          bit(xn, 4) +
          bit(perms, 10) +
          bit(ap1, 11) +
          bit(!mmio, 12) +
          bit(ap2, 15) +
          bit(true, 16) +
          bit(true, 17) +
          bit((quirks & NS) !== 0, 19);
        expect(armV7sProtToPte(prot, 2, quirks)).toBe(small);
        expect(armV7sProtToPte(prot, 1, quirks)).toBe(section);
      }
    }
  });

  it('turns a small page into a large page: XN to bit 15, TEX to [14:12], type 0b01', () => {
    expect(armV7sPteToCont(0x0000_0c7f, 2)).toBe(0x0000_9c3d);
    expect(armV7sPteToCont(0x0000_0e72, 2)).toBe(0x0000_1e31);
    // MMIO has TEX 0: only the type changes.
    expect(armV7sPteToCont(0x0000_0c36, 2)).toBe(0x0000_0c35);
    expect(armV7sPteToCont(0x000b_1c1e, 1)).toBe(0x000f_1c1e);
  });
});

describe('descriptors written to RAM', () => {
  it('writes sections, supersections, small and large pages with the address bits', () => {
    const cfg = v7sCfg();
    const ops = allocV7s(cfg);
    const pgd = cfg.armV7sCfg!.ttbr & ~0x3fff;
    // The CPU's view: with a coherent walk nothing is cleaned, so RAM may still hold zeroes.
    const bus = cfg.machine.cpu;
    const prot = RW | IOMMU_NOEXEC | IOMMU_CACHE;
    ops.mapPages(0x0000_1000, 0x4567_8000, SZ_4K, 1, prot);
    ops.mapPages(0x0001_0000, 0x4568_0000, SZ_64K, 1, prot);
    ops.mapPages(0x0030_0000, 0x4570_0000, SZ_1M, 1, prot);
    ops.mapPages(0x0100_0000, 0x4600_0000, SZ_16M, 1, prot);
    const l1 = (iova: number): number => bus.read32(pgd + (iova >>> 20) * 4);
    // First level-2 table: slot 0 of the page after the 16 KiB level-1 table, with NS_TABLE.
    expect(l1(0)).toBe((pgd + 0x4000) | 0x1 | 0x8);
    const l2 = (l1(0) & ~0x3ff) >>> 0;
    expect(bus.read32(l2 + 1 * 4)).toBe(0x4567_8c7f);
    for (let i = 0; i < 16; i++) expect(bus.read32(l2 + (16 + i) * 4)).toBe(0x4568_9c3d);
    expect(bus.read32(l2 + 32 * 4)).toBe(0);
    expect(l1(0x0030_0000)).toBe(0x4570_0000 | 0x000b_1c1e);
    for (let i = 0; i < 16; i++)
      expect(l1(0x0100_0000 + i * SZ_1M)).toBe(0x4600_0000 | 0x000f_1c1e);
    expect(l1(0x0200_0000)).toBe(0);
    expect(ops.iovaToPhys(0x0001_f123)).toBe(0x4568_f123);
    expect(ops.iovaToPhys(0x01ab_cdef)).toBe(0x46ab_cdef);
    freeV7s(ops);
  });

  it('puts PA bits 32..34 in bits 9, 4, 5 with ARM_MTK_EXT (and table PA bits with MTK_TTBR_EXT)', () => {
    const quirks = IO_PGTABLE_QUIRK_ARM_MTK_EXT | NO_PERMS;
    const cfg = v7sCfg({ quirks, ias: 34, oas: 35 });
    const ops = allocV7s(cfg);
    const bus = cfg.machine.cpu;
    const pgd = cfg.armV7sCfg!.ttbr & ~0xffff;
    // ias 34: a 64 KiB level-1 table of 16384 entries.
    ops.mapPages(0x3_0000_0000, 0x5_4000_0000, SZ_1M, 1, RW);
    expect(bus.read32(pgd + (0x3_0000_0000 / SZ_1M) * 4)).toBe(
      (0x4000_0000 | 0x0003_1002 | 0x200 | 0x20) >>> 0,
    );
    ops.mapPages(0x1000, 0x2_8000_3000, SZ_4K, 1, RW);
    const l2 = bus.read32(pgd) & ~0x3ff;
    expect(bus.read32(l2 + 4)).toBe((0x8000_3000 | 0x0c42 | 0x10) >>> 0);
    expect(ops.iovaToPhys(0x3_0001_2345)).toBe(0x5_4001_2345);
    expect(ops.iovaToPhys(0x1abc)).toBe(0x2_8000_3abc);
    freeV7s(ops);
  });
});

describe('cfg registers (arm_v7s_alloc_pgtable)', () => {
  it('PRRR 0x800b8204, NMRR 0x40004000, TCR 0', () => {
    expect(ARM_V7S_PRRR).toBe(0x800b_8204);
    expect(ARM_V7S_NMRR).toBe(0x4000_4000);
  });

  it('TTBR low bits 0x6a for a coherent walk, 0x02 for a non-coherent one', () => {
    const coherent = v7sCfg();
    const ops = allocV7s(coherent);
    expect(coherent.armV7sCfg).toEqual({
      ttbr: 0x7000_006a,
      tcr: 0,
      nmrr: 0x4000_4000,
      prrr: 0x800b_8204,
    });
    expect(ops.cfg.armV7sCfg).toEqual(coherent.armV7sCfg);
    const nonCoherent = v7sCfg({ coherentWalk: false });
    allocV7s(nonCoherent);
    expect(nonCoherent.armV7sCfg!.ttbr).toBe(0x7000_0002);
    freeV7s(ops);
  });

  it('MTK: ttbr = pa | upper_32_bits(pa); MTK_TTBR_EXT lets tables live above 4 GiB', () => {
    const machine = createMachine({
      ram: [
        { base: 0x4000_0000, size: 0x4000_0000 },
        { base: 0x2_0000_0000, size: 0x100_0000 },
      ],
    });
    const high = new SimplePageAllocator(
      { base: 0x2_0000_0000, size: 0x100_0000 },
      {
        zero: (pa, size) => machine.cpu.fill(pa, 0, size),
        failPoints: machine.failPoints,
        trace: machine.trace,
      },
    );
    const mtk = IO_PGTABLE_QUIRK_ARM_MTK_EXT | NO_PERMS;
    // Without MTK_TTBR_EXT a table above 4 GiB does not fit a descriptor: ENOMEM, nothing leaked.
    const plain = v7sCfg({ quirks: mtk, oas: 35, allocator: high }, machine);
    expect(() => allocV7s(plain)).toThrowError(expect.objectContaining({ code: 'ENOMEM' }));
    expect(high.leakReport()).toEqual([]);

    const cfg = v7sCfg(
      { quirks: mtk | IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT, oas: 35, allocator: high },
      machine,
    );
    const ops = allocV7s(cfg);
    expect(cfg.armV7sCfg!.ttbr).toBe(0x0000_0002);
    ops.mapPages(0x5000, 0x4000_5000, SZ_4K, 1, RW);
    // Level-2 table at 0x2_0000_4000: PA bit 33 goes to descriptor bit 4.
    expect(machine.cpu.read32(0x2_0000_0000)).toBe(0x0000_4000 | 0x1 | 0x10);
    expect(machine.cpu.read32(0x2_0000_4000 + 5 * 4)).toBe(0x4000_5000 | 0x0c42);
    expect(ops.iovaToPhys(0x5123)).toBe(0x4000_5123);
    freeV7s(ops);
    expect(high.leakReport()).toEqual([]);
  });

  it('narrows pgsize_bitmap to 4K|64K|1M|16M and keeps 16M only when asked', () => {
    const cfg = v7sCfg({ pgsizeBitmap: SZ_4K | 0x2000 | SZ_1M | 0x20_0000 });
    allocV7s(cfg);
    expect(cfg.pgsizeBitmap).toBe(SZ_4K | SZ_1M);
  });

  it('rejects bad geometry and quirks with EINVAL, allocating nothing', () => {
    const bad: Array<Partial<Parameters<typeof v7sCfg>[0]>> = [
      { ias: 33 },
      { oas: 33 },
      { quirks: IO_PGTABLE_QUIRK_ARM_TTBR1 },
      { quirks: IO_PGTABLE_QUIRK_ARM_MTK_EXT },
      { quirks: IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT | NO_PERMS },
      { quirks: IO_PGTABLE_QUIRK_ARM_MTK_EXT | NO_PERMS, ias: 35 },
      { quirks: IO_PGTABLE_QUIRK_ARM_MTK_EXT | NO_PERMS, oas: 36 },
    ];
    for (const overrides of bad) {
      const cfg = v7sCfg(overrides ?? {});
      expect(() => allocV7s(cfg)).toThrowError(expect.objectContaining({ code: 'EINVAL' }));
      expect(cfg.armV7sCfg).toBeUndefined();
      expect(cfg.machine.pageAllocator.leakReport()).toEqual([]);
    }
  });
});
