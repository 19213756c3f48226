/**
 * TLB maintenance callbacks in Linux's order and with Linux's arguments (v6.16
 * __arm_lpae_unmap, arm_lpae_init_pte, free_io_pgtable_ops; reference io-pgtable.md §3.4):
 * tlbFlushWalk(iova, size, granule) for each table removed, tlbAddPage(gather, iova, size)
 * for each cleared entry with a non-queued gather, none with a null gather, tlbFlushAll on free.
 */
import { describe, expect, test } from 'vitest';
import { freeIoPgtableOps } from '../../src/alloc';
import { IOMMU_READ, IOMMU_WRITE, IoPgtableFmt } from '../../src/io-pgtable';
import { IommuIotlbGather } from '../../src/iotlb-gather';
import {
  allocOps,
  lpaeCfg,
  recordingTlb,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  SZ_16K,
  SZ_32M,
  testMachine,
} from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;
const COOKIE = { name: 'domain cookie' };

function setup(pgsizeBitmap = SZ_4K | SZ_2M | SZ_1G) {
  const machine = testMachine();
  const { tlb, calls } = recordingTlb();
  const ops = allocOps(
    IoPgtableFmt.ARM_64_LPAE_S1,
    lpaeCfg(machine, { tlb, pgsizeBitmap }),
    COOKIE,
  );
  return { machine, ops, calls };
}

describe('TLB callbacks', () => {
  test('map makes no TLB callback', () => {
    const { ops, calls } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_4K, 16, RW);
    ops.mapPages(SZ_1G, 0x8000_0000, SZ_1G, 1, RW);
    expect(calls).toEqual([]);
  });

  test('unmap with a gather: one tlbAddPage per cleared entry, granule = the unmapped size', () => {
    const { ops, calls } = setup();
    ops.mapPages(0x10_0000, 0x8000_0000, SZ_4K, 3, RW);
    const gather = new IommuIotlbGather();
    expect(ops.unmapPages(0x10_0000, SZ_4K, 3, gather)).toBe(3 * SZ_4K);
    expect(calls).toEqual([
      { op: 'addPage', gather, iova: 0x10_0000, granule: SZ_4K, cookie: COOKIE },
      { op: 'addPage', gather, iova: 0x10_1000, granule: SZ_4K, cookie: COOKIE },
      { op: 'addPage', gather, iova: 0x10_2000, granule: SZ_4K, cookie: COOKIE },
    ]);
  });

  test('a queued gather or a null gather: no tlbAddPage (v6.16; v6.11 called it for null)', () => {
    const { ops, calls } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_4K, 2, RW);
    const queued = new IommuIotlbGather();
    queued.queued = true;
    expect(ops.unmapPages(0, SZ_4K, 1, queued)).toBe(SZ_4K);
    expect(ops.unmapPages(SZ_4K, SZ_4K, 1, null)).toBe(SZ_4K);
    expect(ops.unmapPages(SZ_4K, SZ_4K, 1)).toBe(0);
    expect(calls).toEqual([]);
  });

  test('unmapping a table entry: flushWalk(iova, size, granule) for the table, then tlbAddPage for the entry', () => {
    const { ops, calls } = setup();
    ops.mapPages(SZ_2M + SZ_4K, 0x8000_0000, SZ_4K, 1, RW);
    ops.mapPages(2 * SZ_2M, 0x8100_0000, SZ_2M, 1, RW);
    const gather = new IommuIotlbGather();
    expect(ops.unmapPages(SZ_2M, SZ_2M, 2, gather)).toBe(2 * SZ_2M);
    expect(calls).toEqual([
      { op: 'flushWalk', iova: SZ_2M, size: SZ_2M, granule: SZ_4K, cookie: COOKIE },
      { op: 'addPage', gather, iova: SZ_2M, granule: SZ_2M, cookie: COOKIE },
      { op: 'addPage', gather, iova: 2 * SZ_2M, granule: SZ_2M, cookie: COOKIE },
    ]);
  });

  test('a block map replacing tables: one flushWalk per table, no tlbAddPage (null gather inside init_pte)', () => {
    const { ops, calls } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_4K, 1, RW);
    ops.mapPages(2 * SZ_2M, 0x8000_0000, SZ_4K, 1, RW);
    expect(ops.mapPages(0, 0x9000_0000, SZ_2M, 3, RW)).toBe(3 * SZ_2M);
    expect(calls).toEqual([
      { op: 'flushWalk', iova: 0, size: SZ_2M, granule: SZ_4K, cookie: COOKIE },
      { op: 'flushWalk', iova: 2 * SZ_2M, size: SZ_2M, granule: SZ_4K, cookie: COOKIE },
    ]);
  });

  test('16K granule: flushWalk reports the 16K granule', () => {
    const { ops, calls } = setup(SZ_16K | SZ_32M);
    ops.mapPages(0, 0x8000_0000, SZ_16K, 1, RW);
    expect(ops.unmapPages(0, SZ_32M, 1, null)).toBe(SZ_32M);
    expect(calls).toEqual([
      { op: 'flushWalk', iova: 0, size: SZ_32M, granule: SZ_16K, cookie: COOKIE },
    ]);
  });

  test('freeIoPgtableOps: tlbFlushAll(cookie) before any table is freed', () => {
    const { machine, ops, calls } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_4K, 1, RW);
    const allocatorPages: number[] = [];
    const tlbFlushAll = ops.cfg.tlb!.tlbFlushAll;
    ops.cfg.tlb!.tlbFlushAll = (cookie) => {
      allocatorPages.push(machine.pageAllocator.leakReport()[0]?.pages ?? 0);
      tlbFlushAll(cookie);
    };
    freeIoPgtableOps(ops);
    expect(calls).toEqual([{ op: 'flushAll', cookie: COOKIE }]);
    expect(allocatorPages).toEqual([4]);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
  });

  test('tlbAddPage is optional (io_pgtable_tlb_add_page checks for it)', () => {
    const machine = testMachine();
    const ops = allocOps(
      IoPgtableFmt.ARM_64_LPAE_S2,
      lpaeCfg(machine, { tlb: { tlbFlushAll: () => undefined, tlbFlushWalk: () => undefined } }),
    );
    ops.mapPages(0, 0, SZ_4K, 1, RW);
    expect(ops.unmapPages(0, SZ_4K, 1, new IommuIotlbGather())).toBe(SZ_4K);
    freeIoPgtableOps(ops);
  });
});
