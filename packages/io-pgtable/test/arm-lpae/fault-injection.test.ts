/**
 * Fault injection at every table allocation: the 'io-pgtable-alloc' fail point (before each
 * __arm_lpae_alloc_pages) and the allocator's own 'page-alloc', failing each call index a
 * scenario reaches in turn. A failed call throws ENOMEM (IoPgtableMapError with mapped 0),
 * leaves every table byte as it was, and a retry succeeds; at the end the state equals a
 * run without failures and freeIoPgtableOps returns every page.
 */
import { type Machine, SocmemError } from '@socmem/hw-sim';
import { describe, expect, test } from 'vitest';
import { freeIoPgtableOps } from '../../src/alloc';
import { ArmLpaeIoPgtable } from '../../src/arm-lpae/pgtable';
import { IOMMU_READ, IOMMU_WRITE, IoPgtableFmt } from '../../src/io-pgtable';
import { IoPgtableMapError } from '../../src/map-error';
import {
  allocOps,
  lpaeCfg,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  SZ_16K,
  SZ_32M,
  SZ_64K,
  testMachine,
} from './helpers';

type Step = { map: boolean; iova: number; pa: number; size: number; count: number };

const SCENARIOS: {
  name: string;
  fmt: IoPgtableFmt;
  pgsizeBitmap: number;
  ias: number;
  oas: number;
  coherentWalk: boolean;
  steps: Step[];
}[] = [
  {
    name: 'S1 4K, 48-bit, non-coherent',
    fmt: IoPgtableFmt.ARM_64_LPAE_S1,
    pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G,
    ias: 48,
    oas: 48,
    coherentWalk: false,
    steps: [
      { map: true, iova: 0, pa: 0x8000_0000, size: SZ_4K, count: 4 },
      { map: true, iova: 2 ** 40, pa: 0x9000_0000, size: SZ_4K, count: 1 },
      { map: true, iova: 2 ** 40 + SZ_2M, pa: 0x9000_0000, size: SZ_2M, count: 2 },
      { map: false, iova: 0, pa: 0, size: SZ_2M, count: 1 },
      { map: true, iova: SZ_1G + SZ_4K, pa: 0xa000_0000, size: SZ_4K, count: 1 },
      { map: true, iova: 2 ** 47, pa: 0xb000_0000, size: SZ_1G, count: 1 },
    ],
  },
  {
    name: 'S2 16K, 40-bit (16 concatenated tables)',
    fmt: IoPgtableFmt.ARM_64_LPAE_S2,
    pgsizeBitmap: SZ_16K | SZ_32M,
    ias: 40,
    oas: 40,
    coherentWalk: true,
    steps: [
      { map: true, iova: 2 ** 40 - SZ_16K, pa: 0x8000_0000, size: SZ_16K, count: 1 },
      { map: true, iova: 0, pa: 0x8000_0000, size: SZ_32M, count: 3 },
      { map: true, iova: 5 * SZ_32M, pa: 0x8000_0000, size: SZ_16K, count: 2 },
    ],
  },
  {
    name: 'Mali 4K, 48-bit',
    fmt: IoPgtableFmt.ARM_MALI_LPAE,
    pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G,
    ias: 48,
    oas: 40,
    coherentWalk: true,
    steps: [
      { map: true, iova: 0x1234_5000, pa: 0x8000_0000, size: SZ_4K, count: 1 },
      { map: true, iova: 2 ** 45, pa: 0x8000_0000, size: SZ_2M, count: 1 },
    ],
  },
  {
    name: 'S1 64K, 42-bit',
    fmt: IoPgtableFmt.ARM_64_LPAE_S1,
    pgsizeBitmap: SZ_64K,
    ias: 42,
    oas: 42,
    coherentWalk: false,
    steps: [{ map: true, iova: 2 ** 41, pa: 0x8000_0000, size: SZ_64K, count: 3 }],
  },
];

/**
 * Every non-zero descriptor reachable from the root, as the CPU sees it, decoded by the test
 * itself (type 0b11 above level 3 is a table; no 52-bit addresses in these scenarios).
 */
function snapshot(machine: Machine, ops: ArmLpaeIoPgtable): string {
  const lines: string[] = [];
  const visit = (level: number, table: number, entries: number): void => {
    for (let i = 0; i < entries; i++) {
      const ptep = table + 8 * i;
      const pte = machine.cpu.read64(ptep);
      if (pte === 0n) continue;
      lines.push(`${level} ${ptep.toString(16)} ${pte.toString(16)}`);
      if (level < 3 && (pte & 3n) === 3n)
        visit(level + 1, Number(pte & 0xffff_ffff_f000n), ops.granule / 8);
    }
  };
  visit(ops.startLevel, ops.pgdPa, ops.pgdSize / 8);
  return lines.join('\n');
}

function probes(steps: Step[]): number[] {
  return steps.flatMap((step) => [
    step.iova,
    step.iova + step.size * step.count - 1,
    step.iova + step.size,
  ]);
}

function run(scenario: (typeof SCENARIOS)[number], machine: Machine): number[] | null {
  let ops: ArmLpaeIoPgtable;
  try {
    const made = allocOps(scenario.fmt, lpaeCfg(machine, { ...scenario }));
    if (!(made instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
    ops = made;
  } catch (error) {
    expect(SocmemError.isInstance(error, 'ENOMEM')).toBe(true);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
    return null;
  }
  for (const step of scenario.steps) {
    const act = (): number =>
      step.map
        ? ops.mapPages(step.iova, step.pa, step.size, step.count, IOMMU_READ | IOMMU_WRITE)
        : ops.unmapPages(step.iova, step.size, step.count);
    const before = snapshot(machine, ops);
    const held = ops.tables.pagesHeld;
    try {
      act();
    } catch (error) {
      expect(error).toBeInstanceOf(IoPgtableMapError);
      expect([(error as IoPgtableMapError).code, (error as IoPgtableMapError).mapped]).toEqual([
        'ENOMEM',
        0,
      ]);
      expect(ops.tables.pagesHeld).toBe(held);
      expect(snapshot(machine, ops)).toBe(before);
      ops.checkInvariants();
      act();
    }
    ops.checkInvariants();
    machine.checkInvariants();
  }
  const result = probes(scenario.steps).map((iova) => ops.iovaToPhys(iova));
  freeIoPgtableOps(ops);
  expect(machine.pageAllocator.leakReport()).toEqual([]);
  machine.checkInvariants();
  return result;
}

describe('fault injection at table allocation', () => {
  test.each(SCENARIOS)('$name', (scenario) => {
    const expected = run(scenario, testMachine());
    expect(expected).not.toBeNull();
    for (const point of ['io-pgtable-alloc', 'page-alloc']) {
      let failed = 0;
      for (let nth = 1; ; nth++) {
        const machine = testMachine();
        machine.failPoints.arm(point, { nth });
        const result = run(scenario, machine);
        if (machine.failPoints.failures(point) === 0) break;
        failed++;
        if (result !== null) expect(result).toEqual(expected);
      }
      // Every allocation of the scenario was failed once (PGD included).
      expect(failed).toBeGreaterThan(scenario.steps.length > 1 ? 2 : 1);
    }
  });
});
