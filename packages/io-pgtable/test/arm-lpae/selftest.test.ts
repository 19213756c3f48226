/**
 * Port of Linux's LPAE selftest (drivers/iommu/io-pgtable-arm-selftests.c, v6.16 KUnit suite
 * io-pgtable-arm-test; reference §5.1): three granule sets × every (oas, ias <= oas) pair of
 * {32, 36, 40, 42, 44, 48} = 63 configurations, each for ARM_64_LPAE_S1 and ARM_64_LPAE_S2,
 * with coherent walks, IO_PGTABLE_QUIRK_NO_WARN and the selftest's dummy TLB ops.
 */
import { describe, expect, test } from 'vitest';
import { freeIoPgtableOps } from '../../src/alloc';
import { lowestBit } from '../../src/arm-lpae/size-bitmap';
import {
  IO_PGTABLE_QUIRK_NO_WARN,
  IOMMU_CACHE,
  IOMMU_NOEXEC,
  IOMMU_READ,
  IOMMU_WRITE,
  type IommuFlushOps,
  type IoPgtableCfg,
  IoPgtableFmt,
} from '../../src/io-pgtable';
import {
  allocOps,
  lpaeCfg,
  SELFTEST_ADDRESS_SIZES,
  SELFTEST_PGSIZES,
  SZ_1G,
  SZ_2G,
  testMachine,
} from './helpers';

interface SelftestConfig {
  pgsizeBitmap: number;
  ias: number;
  oas: number;
}

const configs: SelftestConfig[] = [];
for (const pgsizeBitmap of SELFTEST_PGSIZES) {
  for (let j = 0; j < SELFTEST_ADDRESS_SIZES.length; j++) {
    for (let k = 0; k <= j; k++) {
      configs.push({
        pgsizeBitmap,
        oas: SELFTEST_ADDRESS_SIZES[j]!,
        ias: SELFTEST_ADDRESS_SIZES[k]!,
      });
    }
  }
}

/** Set bits of a bitmap, ascending (for_each_set_bit). */
function sizesOf(bitmap: number): number[] {
  const sizes: number[] = [];
  let rest = bitmap;
  while (rest > 0) {
    const bit = lowestBit(rest);
    sizes.push(bit);
    rest -= bit;
  }
  return sizes;
}

/** dummy_tlb_ops: flush_all and flush_walk check the cookie, flush_walk the size. */
function dummyTlb(cfg: IoPgtableCfg, failures: string[]): IommuFlushOps {
  return {
    tlbFlushAll: (cookie) => {
      if (cookie !== cfg) failures.push('flush_all cookie');
    },
    tlbFlushWalk: (_iova, size, _granule, cookie) => {
      if (cookie !== cfg) failures.push('flush_walk cookie');
      if (sizesOf(cfg.pgsizeBitmap).indexOf(size) < 0) failures.push(`flush_walk size ${size}`);
    },
    tlbAddPage: () => failures.push('add_page with a NULL gather'),
  };
}

function runTests(cfg: IoPgtableCfg, fmt: IoPgtableFmt, failures: string[]): void {
  const ops = allocOps(fmt, cfg, cfg);
  // Initial sanity checks: empty tables translate nothing.
  expect(ops.iovaToPhys(42)).toBe(0);
  expect(ops.iovaToPhys(SZ_1G + 42)).toBe(0);
  expect(ops.iovaToPhys(SZ_2G + 42)).toBe(0);
  // Distinct mappings of different granule sizes, each overlapped by a refused second map.
  let iova = 0;
  for (const size of sizesOf(cfg.pgsizeBitmap)) {
    expect(
      ops.mapPages(iova, iova, size, 1, IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE),
    ).toBe(size);
    expect(() => ops.mapPages(iova, iova + size, size, 1, IOMMU_READ | IOMMU_NOEXEC)).toThrow(
      /EEXIST/,
    );
    expect(ops.iovaToPhys(iova + 42)).toBe(iova + 42);
    iova += SZ_1G;
  }
  // Full unmap, then remap of each block write-only.
  iova = 0;
  for (const size of sizesOf(cfg.pgsizeBitmap)) {
    expect(ops.unmapPages(iova, size, 1, null)).toBe(size);
    expect(ops.iovaToPhys(iova + 42)).toBe(0);
    expect(ops.mapPages(iova, iova, size, 1, IOMMU_WRITE)).toBe(size);
    expect(ops.iovaToPhys(iova + 42)).toBe(iova + 42);
    iova += SZ_1G;
  }
  // The last largest page of the IAS: corner cases of concatenated tables (d71fa842d33c).
  const sizes = sizesOf(cfg.pgsizeBitmap);
  const size = sizes[sizes.length - 1]!;
  const last = 2 ** cfg.ias - size;
  expect(
    ops.mapPages(last, last, size, 1, IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE),
  ).toBe(size);
  expect(ops.unmapPages(last, size, 1, null)).toBe(size);
  freeIoPgtableOps(ops);
  expect(failures).toEqual([]);
}

describe('Linux LPAE selftest (arm_lpae_do_selftests), 63 configurations', () => {
  test.each(configs)(
    'pgsizes $pgsizeBitmap ias $ias oas $oas: ARM_64_LPAE_S1 and ARM_64_LPAE_S2',
    ({ pgsizeBitmap, ias, oas }) => {
      const machine = testMachine();
      const failures: string[] = [];
      const cfg = lpaeCfg(machine, { pgsizeBitmap, ias, oas, quirks: IO_PGTABLE_QUIRK_NO_WARN });
      cfg.tlb = dummyTlb(cfg, failures);
      for (const fmt of [IoPgtableFmt.ARM_64_LPAE_S1, IoPgtableFmt.ARM_64_LPAE_S2])
        runTests(cfg, fmt, failures);
      // NO_WARN silences the expected EEXIST warnings; nothing else warns.
      expect(machine.diagnostics.events).toEqual([]);
      expect(machine.pageAllocator.leakReport()).toEqual([]);
      machine.checkInvariants();
    },
  );

  test('covers 63 configurations', () => {
    expect(configs).toHaveLength(63);
  });
});
