/**
 * Exact descriptor bits written by arm_lpae_prot_to_pte / __arm_lpae_init_pte /
 * arm_lpae_install_table (Linux v6.16 io-pgtable-arm.c; reference io-pgtable.md §2.1, §2.2).
 * Expected words are written out by hand from the bit table, not computed by the library.
 */
import { describe, expect, test } from 'vitest';
import { ArmLpaeIoPgtable } from '../../src/arm-lpae/pgtable';
import {
  IO_PGTABLE_QUIRK_ARM_HD,
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IOMMU_CACHE,
  IOMMU_MMIO,
  IOMMU_NOEXEC,
  IOMMU_PRIV,
  IOMMU_READ,
  IOMMU_WRITE,
  type IoPgtableCfg,
  IoPgtableFmt,
} from '../../src/io-pgtable';
import {
  allocOps,
  lpaeCfg,
  pteAddress,
  readPte,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  SZ_64K,
  SZ_512M,
  tableAddress,
  testMachine,
} from './helpers';

const R = IOMMU_READ;
const W = IOMMU_WRITE;
const RW = R | W;

/** Maps one page/block and returns the leaf descriptor (and the ops' geometry). */
function leafFor(
  fmt: IoPgtableFmt,
  prot: number,
  size: number,
  overrides: Partial<IoPgtableCfg> = {},
  paddr = 0x8_0000_0000,
): bigint {
  const machine = testMachine();
  const cfg = lpaeCfg(machine, overrides);
  const ops = allocOps(fmt, cfg);
  if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
  const iova = 3 * SZ_1G;
  expect(ops.mapPages(iova, paddr, size, 1, prot)).toBe(size);
  const level = ops.blockSize.indexOf(size);
  return readPte(
    machine,
    pteAddress(machine, ops.pgdPa, iova, ops.startLevel, level, ops.bitsPerLevel, ops.pgdBits),
  );
}

describe('stage-1 leaves (ARM_64_LPAE_S1)', () => {
  const S1 = IoPgtableFmt.ARM_64_LPAE_S1;
  // nG 0x800 | AF 0x400 | SH_IS 0x300 | AP_UNPRIV 0x40 | AttrIndx 1 (0x4) | page 0x3
  test.each([
    ['R|W|CACHE', RW | IOMMU_CACHE, 0x0000_0008_0000_0f47n],
    ['R (AP_RDONLY)', R, 0x0000_0008_0000_0ec3n],
    ['W only is read-write', W, 0x0000_0008_0000_0e43n],
    ['R|W|NOEXEC (UXN|PXN)', RW | IOMMU_NOEXEC, 0x0060_0008_0000_0e43n],
    ['R|W|PRIV (no AP_UNPRIV)', RW | IOMMU_PRIV, 0x0000_0008_0000_0e03n],
    ['R|W|MMIO (AttrIndx 2, outer shareable)', RW | IOMMU_MMIO, 0x0000_0008_0000_0e4bn],
    [
      'R|W|MMIO|CACHE: MMIO wins the AttrIndx, CACHE the shareability',
      RW | IOMMU_MMIO | IOMMU_CACHE,
      0x0000_0008_0000_0f4bn,
    ],
  ])('4K page %s', (_name, prot, expected) => {
    expect(leafFor(S1, prot, SZ_4K)).toBe(expected);
  });

  test('2M and 1G blocks have type 1', () => {
    expect(leafFor(S1, RW | IOMMU_CACHE, SZ_2M)).toBe(0x0000_0008_0000_0f45n);
    expect(leafFor(S1, RW | IOMMU_CACHE, SZ_1G)).toBe(0x0000_0008_0000_0f45n);
  });

  test('ARM_NS sets NS (bit 5) on leaves and NSTable (bit 63) on tables', () => {
    const machine = testMachine();
    const ops = allocOps(S1, lpaeCfg(machine, { quirks: IO_PGTABLE_QUIRK_ARM_NS }));
    if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
    ops.mapPages(0, 0x8000_0000, SZ_4K, 1, RW);
    const l0 = readPte(machine, ops.pgdPa);
    expect(l0 & 0xffff_0000_0000_0fffn).toBe(0x8000_0000_0000_0003n);
    expect(readPte(machine, pteAddress(machine, ops.pgdPa, 0, 0, 3, 9, 9))).toBe(
      0x0000_0000_8000_0e63n,
    );
  });

  test('ARM_HD sets DBM (bit 51) on writable leaves only', () => {
    expect(leafFor(S1, RW, SZ_4K, { quirks: IO_PGTABLE_QUIRK_ARM_HD })).toBe(
      0x0008_0008_0000_0e43n,
    );
    expect(leafFor(S1, W, SZ_4K, { quirks: IO_PGTABLE_QUIRK_ARM_HD })).toBe(0x0008_0008_0000_0e43n);
    expect(leafFor(S1, R, SZ_4K, { quirks: IO_PGTABLE_QUIRK_ARM_HD })).toBe(0x0000_0008_0000_0ec3n);
  });

  test('ARM_32_LPAE_S1 writes the same stage-1 bits', () => {
    expect(
      leafFor(IoPgtableFmt.ARM_32_LPAE_S1, RW | IOMMU_CACHE, SZ_4K, { ias: 32, oas: 40 }),
    ).toBe(0x0000_0008_0000_0f47n);
  });
});

describe('stage-2 leaves (ARM_64_LPAE_S2 / ARM_32_LPAE_S2)', () => {
  const S2 = IoPgtableFmt.ARM_64_LPAE_S2;
  // AF 0x400 | SH | HAP [7:6] | MemAttr [5:2] | type
  test.each([
    ['R|W|CACHE (MemAttr OIWB 0xf)', RW | IOMMU_CACHE, {}, 0x0000_0008_0000_07ffn],
    ['R (HAP read)', R, {}, 0x0000_0008_0000_0657n],
    ['W (HAP write)', W, {}, 0x0000_0008_0000_0697n],
    ['R|W non-cacheable (MemAttr 0x5)', RW, {}, 0x0000_0008_0000_06d7n],
    ['R|W|MMIO (MemAttr 0x1)', RW | IOMMU_MMIO, {}, 0x0000_0008_0000_06c7n],
    ['R|W|NOEXEC (XN[1:0])', RW | IOMMU_NOEXEC, {}, 0x0060_0008_0000_06d7n],
    [
      'R|W|CACHE with S2FWB (MemAttr 0x6)',
      RW | IOMMU_CACHE,
      { quirks: IO_PGTABLE_QUIRK_ARM_S2FWB },
      0x0000_0008_0000_07dbn,
    ],
    ['PRIV is ignored at stage 2', RW | IOMMU_PRIV, {}, 0x0000_0008_0000_06d7n],
  ])('4K page %s', (_name, prot, overrides, expected) => {
    expect(leafFor(S2, prot, SZ_4K, overrides)).toBe(expected);
  });

  test('ARM_32_LPAE_S2 writes the same stage-2 bits', () => {
    expect(
      leafFor(IoPgtableFmt.ARM_32_LPAE_S2, RW | IOMMU_CACHE, SZ_2M, { ias: 40, oas: 40 }),
    ).toBe(0x0000_0008_0000_07fdn);
  });
});

describe('Mali leaves (ARM_MALI_LPAE)', () => {
  const MALI = IoPgtableFmt.ARM_MALI_LPAE;
  test.each([
    // HAP permissions, AttrIndx, outer shareable always, no AF, type 1 even at level 3.
    ['R|W|CACHE', RW | IOMMU_CACHE, 0x0000_0008_0000_02c5n],
    ['R', R, 0x0000_0008_0000_0241n],
    ['R|W|MMIO', RW | IOMMU_MMIO, 0x0000_0008_0000_02c9n],
    ['R|W|NOEXEC', RW | IOMMU_NOEXEC, 0x0060_0008_0000_02c1n],
  ])('4K page %s', (_name, prot, expected) => {
    expect(leafFor(MALI, prot, SZ_4K, { ias: 48, oas: 40 })).toBe(expected);
  });
});

describe('output addresses', () => {
  test('52-bit PA with the 64K granule: PA[51:48] in bits [15:12] (paddr_to_iopte), read back by iovaToPhys', () => {
    const machine = testMachine();
    const ops = allocOps(
      IoPgtableFmt.ARM_64_LPAE_S1,
      lpaeCfg(machine, { pgsizeBitmap: SZ_64K | SZ_512M, ias: 52, oas: 52 }),
    );
    if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
    const pa = 0xa_1234_5678_0000 + 0x5_0000; // bits 51:48 = 0xa
    ops.mapPages(0x7_0000, pa, SZ_64K, 1, RW);
    const pte = readPte(machine, pteAddress(machine, ops.pgdPa, 0x7_0000, 1, 3, 13, 10));
    // (pa | pa >> 36) & GENMASK(47, 12): 0x1234_567d_0000 | 0xa000.
    expect(pte & 0x0000_ffff_ffff_f000n).toBe(0x0000_1234_567d_a000n);
    expect(ops.iovaToPhys(0x7_1234)).toBe(pa + 0x1234);
  });

  test('4 TiB level-1 block (64K granule, oas 52): iovaToPhys combines offsets above 4 GiB', () => {
    const machine = testMachine();
    const ops = allocOps(
      IoPgtableFmt.ARM_64_LPAE_S2,
      lpaeCfg(machine, { pgsizeBitmap: SZ_64K + SZ_512M + 2 ** 42, ias: 52, oas: 52 }),
    );
    expect(ops.cfg.pgsizeBitmap).toBe(SZ_64K + SZ_512M + 2 ** 42);
    expect(ops.mapPages(2 ** 42, 2 ** 51, 2 ** 42, 1, RW)).toBe(2 ** 42);
    expect(ops.iovaToPhys(2 ** 42 + 0x123_4567_89ab)).toBe(2 ** 51 + 0x123_4567_89ab);
    expect(ops.unmapPages(2 ** 42, 2 ** 42, 1)).toBe(2 ** 42);
  });

  test('table descriptors: next-level address | type 3, no attributes', () => {
    const machine = testMachine();
    const ops = allocOps(IoPgtableFmt.ARM_64_LPAE_S1, lpaeCfg(machine));
    if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
    ops.mapPages(0, 0x8000_0000, SZ_4K, 1, RW);
    const l0 = readPte(machine, ops.pgdPa);
    expect(l0 & 0xfffn).toBe(3n);
    expect(l0 >> 48n).toBe(0n);
    const l1 = readPte(machine, tableAddress(l0));
    expect(l1 & 0xfffn).toBe(3n);
  });

  test('iovaToPhys ORs the block offset into the output address (unaligned paddr stored verbatim)', () => {
    const machine = testMachine();
    const ops = allocOps(
      IoPgtableFmt.ARM_64_LPAE_S1,
      lpaeCfg(machine, { pgsizeBitmap: SZ_64K | SZ_512M }),
    );
    // A 512M block whose paddr is only 64K aligned: bits [28:16] are stored and ORed.
    ops.mapPages(0, SZ_512M + 0x1_0000, SZ_512M, 1, RW);
    expect(ops.iovaToPhys(0x3_0042)).toBe(SZ_512M + 0x3_0042);
  });
});
