/**
 * The walk memo (ArmLpaeIoPgtable.memoLevel/memoKey/memoTable) is a speed shortcut with no
 * Linux counterpart: __arm_lpae_map, __arm_lpae_unmap and arm_lpae_iova_to_phys (v6.16) walk
 * from data->pgd on every call. So the memo must never change a result. These tests attack it
 * where it could go stale: a table freed by an unmap at its own size, a table replaced by a block
 * (arm_lpae_init_pte unmapping it), tables removed again after ENOMEM, a freed table page handed
 * out again by the allocator for another part of the input space, the opt-in block split, TTBR1
 * (negative) IOVAs, a concatenated stage-2 PGD and Mali's one-entry PGD. Every answer of
 * iovaToPhys is compared with a walk the test does itself from the register value, and every
 * map/unmap result with the reference model.
 */
import type { Machine } from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { freeIoPgtableOps } from '../../src/alloc';
import { ArmLpaeIoPgtable } from '../../src/arm-lpae/pgtable';
import {
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IOMMU_READ,
  IOMMU_WRITE,
  type IoPgtableCfg,
  IoPgtableFmt,
} from '../../src/io-pgtable';
import { IoPgtableMapError } from '../../src/map-error';
import { allocOps, lpaeCfg, SZ_1G, SZ_2M, SZ_4K, SZ_16K, SZ_32M, testMachine } from './helpers';
import { LpaeModel } from './reference-model';

const RW = IOMMU_READ | IOMMU_WRITE;

/** The geometry Linux derives (arm_lpae_alloc_pgtable + concatenation / Mali fix-ups), by hand. */
interface Scenario {
  readonly name: string;
  readonly fmt: IoPgtableFmt;
  readonly cfg: Partial<IoPgtableCfg>;
  readonly startLevel: number;
  readonly granuleShift: number;
  readonly pgdBits: number;
  readonly mali: boolean;
  readonly ttbr1: boolean;
  readonly split: boolean;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'S1 4K ias 39 (start level 1)',
    fmt: IoPgtableFmt.ARM_64_LPAE_S1,
    cfg: { ias: 39 },
    startLevel: 1,
    granuleShift: 12,
    pgdBits: 9,
    mali: false,
    ttbr1: false,
    split: false,
  },
  {
    name: 'S1 4K ias 39 ARM_TTBR1 (negative IOVAs)',
    fmt: IoPgtableFmt.ARM_64_LPAE_S1,
    cfg: { ias: 39, quirks: IO_PGTABLE_QUIRK_ARM_TTBR1 },
    startLevel: 1,
    granuleShift: 12,
    pgdBits: 9,
    mali: false,
    ttbr1: true,
    split: false,
  },
  {
    name: 'S2 16K ias = oas = 40 (16 concatenated tables at level 2)',
    fmt: IoPgtableFmt.ARM_64_LPAE_S2,
    cfg: { ias: 40, oas: 40, pgsizeBitmap: SZ_16K | SZ_32M },
    startLevel: 2,
    granuleShift: 14,
    pgdBits: 15,
    mali: false,
    ttbr1: false,
    split: false,
  },
  {
    name: 'Mali ias 33 (one-entry level-0 PGD)',
    fmt: IoPgtableFmt.ARM_MALI_LPAE,
    cfg: { ias: 33, oas: 40 },
    startLevel: 0,
    granuleShift: 12,
    pgdBits: 0,
    mali: true,
    ttbr1: false,
    split: false,
  },
  {
    name: 'S1 4K ias 48 with the opt-in block split',
    fmt: IoPgtableFmt.ARM_64_LPAE_S1,
    cfg: { ias: 48, splitBlockOnPartialUnmap: true },
    startLevel: 0,
    granuleShift: 12,
    pgdBits: 9,
    mali: false,
    ttbr1: false,
    split: true,
  },
];

function rootOf(cfg: IoPgtableCfg): number {
  if (cfg.armLpaeS1Cfg !== undefined) return cfg.armLpaeS1Cfg.ttbr;
  if (cfg.armLpaeS2Cfg !== undefined) return cfg.armLpaeS2Cfg.vttbr;
  const transtab = cfg.armMaliLpaeCfg!.transtab;
  return transtab - (transtab % 64);
}

/** The test's own table walk (bigint, from the register value): what iovaToPhys must return. */
function walk(machine: Machine, root: number, iova: number, s: Scenario): number {
  const bpl = s.granuleShift - 3;
  const address = BigInt.asUintN(64, BigInt(iova));
  let table = root;
  for (let level = s.startLevel; level < 4; level++) {
    const shift = BigInt((4 - level) * bpl + 3);
    const bits = BigInt(level === s.startLevel ? s.pgdBits : bpl);
    const index = Number((address >> shift) & ((1n << bits) - 1n));
    const pte = machine.cpu.read64(table + index * 8);
    const type = Number(pte & 3n);
    const leaf = level === 3 && !s.mali ? type === 3 : type === 1;
    if (leaf) return Number((pte & 0xffff_ffff_f000n) | (address & ((1n << shift) - 1n)));
    if (level === 3 || type !== 3) return 0;
    table = Number(pte & 0xffff_ffff_f000n);
  }
  return 0;
}

function setup(s: Scenario) {
  const machine = testMachine();
  const cfg = lpaeCfg(machine, s.cfg);
  const ops = allocOps(s.fmt, cfg);
  if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
  return { machine, cfg, ops };
}

const opArb = fc.record({
  kind: fc.constantFrom('map', 'map', 'unmap', 'unmap', 'enomem', 'probe'),
  sizeIndex: fc.constantFrom(0, 0, 1, 1, 2),
  block: fc.nat(3),
  slot: fc.oneof(fc.nat(3), fc.constantFrom(510, 511, 2046, 2047)),
  count: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 600 })),
  paSlot: fc.nat(31),
});

describe('walk memo: never a stale table', () => {
  test.each(SCENARIOS)('$name: random sequences agree with a walk from the register', (s) => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (steps) => {
        const { machine, cfg, ops } = setup(s);
        const root = rootOf(cfg);
        const model = new LpaeModel({ startLevel: s.startLevel, granuleShift: s.granuleShift });
        const sizes: number[] = [];
        for (const size of [SZ_4K, SZ_16K, SZ_2M, SZ_32M, SZ_1G])
          if (Math.floor(cfg.pgsizeBitmap / size) % 2 === 1) sizes.push(size);
        // TTBR1 IOVAs are the top 2^ias bytes of the 64-bit space; the model sees them shifted.
        const top = 2 ** cfg.ias;
        const offset = s.ttbr1 ? top : 0;
        const touched: number[] = [];
        for (const step of steps) {
          const size = sizes[step.sizeIndex % sizes.length]!;
          // Two blocks of the largest size at the bottom or the top of the input space (the
          // top only for TTBR1), entries aligned to their size as the model needs.
          const area = 2 * sizes[sizes.length - 1]!;
          const base = s.ttbr1 ? -area : step.block % 2 === 0 ? 0 : top - area;
          const within = (step.block * sizes[1]! + step.slot * size) % area;
          const iova = base + within - (within % size);
          const pa = step.paSlot * size;
          for (const at of [iova, iova + size - 1, iova + Math.min(step.count, 3) * size - 1])
            if (s.ttbr1 ? at < 0 : at < top) touched.push(at);
          if (step.kind === 'probe') {
            // nothing but the probes below, in a different order
          } else if (step.kind === 'unmap') {
            const bytes = ops.unmapPages(iova, size, step.count, null);
            const expected = model.unmap(iova + offset, size, step.count);
            if (!s.split) expect(bytes).toBe(expected);
          } else {
            if (step.kind === 'enomem') machine.failPoints.arm('io-pgtable-alloc', { nth: 1 });
            const before = touched.map((at) => walk(machine, root, at, s));
            const pages = ops.tables.pagesHeld;
            let bytes: number | string;
            try {
              bytes = ops.mapPages(iova, pa, size, step.count, RW);
            } catch (error) {
              if (!(error instanceof IoPgtableMapError)) throw error;
              bytes = error.code;
            }
            machine.failPoints.disarm('io-pgtable-alloc');
            if (bytes === 'ENOMEM') {
              // Nothing half-written: every translation and the table count as before.
              expect(touched.map((at) => walk(machine, root, at, s))).toEqual(before);
              expect(ops.tables.pagesHeld).toBe(pages);
            } else {
              const expected = model.map(iova + offset, pa, size, step.count);
              if (!s.split) expect(bytes).toBe(expected.ok ? expected.bytes : 'EEXIST');
            }
          }
          const order = step.block % 2 === 0 ? touched : [...touched].reverse();
          for (const at of order) {
            const expected = walk(machine, root, at, s);
            expect(ops.iovaToPhys(at)).toBe(expected);
            if (!s.split) expect(expected).toBe(model.iovaToPhys(at + offset));
          }
          ops.checkInvariants();
        }
        freeIoPgtableOps(ops);
        expect(machine.pageAllocator.leakReport()).toEqual([]);
        machine.checkInvariants();
      }),
      { seed: 0x3e3e0, numRuns: 60 },
    );
  });

  test('tables freed under a start-level block are never read again', () => {
    // ias 39: the start level is 1, whose tables the memo never records. Map a page (the memo
    // now holds the level-3 table T of iova 0), then a 1G block over the whole area at the start
    // level: arm_lpae_init_pte unmaps and frees the level-2 table and T below it without any
    // new memo being taken. A memo that survived the free would still read T's old page entry.
    const s = SCENARIOS[0]!;
    const { machine, ops } = setup(s);
    ops.mapPages(0, 0x10_0000, SZ_4K, 1, RW);
    expect(ops.iovaToPhys(5)).toBe(0x10_0005);
    ops.mapPages(0, 0x4000_0000, SZ_1G, 1, RW);
    expect(ops.iovaToPhys(5)).toBe(0x4000_0005);
    expect(ops.iovaToPhys(SZ_2M + 5)).toBe(0x4020_0005);
    // And once the freed pages are handed out again for another 1G region.
    ops.mapPages(SZ_1G, 0x20_0000, SZ_4K, 1, RW);
    expect(ops.unmapPages(0, SZ_4K, 1)).toBe(0);
    expect(ops.iovaToPhys(5)).toBe(0x4000_0005);
    expect(ops.unmapPages(0, SZ_1G, 1)).toBe(SZ_1G);
    expect(ops.iovaToPhys(5)).toBe(0);
    expect(ops.iovaToPhys(SZ_1G + 5)).toBe(0x20_0005);
    ops.checkInvariants();
    machine.checkInvariants();
  });

  test('TTBR1: the same table index at both ends of the range, and positive aliases', () => {
    // With ias 39, -4K and 2^39 - 4K select the same entries (Linux indexes the unsigned long
    // with ARM_LPAE_LVL_IDX, which masks the bits above ias): iova_to_phys has no ias check.
    const s = SCENARIOS[1]!;
    const { ops } = setup(s);
    ops.mapPages(-SZ_4K, 0x7000, SZ_4K, 1, RW);
    ops.mapPages(-(2 ** 39), 0x9000, SZ_4K, 1, RW);
    expect(ops.iovaToPhys(-1)).toBe(0x7fff);
    expect(ops.iovaToPhys(2 ** 39 - 1)).toBe(0x7fff);
    expect(ops.iovaToPhys(-(2 ** 39) + 1)).toBe(0x9001);
    expect(ops.iovaToPhys(1)).toBe(0x9001);
    expect(ops.unmapPages(-SZ_4K, SZ_4K, 1)).toBe(SZ_4K);
    expect(ops.iovaToPhys(2 ** 39 - 1)).toBe(0);
    expect(ops.iovaToPhys(-(2 ** 39) + 1)).toBe(0x9001);
  });

  test('16K concatenated stage-2 PGD: a 32M block over a table, then pages next to it', () => {
    const s = SCENARIOS[2]!;
    const { ops } = setup(s);
    const last = 2 ** 40 - SZ_32M;
    ops.mapPages(last, 0x100_0000, SZ_16K, 2, RW);
    expect(ops.iovaToPhys(last + SZ_16K + 1)).toBe(0x100_4001);
    ops.mapPages(last, 0x800_0000, SZ_32M, 1, RW);
    expect(ops.iovaToPhys(last + SZ_16K + 1)).toBe(0x800_4001);
    ops.mapPages(last - SZ_32M, 0x200_0000, SZ_16K, 1, RW);
    expect(ops.iovaToPhys(last - SZ_32M + 3)).toBe(0x200_0003);
    expect(ops.iovaToPhys(last + 3)).toBe(0x800_0003);
    expect(ops.iovaToPhys(SZ_1G)).toBe(0);
    ops.checkInvariants();
  });
});
