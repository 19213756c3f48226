/**
 * arm_v7s_map_pages (io-pgtable-arm-v7s.c v6.13; reference io-pgtable.md §4): ERANGE/EINVAL
 * checks first, then one __arm_v7s_map per page, stopping at the first error with *mapped
 * counting the pages done; ENOMEM from every allocation site leaves nothing leaked.
 */
import { SocmemError } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { ArmV7sIoPgtable } from '../../src/arm-v7s/arm-v7s-io-pgtable';
import { IOMMU_CACHE, IOMMU_READ, IOMMU_WRITE } from '../../src/io-pgtable';
import { IoPgtableMapError } from '../../src/map-error';
import {
  allocV7s,
  freeV7s,
  recordingTlb,
  SZ_1M,
  SZ_4K,
  SZ_16M,
  SZ_64K,
  smallMachine,
  v7sCfg,
} from './helpers';

const RW = IOMMU_READ | IOMMU_WRITE;

function mapError(body: () => unknown): IoPgtableMapError {
  try {
    body();
  } catch (error) {
    if (error instanceof IoPgtableMapError) return error;
    throw error;
  }
  throw new Error('expected an IoPgtableMapError');
}

describe('mapPages checks', () => {
  it('ERANGE (with a WARN) for iova >= 2^ias or pa >= 2^oas, before the prot check', () => {
    const cfg = v7sCfg();
    const ops = allocV7s(cfg);
    expect(mapError(() => ops.mapPages(2 ** 32, 0, SZ_4K, 1, 0)).code).toBe('ERANGE');
    expect(mapError(() => ops.mapPages(0, 2 ** 32, SZ_4K, 1, RW)).code).toBe('ERANGE');
    expect(cfg.machine.diagnostics.events).toHaveLength(2);
    // The last page below 2^ias maps.
    expect(ops.mapPages(2 ** 32 - SZ_4K, 0x4000_0000, SZ_4K, 1, RW)).toBe(SZ_4K);
    expect(ops.iovaToPhys(2 ** 32 - 1)).toBe(0x4000_0fff);
    expect(ops.mapPages(2 ** 32 - SZ_16M, 0x4100_0000, SZ_1M, 15, RW)).toBe(15 * SZ_1M);
  });

  it('EINVAL for a prot without READ or WRITE, and for pgcount 0 (ret starts at -EINVAL)', () => {
    const ops = allocV7s(v7sCfg());
    const noAccess = mapError(() => ops.mapPages(0, 0, SZ_4K, 1, IOMMU_CACHE));
    expect([noAccess.code, noAccess.mapped]).toEqual(['EINVAL', 0]);
    expect(mapError(() => ops.mapPages(0, 0, SZ_4K, 0, RW)).code).toBe('EINVAL');
    expect(ops.iovaToPhys(0)).toBe(0);
  });

  it('maps pgcount pages and returns the bytes mapped, crossing level-2 tables', () => {
    const cfg = v7sCfg();
    const ops = allocV7s(cfg);
    expect(ops.mapPages(0xf_e000, 0x4000_0000, SZ_4K, 4, RW)).toBe(4 * SZ_4K);
    for (let i = 0; i < 4; i++)
      expect(ops.iovaToPhys(0xf_e000 + i * SZ_4K + 7)).toBe(0x4000_0000 + i * SZ_4K + 7);
    expect(ops.mapPages(0x200_0000, 0x5000_0000, SZ_64K, 20, RW)).toBe(20 * SZ_64K);
    expect(ops.iovaToPhys(0x200_0000 + 19 * SZ_64K + 0x10)).toBe(0x5000_0000 + 19 * SZ_64K + 0x10);
  });

  it('stops at the first EEXIST and reports what it mapped before (error.mapped)', () => {
    const cfg = v7sCfg();
    const ops = allocV7s(cfg);
    ops.mapPages(0x5000, 0x4000_0000, SZ_4K, 1, RW);
    const error = mapError(() => ops.mapPages(0x3000, 0x4100_3000, SZ_4K, 4, RW));
    expect([error.code, error.mapped]).toEqual(['EEXIST', 2 * SZ_4K]);
    expect(ops.iovaToPhys(0x3000)).toBe(0x4100_3000);
    expect(ops.iovaToPhys(0x4000)).toBe(0x4100_4000);
    expect(ops.iovaToPhys(0x5000)).toBe(0x4000_0000);
    expect(ops.iovaToPhys(0x6000)).toBe(0);
    // A page under an existing section is EEXIST too, and allocates no table.
    ops.mapPages(0x40_0000, 0x4040_0000, SZ_1M, 1, RW);
    const pages = cfg.machine.pageAllocator.leakReport()[0]!.pages;
    expect(mapError(() => ops.mapPages(0x40_1000, 0, SZ_4K, 1, RW)).code).toBe('EEXIST');
    expect(cfg.machine.pageAllocator.leakReport()[0]!.pages).toBe(pages);
  });

  it('a supersection refused with EEXIST leaves the level-2 tables in its range alone', () => {
    // arm_v7s_init_pte (v6.13) unmaps and frees a table slot by slot and only then meets the
    // section at slot 5 and returns -EEXIST, so the page at 0x1000 would vanish with the failed
    // call. Here every slot is checked first: nothing changes, no walk flush is issued.
    const { tlb, calls } = recordingTlb();
    const cfg = v7sCfg({ tlb });
    const ops = allocV7s(cfg);
    ops.mapPages(0x1000, 0x4000_1000, SZ_4K, 1, RW);
    ops.mapPages(0x50_0000, 0x4050_0000, SZ_1M, 1, RW);
    const pages = cfg.machine.pageAllocator.leakReport()[0]!.pages;
    const error = mapError(() => ops.mapPages(0, 0x4100_0000, SZ_16M, 1, RW));
    expect([error.code, error.mapped]).toEqual(['EEXIST', 0]);
    expect(error.message).toBe('EEXIST: io-pgtable-arm-v7s: iova 0x50_0000 is already mapped');
    expect(ops.iovaToPhys(0x1000)).toBe(0x4000_1000);
    expect(ops.iovaToPhys(0x50_0000)).toBe(0x4050_0000);
    expect(calls).toEqual([]);
    expect(cfg.machine.pageAllocator.leakReport()[0]!.pages).toBe(pages);
    if (!(ops instanceof ArmV7sIoPgtable)) throw new Error('not v7s');
    ops.checkInvariants();
  });

  it('stops at ENOMEM midway when the second level-2 table cannot be allocated', () => {
    const cfg = v7sCfg();
    const ops = allocV7s(cfg);
    cfg.machine.failPoints.arm('io-pgtable-alloc', { nth: 2 });
    const error = mapError(() => ops.mapPages(0xf_c000, 0x4000_0000, SZ_4K, 8, RW));
    expect([error.code, error.mapped]).toEqual(['ENOMEM', 4 * SZ_4K]);
    expect(ops.iovaToPhys(0xf_f000)).toBe(0x4000_3000);
    expect(ops.iovaToPhys(0x10_0000)).toBe(0);
    expect(ops.unmapPages(0xf_c000, SZ_4K, error.mapped / SZ_4K)).toBe(error.mapped);
    freeV7s(ops);
    expect(cfg.machine.pageAllocator.leakReport()).toEqual([]);
  });

  it('refuses (EINVAL + WARN) a size whose entries would run past the table, where Linux overruns', () => {
    const cfg = v7sCfg();
    const ops = allocV7s(cfg);
    expect(mapError(() => ops.mapPages(2 ** 32 - SZ_16M, 0, 2 * SZ_16M, 1, RW)).code).toBe(
      'EINVAL',
    );
    expect(cfg.machine.diagnostics.events).toHaveLength(1);
  });
});

describe('fault injection: ENOMEM at every allocation, nothing leaked', () => {
  /** Allocation, maps that need tables in three megabytes, a split, unmaps, free. */
  function scenario(
    cfgSplit: boolean,
    failPoint: string,
    nth: number | null,
  ): { threw: boolean; calls: number } {
    const cfg = v7sCfg({ splitBlockOnPartialUnmap: cfgSplit }, smallMachine());
    const machine = cfg.machine;
    if (nth !== null) machine.failPoints.arm(failPoint, { nth });
    let threw = false;
    let ops: ReturnType<typeof allocV7s> | null = null;
    try {
      ops = allocV7s(cfg);
      const live = ops;
      const steps: Array<() => unknown> = [
        () => live.mapPages(0x1000, 0x4000_1000, SZ_4K, 1, RW),
        () => live.mapPages(0x10_0000, 0x4010_0000, SZ_64K, 2, RW),
        () => live.mapPages(0x1ff_0000, 0x41ff_0000, SZ_4K, 32, RW),
        () => live.mapPages(0x300_0000, 0x4300_0000, SZ_1M, 1, RW),
        () => {
          // A failed split allocation returns 0 (Linux: "Bytes unmapped") and keeps the section.
          if (live.unmapPages(0x300_4000, SZ_4K, 1) === 0 && cfgSplit) {
            expect(live.iovaToPhys(0x300_4000)).toBe(0x4300_4000);
            throw new SocmemError('ENOMEM', 'split could not allocate');
          }
        },
        () => live.mapPages(0x30_0000, 0x4030_0000, SZ_4K, 1, RW),
      ];
      for (const step of steps) {
        try {
          step();
        } catch (error) {
          if (!SocmemError.isInstance(error, 'ENOMEM')) throw error;
          threw = true;
        }
        (live as unknown as { checkInvariants(): void }).checkInvariants();
      }
    } catch (error) {
      if (!SocmemError.isInstance(error, 'ENOMEM')) throw error;
      threw = true;
      expect(cfg.armV7sCfg).toBeUndefined();
    }
    if (ops !== null) freeV7s(ops);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
    machine.checkInvariants();
    return { threw, calls: machine.failPoints.calls(failPoint) };
  }

  for (const split of [false, true]) {
    for (const point of ['io-pgtable-alloc', 'page-alloc']) {
      it(`${point}${split ? ' with split' : ''}: each call fails in turn, cleanly`, () => {
        const { calls } = scenario(split, point, null);
        expect(calls).toBeGreaterThanOrEqual(3);
        for (let nth = 1; nth <= calls; nth++) expect(scenario(split, point, nth).threw).toBe(true);
      });
    }
  }
});

describe('non-coherent walk', () => {
  it('cleans every descriptor it writes, so RAM (what a walker reads) matches the CPU view', () => {
    const cfg = v7sCfg({ coherentWalk: false });
    const ops = allocV7s(cfg);
    const { bus, cpu, cache } = cfg.machine;
    const pgd = cfg.armV7sCfg!.ttbr & ~0x3fff;
    ops.mapPages(0x1000, 0x4000_1000, SZ_4K, 1, RW);
    ops.mapPages(0x20_0000, 0x4020_0000, SZ_1M, 1, RW);
    ops.mapPages(0x40_0000, 0x4040_0000, SZ_64K, 1, RW);
    const l2 = bus.read32(pgd) & ~0x3ff;
    for (const pa of [
      pgd,
      pgd + 2 * 4,
      pgd + 4 * 4,
      l2 + 4,
      ...Array.from({ length: 16 }, (_, i) => (bus.read32(pgd + 16) & ~0x3ff) + i * 4),
    ]) {
      expect(bus.read32(pa)).toBe(cpu.read32(pa));
      expect(cache.isDirty(pa)).toBe(false);
    }
    ops.unmapPages(0x1000, SZ_4K, 1);
    expect(bus.read32(l2 + 4)).toBe(0);
  });

  it('without the clean (coherent walk claimed), RAM still holds zeroes: a non-coherent walker would fault', () => {
    const cfg = v7sCfg({ coherentWalk: true });
    const ops = allocV7s(cfg);
    const pgd = cfg.armV7sCfg!.ttbr & ~0x3fff;
    ops.mapPages(0x20_0000, 0x4020_0000, SZ_1M, 1, RW);
    expect(cfg.machine.cpu.read32(pgd + 8)).not.toBe(0);
    expect(cfg.machine.cache.isDirty(pgd + 8)).toBe(true);
    expect(cfg.machine.bus.read32(pgd + 8)).toBe(0);
  });
});
