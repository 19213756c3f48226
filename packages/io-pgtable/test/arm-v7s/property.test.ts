/**
 * Random map/unmap sequences against a reference model of the v7s entries (one slot per
 * level-1 entry, 256 per level-2 table), following the rules of __arm_v7s_map,
 * arm_v7s_init_pte and __arm_v7s_unmap (io-pgtable-arm-v7s.c v6.13): a section over a level-2
 * table replaces it, anything over a valid leaf is EEXIST, partial unmaps of large entries
 * return 0, pgcount loops stop at the first failure. iovaToPhys and the return values must agree
 * after every step, and the invariants must hold.
 */
import { ACCESS_READ, PageTableWalker, TranslationResult, type WalkConfig } from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArmV7sIoPgtable } from '../../src/arm-v7s/arm-v7s-io-pgtable';
import { IOMMU_READ, IOMMU_WRITE } from '../../src/io-pgtable';
import { IoPgtableMapError } from '../../src/map-error';
import { allocV7s, freeV7s, SZ_1M, SZ_4K, SZ_16M, SZ_64K, smallMachine, v7sCfg } from './helpers';
import { V7sModel } from './v7s-model';

type Op = { kind: 'map' | 'unmap'; size: number; iova: number; pa: number; count: number };

const sizeArb = fc.constantFrom(SZ_4K, SZ_64K, SZ_1M, SZ_16M);
const opArb: fc.Arbitrary<Op> = fc
  .record({
    kind: fc.constantFrom<'map' | 'unmap'>('map', 'map', 'unmap'),
    size: sizeArb,
    region: fc.constantFrom(0, SZ_1M, SZ_16M, SZ_16M + SZ_1M),
    slot: fc.nat(),
    paSlot: fc.nat(),
    count: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ kind, size, region, slot, paSlot, count }) => {
    const iova =
      size >= SZ_1M
        ? (slot % (size === SZ_16M ? 2 : 32)) * size
        : region + (slot % (SZ_1M / size)) * size;
    const pa = 0x4000_0000 + (paSlot % (0x4000_0000 / size)) * size;
    return { kind, size, iova, pa, count };
  });

describe('ARM_V7S against a reference model and the hw-sim walker', () => {
  it('agrees on every return value and translation, coherent or not (seeded)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), fc.boolean(), (ops, coherentWalk) => {
        const cfg = v7sCfg({ coherentWalk }, smallMachine());
        const table = allocV7s(cfg) as ArmV7sIoPgtable;
        // The hardware walker, programmed from the cfg registers only (TTBR bits [31:14]).
        const machine = cfg.machine;
        const walker = new PageTableWalker(machine.bus, machine.cache, 'v7s-check', machine.trace);
        const walk: WalkConfig = {
          format: 'v7s',
          stage: 1,
          granuleShift: 12,
          inputBits: 32,
          outputBits: 32,
          startLevel: 1,
          concatenatedTables: 1,
          tableBase: (cfg.armV7sCfg!.ttbr & 0xffff_c000) >>> 0,
          coherentWalk,
          mtkExtension: false,
          accessFlagEnable: true,
        };
        const out = new TranslationResult();
        const model = new V7sModel();
        const probes = new Set<number>([0, SZ_16M]);
        for (const op of ops) {
          if (op.kind === 'map') {
            const expected = model.map(op.iova, op.pa, op.size, op.count);
            let got: { mapped: number; code: string | null };
            try {
              got = {
                mapped: table.mapPages(op.iova, op.pa, op.size, op.count, IOMMU_READ | IOMMU_WRITE),
                code: null,
              };
            } catch (error) {
              if (!(error instanceof IoPgtableMapError)) throw error;
              got = { mapped: error.mapped, code: error.code };
            }
            expect(got).toEqual(expected);
          } else {
            expect(table.unmapPages(op.iova, op.size, op.count, null)).toBe(
              model.unmap(op.iova, op.size, op.count),
            );
          }
          const end = op.iova + op.size * op.count;
          for (const probe of [op.iova, op.iova + 0x123, end - 1, end]) probes.add(probe);
          for (const probe of probes) {
            const expected = model.translate(probe);
            expect(table.iovaToPhys(probe)).toBe(expected);
            // The hardware walker reads RAM (snooping only for a coherent walk) and must agree.
            const ok = walker.walk(walk, probe, ACCESS_READ, out);
            expect(ok ? out.pa : 0).toBe(expected);
          }
          table.checkInvariants();
          cfg.machine.checkInvariants();
        }
        freeV7s(table);
        expect(cfg.machine.pageAllocator.leakReport()).toEqual([]);
      }),
      { seed: 0x5eed_7005, numRuns: 150 },
    );
  });
});
