/**
 * Opt-in pre-v6.12 behaviour: cfg.splitBlockOnPartialUnmap reproduces arm_lpae_split_blk_unmap
 * of Linux ≤ v6.11 (removed by 33729a5fc0ca; reference io-pgtable.md §3.2 VERSION-DELTA and
 * the old selftest's "Partial unmap" step, §5.1 step 4).
 */
import { describe, expect, test } from 'vitest';
import { freeIoPgtableOps } from '../../src/alloc';
import { ArmLpaeIoPgtable } from '../../src/arm-lpae/pgtable';
import { IOMMU_NOEXEC, IOMMU_READ, IOMMU_WRITE, IoPgtableFmt } from '../../src/io-pgtable';
import { IommuIotlbGather } from '../../src/iotlb-gather';
import {
  allocOps,
  lpaeCfg,
  pteAddress,
  readPte,
  recordingTlb,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  SZ_16K,
  SZ_32M,
  testMachine,
} from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;

function setup(pgsizeBitmap = SZ_4K | SZ_2M | SZ_1G, coherentWalk = true) {
  const machine = testMachine();
  const { tlb, calls } = recordingTlb();
  const ops = allocOps(
    IoPgtableFmt.ARM_64_LPAE_S1,
    lpaeCfg(machine, { tlb, pgsizeBitmap, coherentWalk, splitBlockOnPartialUnmap: true }),
  );
  if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
  return { machine, ops, calls };
}

describe('split on partial unmap (opt-in)', () => {
  test('4K out of a 1G block: two splits (1G -> 2M blocks -> 4K pages), one tlbAddPage, attributes kept', () => {
    const { machine, ops, calls } = setup();
    const pa = 0x8_0000_0000;
    ops.mapPages(SZ_1G, pa, SZ_1G, 1, RW | IOMMU_NOEXEC);
    const blockPte = readPte(machine, pteAddress(machine, ops.pgdPa, SZ_1G, 0, 1, 9, 9));
    const gather = new IommuIotlbGather();
    expect(ops.unmapPages(SZ_1G + SZ_4K, SZ_4K, 1, gather)).toBe(SZ_4K);
    expect(calls).toEqual([
      { op: 'addPage', gather, iova: SZ_1G + SZ_4K, granule: SZ_4K, cookie: ops.cookie },
    ]);
    expect(ops.iovaToPhys(SZ_1G + SZ_4K)).toBe(0);
    expect(ops.iovaToPhys(SZ_1G + 42)).toBe(pa + 42);
    expect(ops.iovaToPhys(SZ_1G + 2 * SZ_4K + 42)).toBe(pa + 2 * SZ_4K + 42);
    expect(ops.iovaToPhys(SZ_1G + 5 * SZ_2M + 42)).toBe(pa + 5 * SZ_2M + 42);
    expect(ops.tables.pagesHeld).toBe(4);
    // iopte_prot keeps attribute bits [11:2] and XN; pages get type 3, blocks type 1.
    const blockAttrs = blockPte & 0x0060_0000_0000_0ffcn;
    const l2 = readPte(machine, pteAddress(machine, ops.pgdPa, SZ_1G + 5 * SZ_2M, 0, 2, 9, 9));
    expect(l2).toBe(blockAttrs | BigInt(pa + 5 * SZ_2M) | 1n);
    const l3 = readPte(machine, pteAddress(machine, ops.pgdPa, SZ_1G + 2 * SZ_4K, 0, 3, 9, 9));
    expect(l3).toBe(blockAttrs | BigInt(pa + 2 * SZ_4K) | 3n);
    freeIoPgtableOps(ops);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
  });

  test('the old selftest step: unmap(1G + size), remap it READ at pa = size', () => {
    for (const [bitmap, size] of [
      [SZ_4K | SZ_2M | SZ_1G, SZ_4K],
      [SZ_16K | SZ_32M, SZ_16K],
    ] as const) {
      const { ops } = setup(bitmap);
      ops.mapPages(SZ_1G, SZ_1G, bitmap === SZ_16K + SZ_32M ? SZ_32M : SZ_1G, 1, RW);
      expect(ops.unmapPages(SZ_1G + size, size, 1, null)).toBe(size);
      expect(ops.mapPages(SZ_1G + size, size, size, 1, IOMMU_READ)).toBe(size);
      expect(ops.iovaToPhys(SZ_1G + size + 42)).toBe(size + 42);
    }
  });

  test('pgcount > 1 inside one block: the whole run is removed in one split', () => {
    const { ops, calls } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_2M, 1, RW);
    expect(ops.unmapPages(4 * SZ_4K, SZ_4K, 3, new IommuIotlbGather())).toBe(3 * SZ_4K);
    expect(calls.map((call) => (call.op === 'addPage' ? call.iova : -1))).toEqual([
      0x4000, 0x5000, 0x6000,
    ]);
    expect(ops.iovaToPhys(3 * SZ_4K)).toBe(0x8000_3000);
    expect(ops.iovaToPhys(7 * SZ_4K)).toBe(0x8000_7000);
    expect(ops.iovaToPhys(5 * SZ_4K)).toBe(0);
  });

  test('a null gather still reaches tlbAddPage (v6.11 arm_lpae_split_blk_unmap never tested it)', () => {
    // v6.11 arm_lpae_split_blk_unmap: `for (i = 0; i < num_entries; i++)
    // io_pgtable_tlb_add_page(&data->iop, gather, ...)` with no NULL/queued test, which is how
    // the old selftest's "Partial unmap" step (gather NULL) reached dummy_tlb_add_page.
    const { ops, calls } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_2M, 1, RW);
    expect(ops.unmapPages(2 * SZ_4K, SZ_4K, 2, null)).toBe(2 * SZ_4K);
    expect(calls).toEqual([
      { op: 'addPage', gather: null, iova: 2 * SZ_4K, granule: SZ_4K, cookie: ops.cookie },
      { op: 'addPage', gather: null, iova: 3 * SZ_4K, granule: SZ_4K, cookie: ops.cookie },
    ]);
  });

  test('a table allocation failure during the split returns 0 and leaves the block', () => {
    const { machine, ops } = setup();
    ops.mapPages(0, 0x8000_0000, SZ_2M, 1, RW);
    machine.failPoints.arm('io-pgtable-alloc', { nth: 1 });
    expect(ops.unmapPages(SZ_4K, SZ_4K, 1)).toBe(0);
    expect(ops.iovaToPhys(SZ_4K)).toBe(0x8000_1000);
  });

  test('non-coherent walk: every new descriptor reaches RAM', () => {
    const { machine, ops } = setup(SZ_4K | SZ_2M | SZ_1G, false);
    ops.mapPages(0, 0x8000_0000, SZ_2M, 1, RW);
    ops.unmapPages(SZ_4K, SZ_4K, 1);
    const ptep = pteAddress(machine, ops.pgdPa, 2 * SZ_4K, 0, 3, 9, 9);
    expect((BigInt(machine.ram.read32(ptep + 4)) << 32n) | BigInt(machine.ram.read32(ptep))).toBe(
      readPte(machine, ptep),
    );
  });
});
