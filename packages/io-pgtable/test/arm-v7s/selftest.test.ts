/**
 * Port of arm_v7s_do_selftests (drivers/iommu/io-pgtable-arm-v7s.c, v6.13 [V7S-cur];
 * reference io-pgtable.md §5.2), step for step, with the dummy TLB ops' WARN_ONs as assertions.
 */
import { describe, expect, it } from 'vitest';
import {
  IOMMU_CACHE,
  IOMMU_NOEXEC,
  IOMMU_READ,
  IOMMU_WRITE,
  type IommuFlushOps,
  type IoPgtableCfg,
} from '../../src/io-pgtable';
import { IoPgtableMapError } from '../../src/map-error';
import { allocV7s, freeV7s, SZ_1G, SZ_2G, SZ_16M, v7sCfg } from './helpers';

describe('arm_v7s_do_selftests port', () => {
  it('passes every step of the v6.13 selftest', () => {
    const dummyWarnings: string[] = [];
    let cfgCookie: IoPgtableCfg | null = null;
    const dummyFlush = (size: number, cookie: unknown): void => {
      if (cookie !== cfgCookie) dummyWarnings.push('cookie');
      // WARN_ON(!(size & cfg_cookie->pgsize_bitmap)): every size here is below 2^32.
      if ((size & cfgCookie!.pgsizeBitmap) === 0) dummyWarnings.push(`size ${size}`);
    };
    const tlb: IommuFlushOps = {
      tlbFlushAll: (cookie) => {
        if (cookie !== cfgCookie) dummyWarnings.push('cookie');
      },
      tlbFlushWalk: (_iova, size, _granule, cookie) => dummyFlush(size, cookie),
      tlbAddPage: (_gather, _iova, granule, cookie) => dummyFlush(granule, cookie),
    };
    const cfg = v7sCfg({ tlb });
    cfgCookie = cfg;
    const ops = allocV7s(cfg, cfg);

    // Initial sanity checks: empty page tables give no translations.
    expect(ops.iovaToPhys(42)).toBe(0);
    expect(ops.iovaToPhys(SZ_1G + 42)).toBe(0);
    expect(ops.iovaToPhys(SZ_2G + 42)).toBe(0);

    const sizes = [0x1000, 0x1_0000, 0x10_0000, 0x100_0000];
    expect(cfg.pgsizeBitmap).toBe(sizes.reduce((a, b) => a + b));

    // Distinct mappings of different granule sizes.
    let iova = 0;
    for (const size of sizes) {
      expect(
        ops.mapPages(iova, iova, size, 1, IOMMU_READ | IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_CACHE),
      ).toBe(size);
      // Overlapping mappings must fail.
      let overlap: unknown = null;
      try {
        ops.mapPages(iova, iova + size, size, 1, IOMMU_READ | IOMMU_NOEXEC);
      } catch (error) {
        overlap = error;
      }
      expect(overlap).toBeInstanceOf(IoPgtableMapError);
      expect((overlap as IoPgtableMapError).code).toBe('EEXIST');
      expect((overlap as IoPgtableMapError).mapped).toBe(0);
      expect(ops.iovaToPhys(iova + 42)).toBe(iova + 42);
      iova += SZ_16M;
    }

    // Full unmap, then remap of the full block with WRITE only.
    iova = 0;
    for (const size of sizes) {
      expect(ops.unmapPages(iova, size, 1, null)).toBe(size);
      expect(ops.iovaToPhys(iova + 42)).toBe(0);
      expect(ops.mapPages(iova, iova, size, 1, IOMMU_WRITE)).toBe(size);
      expect(ops.iovaToPhys(iova + 42)).toBe(iova + 42);
      iova += SZ_16M;
    }

    freeV7s(ops);
    expect(dummyWarnings).toEqual([]);
    // The only WARNs are the four expected -EEXIST overlaps (selftest_running hides them in Linux).
    const warns = cfg.machine.diagnostics.events;
    expect(warns).toHaveLength(4);
    expect(
      warns.every(
        (event) => event.source === 'io-pgtable-arm-v7s' && event.message.includes('already'),
      ),
    ).toBe(true);
    expect(cfg.machine.pageAllocator.leakReport()).toEqual([]);
    cfg.machine.checkInvariants();
  });
});
