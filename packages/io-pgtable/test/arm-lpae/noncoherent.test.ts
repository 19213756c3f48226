/**
 * Non-coherent table walks: every descriptor update is cleaned from the CPU cache
 * (__arm_lpae_sync_pte -> dma_sync_single_for_device), new tables are cleaned after zeroing
 * (dma_map_single), table descriptors get the SW_SYNC bit (bit 55) once cleaned
 * (arm_lpae_install_table). The hw-sim walker, reading RAM only, then sees every mapping;
 * without the cleans it sees stale zeros. Reference io-pgtable.md §2.1, §2.6.
 */
import { ACCESS_PRIV, ACCESS_READ, PageTableWalker, TranslationResult } from '@socmem/hw-sim';
import { describe, expect, test } from 'vitest';
import { ArmLpaeIoPgtable } from '../../src/arm-lpae/pgtable';
import {
  IO_PGTABLE_QUIRK_ARM_NS,
  IOMMU_CACHE,
  IOMMU_READ,
  IOMMU_WRITE,
  type IoPgtableCfg,
  IoPgtableFmt,
} from '../../src/io-pgtable';
import { allocOps, lpaeCfg, readPte, readRamPte, SZ_2M, SZ_4K, testMachine } from './helpers';
import { walkConfigFromCfg } from './walk-config';

const RW = IOMMU_READ | IOMMU_WRITE;

function setup(overrides: Partial<IoPgtableCfg>) {
  const machine = testMachine();
  const cfg = lpaeCfg(machine, overrides);
  const ops = allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
  if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
  return { machine, cfg, ops };
}

describe('non-coherent walk', () => {
  test('every descriptor the CPU wrote is in RAM (SW_SYNC aside) and the hardware walker translates', () => {
    const { machine, cfg, ops } = setup({ coherentWalk: false });
    ops.mapPages(0x10_0000, 0x8000_0000, SZ_4K, 4, RW | IOMMU_CACHE);
    ops.mapPages(0x4000_0000, 0x9000_0000, SZ_2M, 2, RW);
    const l0 = readPte(machine, ops.pgdPa);
    // The CPU's copy of a table descriptor carries SW_SYNC; RAM holds it cleaned without.
    expect(l0 >> 55n).toBe(1n);
    expect(readRamPte(machine, ops.pgdPa) | (1n << 55n)).toBe(l0);
    const walker = new PageTableWalker(machine.bus, machine.cache, 'check');
    const out = new TranslationResult();
    const config = walkConfigFromCfg(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
    expect(config.coherentWalk).toBe(false);
    for (const iova of [0x10_0000, 0x10_3fff, 0x4000_0000, 0x403f_ffff]) {
      expect(walker.walk(config, iova, ACCESS_READ | ACCESS_PRIV, out)).toBe(true);
      expect(out.pa).toBe(ops.iovaToPhys(iova));
    }
    // Unmaps are cleaned too: the walker faults at once.
    ops.unmapPages(0x10_0000, SZ_4K, 4);
    expect(walker.walk(config, 0x10_0000, ACCESS_READ | ACCESS_PRIV, out)).toBe(false);
    expect(out.fault).toBe('translation');
    expect(machine.cache.counters.maintainedLines).toBeGreaterThan(0);
  });

  test('without the cleans (coherentWalk: true in cfg, but the walker reads RAM only) the walker sees zeros', () => {
    const { machine, cfg, ops } = setup({ coherentWalk: true });
    const before = machine.cache.counters.maintainedLines;
    ops.mapPages(0x10_0000, 0x8000_0000, SZ_4K, 1, RW);
    expect(machine.cache.counters.maintainedLines).toBe(before);
    const walker = new PageTableWalker(machine.bus, machine.cache, 'stale');
    const out = new TranslationResult();
    const coherent = walkConfigFromCfg(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
    // A non-snooping walker: the level-0 entry is still zero in RAM, only the cache has it.
    expect(readRamPte(machine, ops.pgdPa)).toBe(0n);
    expect(readPte(machine, ops.pgdPa)).not.toBe(0n);
    expect(
      walker.walk({ ...coherent, coherentWalk: false }, 0x10_0000, ACCESS_READ | ACCESS_PRIV, out),
    ).toBe(false);
    expect([out.fault, out.faultLevel]).toEqual(['translation', 0]);
    // A snooping walker sees the CPU's lines (and its snoop writes them back).
    expect(walker.walk(coherent, 0x10_0000, ACCESS_READ | ACCESS_PRIV, out)).toBe(true);
    expect(out.pa).toBe(0x8000_0000);
  });

  test('coherent walks make no cache maintenance; non-coherent ones clean each update', () => {
    const coherent = setup({ coherentWalk: true });
    const base = coherent.machine.cache.counters.maintainedLines;
    coherent.ops.mapPages(0, 0, SZ_4K, 1, RW);
    coherent.ops.unmapPages(0, SZ_4K, 1);
    expect(coherent.machine.cache.counters.maintainedLines).toBe(base);
    const nc = setup({ coherentWalk: false });
    const traced: string[] = [];
    nc.machine.trace.subscribe((event) => {
      if (event.kind === 'cache' && event.op === 'clean') traced.push(`${event.size}`);
    });
    nc.ops.mapPages(0, 0, SZ_4K, 1, RW);
    // Three new tables (cleaned whole after zeroing, then their parent entry) and the leaf.
    expect(traced).toEqual(['4096', '8', '4096', '8', '4096', '8', '8']);
  });

  test('ARM_NS: RAM gets addr | NSTable | 3, the CPU copy adds SW_SYNC; later walks clean only leaves', () => {
    // arm_lpae_install_table: new = paddr_to_iopte(table) | TABLE | NSTABLE; cmpxchg; for a
    // non-coherent walk __arm_lpae_sync_pte, then WRITE_ONCE(*ptep, new | SW_SYNC) without a
    // second sync. __arm_lpae_map then skips the sync of a descriptor carrying SW_SYNC.
    const { machine, ops } = setup({ coherentWalk: false, quirks: IO_PGTABLE_QUIRK_ARM_NS });
    ops.mapPages(0, 0x8000_0000, SZ_4K, 1, RW);
    const l0 = readPte(machine, ops.pgdPa);
    const next = l0 & 0x0000_ffff_ffff_f000n;
    expect(l0).toBe(next | 0x8080_0000_0000_0003n);
    expect(readRamPte(machine, ops.pgdPa)).toBe(next | 0x8000_0000_0000_0003n);
    const traced: number[] = [];
    machine.trace.subscribe((event) => {
      if (event.kind === 'cache' && event.op === 'clean') traced.push(event.size);
    });
    ops.mapPages(SZ_4K, 0x8000_1000, SZ_4K, 2, RW);
    expect(traced).toEqual([16]);
    expect(ops.iovaToPhys(2 * SZ_4K + 1)).toBe(0x8000_2001);
  });
});
