/**
 * Unmap paths and the TLB callbacks they make, as __arm_v7s_unmap / arm_v7s_init_pte do in
 * io-pgtable-arm-v7s.c v6.13 (reference io-pgtable.md §3.4 and §4): tlb_add_page for every
 * cleared entry whenever the gather is not queued (NULL included), tlb_flush_walk(iova, 1M, 4K)
 * for every level-2 table removed, WARN_ONCE + 0 for a partial unmap of a large entry.
 */
import { describe, expect, it } from 'vitest';
import { IOMMU_READ, IOMMU_WRITE } from '../../src/io-pgtable';
import { IommuIotlbGather } from '../../src/iotlb-gather';
import { allocV7s, freeV7s, recordingTlb, SZ_1M, SZ_4K, SZ_16M, SZ_64K, v7sCfg } from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;

function setup(split = false) {
  const { tlb, calls } = recordingTlb();
  const cookie = { name: 'ctx' };
  const cfg = v7sCfg({ tlb, ...(split ? { splitBlockOnPartialUnmap: true } : {}) });
  const ops = allocV7s(cfg, cookie);
  return { ops, cfg, calls, cookie, warns: cfg.machine.diagnostics };
}

describe('unmap TLB callbacks', () => {
  it('adds one page per cleared entry: 16 x 4K for a large page, with the caller gather', () => {
    const { ops, calls, cookie } = setup();
    ops.mapPages(0x20_0000, 0x4000_0000, SZ_64K, 1, RW);
    const gather = new IommuIotlbGather();
    expect(ops.unmapPages(0x20_0000, SZ_64K, 1, gather)).toBe(SZ_64K);
    expect(calls).toEqual(
      Array.from({ length: 16 }, (_, i) => ({
        op: 'addPage',
        gather,
        iova: 0x20_0000 + i * SZ_4K,
        granule: SZ_4K,
        cookie,
      })),
    );
    expect(ops.iovaToPhys(0x20_0000)).toBe(0);
  });

  it('still calls tlbAddPage with a null gather, and never with a queued one', () => {
    const { ops, calls, cookie } = setup();
    ops.mapPages(0, 0x4000_0000, SZ_16M, 1, RW);
    expect(ops.unmapPages(0, SZ_16M, 1)).toBe(SZ_16M);
    expect(calls).toEqual(
      Array.from({ length: 16 }, (_, i) => ({
        op: 'addPage',
        gather: null,
        iova: i * SZ_1M,
        granule: SZ_1M,
        cookie,
      })),
    );
    calls.length = 0;
    ops.mapPages(0x100_0000, 0x4000_0000, SZ_1M, 2, RW);
    const queued = new IommuIotlbGather();
    queued.queued = true;
    expect(ops.unmapPages(0x100_0000, SZ_1M, 2, queued)).toBe(2 * SZ_1M);
    expect(calls).toEqual([]);
  });

  it('flushes the walk cache (iova, 1M, 4K) when a section replaces a level-2 table, with no page adds', () => {
    const { ops, calls, cookie } = setup();
    ops.mapPages(0x30_0000, 0x4000_0000, SZ_4K, 3, RW);
    expect(ops.mapPages(0x30_0000, 0x5000_0000, SZ_1M, 1, RW)).toBe(SZ_1M);
    expect(calls).toEqual([
      { op: 'flushWalk', iova: 0x30_0000, size: SZ_1M, granule: SZ_4K, cookie },
    ]);
    expect(ops.iovaToPhys(0x30_1234)).toBe(0x5000_1234);
  });

  it('unmapping 1M over a level-2 table frees it with a walk flush and returns 1M', () => {
    const { ops, cfg, calls, cookie } = setup();
    ops.mapPages(0x40_0000, 0x4000_0000, SZ_4K, 1, RW);
    const pagesBefore = cfg.machine.pageAllocator.leakReport()[0]!.pages;
    expect(ops.unmapPages(0x40_0000, SZ_1M, 1, null)).toBe(SZ_1M);
    expect(calls).toEqual([
      { op: 'flushWalk', iova: 0x40_0000, size: SZ_1M, granule: SZ_4K, cookie },
    ]);
    // The 1 KiB table was the only one in its page: the page went back.
    expect(cfg.machine.pageAllocator.leakReport()[0]!.pages).toBe(pagesBefore - 1);
  });

  it('free_io_pgtable_ops flushes all once and returns every page', () => {
    const { ops, cfg, calls, cookie } = setup();
    for (let mb = 0; mb < 9; mb++) ops.mapPages(mb * SZ_1M, 0x4000_0000, SZ_4K, 1, RW);
    freeV7s(ops);
    expect(calls).toEqual([{ op: 'flushAll', cookie }]);
    expect(cfg.machine.pageAllocator.leakReport()).toEqual([]);
  });
});

describe('unmap error paths', () => {
  it('WARNs and returns 0 for an unmapped iova, and for iova >= 2^ias', () => {
    const { ops, warns } = setup();
    expect(ops.unmapPages(0x1000, SZ_4K, 1)).toBe(0);
    expect(ops.unmapPages(2 ** 32, SZ_4K, 1)).toBe(0);
    expect(warns.events.map((event) => event.message)).toEqual([
      'unmap of iova 0x1000: entry not valid',
      'unmap of iova 0x1_0000_0000 outside ias 32',
    ]);
  });

  it('partial unmap of a large page, supersection or section: WARN_ONCE per site, return 0, nothing changed', () => {
    const { ops, cfg, calls, warns } = setup();
    ops.mapPages(0x10_0000, 0x4010_0000, SZ_64K, 1, RW);
    ops.mapPages(0x100_0000, 0x4100_0000, SZ_16M, 1, RW);
    ops.mapPages(0x20_0000, 0x4020_0000, SZ_1M, 1, RW);
    const snapshot = (): number[] =>
      [0x10_0000, 0x10_f000, 0x100_0000, 0x1f0_0000, 0x20_0000].map((a) => ops.iovaToPhys(a));
    const before = snapshot();
    expect(ops.unmapPages(0x10_1000, SZ_4K, 1)).toBe(0);
    expect(ops.unmapPages(0x110_0000, SZ_1M, 1)).toBe(0);
    expect(ops.unmapPages(0x20_1000, SZ_4K, 1)).toBe(0);
    expect(ops.unmapPages(0x20_2000, SZ_4K, 1)).toBe(0);
    expect(snapshot()).toEqual(before);
    expect(calls).toEqual([]);
    // One WARN_ONCE at the large-entry site, one at the section site.
    expect(warns.events.map((event) => event.message)).toEqual([
      'Unmap of a partial large IOPTE is not allowed (iova 0x10_1000)',
      'Unmap of a partial large IOPTE is not allowed (iova 0x20_1000)',
    ]);
    freeV7s(ops);
    expect(cfg.machine.pageAllocator.leakReport()).toEqual([]);
  });

  it('pgcount stops at the first page that does not unmap', () => {
    const { ops } = setup();
    ops.mapPages(0x1000, 0x4000_1000, SZ_4K, 2, RW);
    expect(ops.unmapPages(0x1000, SZ_4K, 4)).toBe(2 * SZ_4K);
  });
});

describe('opt-in split on partial unmap ([V7S-old] behaviour)', () => {
  it('splits a section into a level-2 table that keeps the section addresses', () => {
    const { ops, calls, cookie, warns } = setup(true);
    ops.mapPages(0x10_0000, 0x4010_0000, SZ_1M, 1, RW);
    const gather = new IommuIotlbGather();
    expect(ops.unmapPages(0x10_3000, SZ_4K, 1, gather)).toBe(SZ_4K);
    expect(calls).toEqual([{ op: 'addPage', gather, iova: 0x10_3000, granule: SZ_4K, cookie }]);
    expect(ops.iovaToPhys(0x10_3000)).toBe(0);
    expect(ops.iovaToPhys(0x10_0010)).toBe(0x4010_0010);
    expect(ops.iovaToPhys(0x1f_f010)).toBe(0x401f_f010);
    expect(warns.events).toEqual([]);
  });

  it('splits a supersection into sections (walk flush of 16M), then unmaps one section', () => {
    const { ops, calls, cookie } = setup(true);
    ops.mapPages(0x100_0000, 0x4100_0000, SZ_16M, 1, RW);
    expect(ops.unmapPages(0x130_0000, SZ_1M, 1, null)).toBe(SZ_1M);
    expect(calls).toEqual([
      { op: 'flushWalk', iova: 0x130_0000, size: SZ_16M, granule: SZ_16M, cookie },
      { op: 'addPage', gather: null, iova: 0x130_0000, granule: SZ_1M, cookie },
    ]);
    expect(ops.iovaToPhys(0x130_0000)).toBe(0);
    expect(ops.iovaToPhys(0x12f_ffff)).toBe(0x412f_ffff);
    expect(ops.iovaToPhys(0x1ff_0000)).toBe(0x41ff_0000);
  });

  it('splits a supersection then a (non-first) section for a 4K unmap', () => {
    const { ops, calls, cookie } = setup(true);
    ops.mapPages(0x100_0000, 0x4100_0000, SZ_16M, 1, RW);
    expect(ops.unmapPages(0x150_2000, SZ_4K, 1, null)).toBe(SZ_4K);
    expect(calls).toEqual([
      { op: 'flushWalk', iova: 0x150_2000, size: SZ_16M, granule: SZ_16M, cookie },
      { op: 'addPage', gather: null, iova: 0x150_2000, granule: SZ_4K, cookie },
    ]);
    expect(ops.iovaToPhys(0x150_2000)).toBe(0);
    expect(ops.iovaToPhys(0x150_3004)).toBe(0x4150_3004);
    expect(ops.iovaToPhys(0x140_0004)).toBe(0x4140_0004);
  });

  it('splits a large page into small pages (walk flush of 64K)', () => {
    const { ops, calls, cookie } = setup(true);
    ops.mapPages(0x2_0000, 0x4002_0000, SZ_64K, 1, RW);
    expect(ops.unmapPages(0x2_5000, SZ_4K, 1, null)).toBe(SZ_4K);
    expect(calls).toEqual([
      { op: 'flushWalk', iova: 0x2_5000, size: SZ_64K, granule: SZ_64K, cookie },
      { op: 'addPage', gather: null, iova: 0x2_5000, granule: SZ_4K, cookie },
    ]);
    expect(ops.iovaToPhys(0x2_5000)).toBe(0);
    expect(ops.iovaToPhys(0x2_4008)).toBe(0x4002_4008);
    // The remaining entries are small pages now: a 4K unmap of one of them is a plain unmap.
    expect(ops.unmapPages(0x2_4000, SZ_4K, 1, null)).toBe(SZ_4K);
  });

  it('the old selftest partial-unmap step passes with the opt-in', () => {
    const { ops } = setup(true);
    const sizes = [SZ_4K, SZ_64K, SZ_1M, SZ_16M];
    sizes.forEach((size, i) => {
      ops.mapPages(i * SZ_16M, i * SZ_16M, size, 1, RW);
    });
    for (let i = 1; i < sizes.length; i++) {
      const start = i * SZ_16M;
      expect(ops.unmapPages(start + SZ_4K, SZ_4K, 1)).toBe(SZ_4K);
      expect(ops.mapPages(start + SZ_4K, SZ_4K, SZ_4K, 1, IOMMU_READ)).toBe(SZ_4K);
      expect(ops.iovaToPhys(start + SZ_4K + 42)).toBe(SZ_4K + 42);
    }
    freeV7s(ops);
    expect(ops.cfg.machine.pageAllocator.leakReport()).toEqual([]);
  });
});
