/**
 * Random map/unmap sequences against a reference model (reference-model.ts), for every LPAE
 * format, granule, coherent and non-coherent walks, with and without the CPU cache. After each
 * step: the return value, iovaToPhys of every address touched, the hw-sim hardware walker
 * (configured from the cfg registers only) agreeing on each output address, and
 * checkInvariants of the tables and the machine.
 */
import { ACCESS_PRIV, ACCESS_READ, PageTableWalker, TranslationResult } from '@socmem/hw-sim';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { freeIoPgtableOps } from '../../src/alloc';
import { ArmLpaeIoPgtable } from '../../src/arm-lpae/pgtable';
import { lowestBit } from '../../src/arm-lpae/size-bitmap';
import {
  IOMMU_CACHE,
  IOMMU_NOEXEC,
  IOMMU_READ,
  IOMMU_WRITE,
  IoPgtableFmt,
} from '../../src/io-pgtable';
import { IoPgtableMapError } from '../../src/map-error';
import { allocOps, lpaeCfg, SELFTEST_PGSIZES, testMachine } from './helpers';
import { LpaeModel } from './reference-model';
import { walkConfigFromCfg } from './walk-config';

const SIZES = [32, 36, 40, 42, 44, 48];

const configArb = fc.oneof(
  fc.record({
    fmt: fc.constantFrom(IoPgtableFmt.ARM_64_LPAE_S1, IoPgtableFmt.ARM_64_LPAE_S2),
    pgsizeBitmap: fc.constantFrom(...SELFTEST_PGSIZES),
    ias: fc.constantFrom(...SIZES),
    oas: fc.constantFrom(...SIZES),
  }),
  fc.record({
    fmt: fc.constant(IoPgtableFmt.ARM_32_LPAE_S1),
    pgsizeBitmap: fc.constant(SELFTEST_PGSIZES[0]),
    ias: fc.constant(32),
    oas: fc.constantFrom(32, 36, 40),
  }),
  fc.record({
    fmt: fc.constant(IoPgtableFmt.ARM_32_LPAE_S2),
    pgsizeBitmap: fc.constant(SELFTEST_PGSIZES[0]),
    ias: fc.constantFrom(32, 36, 40),
    oas: fc.constantFrom(32, 36, 40),
  }),
  fc.record({
    fmt: fc.constant(IoPgtableFmt.ARM_MALI_LPAE),
    pgsizeBitmap: fc.constant(SELFTEST_PGSIZES[0]),
    ias: fc.constantFrom(...SIZES),
    oas: fc.constantFrom(32, 36, 40),
  }),
);

const opArb = fc.record({
  unmap: fc.boolean(),
  sizeIndex: fc.nat(2),
  high: fc.boolean(),
  region: fc.nat(3),
  slot: fc.oneof(fc.nat(4), fc.nat(9000)),
  count: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 600 })),
  paSlot: fc.nat(63),
  write: fc.boolean(),
  cache: fc.boolean(),
  noexec: fc.boolean(),
});

function sizesOf(bitmap: number): number[] {
  const sizes: number[] = [];
  for (let rest = bitmap; rest > 0; rest -= lowestBit(rest)) sizes.push(lowestBit(rest));
  return sizes;
}

test('random map/unmap sequences agree with the model and the hardware walker', () => {
  fc.assert(
    fc.property(
      configArb,
      fc.boolean(),
      fc.boolean(),
      fc.array(opArb, { minLength: 1, maxLength: 25 }),
      (config, coherentWalk, cacheOn, ops) => {
        const machine = testMachine({ cache: { enabled: cacheOn } });
        const cfg = lpaeCfg(machine, { ...config, coherentWalk });
        let pgtable: ArmLpaeIoPgtable;
        try {
          const made = allocOps(config.fmt, cfg);
          if (!(made instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
          pgtable = made;
        } catch (error) {
          // 4K stage 2 with a mandatory concatenation of more than 16 tables is refused.
          expect(String(error)).toMatch(/EINVAL/);
          return;
        }
        const walkConfig = walkConfigFromCfg(config.fmt, cfg);
        const model = new LpaeModel(walkConfig);
        const walker = new PageTableWalker(machine.bus, machine.cache, 'check');
        const out = new TranslationResult();
        const sizes = sizesOf(cfg.pgsizeBitmap);
        const largest = sizes[sizes.length - 1]!;
        const window = Math.min(4 * largest, 2 ** cfg.ias);
        const touched = new Set<number>();
        for (const op of ops) {
          const size = sizes[op.sizeIndex % sizes.length]!;
          const base = op.high ? 2 ** cfg.ias - window : 0;
          const iova = base + ((op.region * largest + op.slot * size) % window);
          const pa = (op.paSlot * size) % 2 ** cfg.oas;
          for (const at of [iova, iova + size - 1, iova + op.count * size - 1])
            if (at < 2 ** cfg.ias) touched.add(at);
          if (op.unmap) {
            expect(pgtable.unmapPages(iova, size, op.count, null)).toBe(
              model.unmap(iova, size, op.count),
            );
          } else {
            const prot =
              IOMMU_READ |
              (op.write ? IOMMU_WRITE : 0) |
              (op.cache ? IOMMU_CACHE : 0) |
              (op.noexec ? IOMMU_NOEXEC : 0);
            const expected = model.map(iova, pa, size, op.count);
            if (expected.ok) {
              expect(pgtable.mapPages(iova, pa, size, op.count, prot)).toBe(expected.bytes);
            } else {
              expect(() => pgtable.mapPages(iova, pa, size, op.count, prot)).toThrow(
                IoPgtableMapError,
              );
            }
          }
          for (const at of touched) {
            const phys = model.lookup(at);
            expect(pgtable.iovaToPhys(at)).toBe(phys ?? 0);
            // Linux checks only the first paddr against oas; later pages of a run may lie
            // beyond it, and the hardware then reports an address-size fault.
            const hardware =
              phys === null
                ? 'fault translation'
                : phys >= 2 ** cfg.oas
                  ? 'fault address-size'
                  : phys;
            const ok = walker.walk(walkConfig, at, ACCESS_READ | ACCESS_PRIV, out);
            expect(ok ? out.pa : `fault ${out.fault}`).toBe(hardware);
          }
          pgtable.checkInvariants();
          machine.checkInvariants();
        }
        freeIoPgtableOps(pgtable);
        expect(machine.pageAllocator.leakReport()).toEqual([]);
      },
    ),
    { seed: 0x10f6, numRuns: 200 },
  );
});
