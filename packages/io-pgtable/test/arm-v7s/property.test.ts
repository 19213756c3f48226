/**
 * Random map/unmap sequences against a reference model of the v7s entries (one slot per
 * level-1 entry, 256 per level-2 table), following the rules of __arm_v7s_map,
 * arm_v7s_init_pte and __arm_v7s_unmap (io-pgtable-arm-v7s.c v6.13): a section over a level-2
 * table replaces it, anything over a valid leaf is EEXIST, partial unmaps of large entries
 * return 0, pgcount loops stop at the first failure. iovaToPhys and the return values must agree
 * after every step, and the invariants must hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArmV7sIoPgtable } from '../../src/arm-v7s/arm-v7s-io-pgtable';
import { IOMMU_READ, IOMMU_WRITE } from '../../src/io-pgtable';
import { IoPgtableMapError } from '../../src/map-error';
import { allocV7s, freeV7s, SZ_1M, SZ_4K, SZ_16M, SZ_64K, v7sCfg } from './helpers';

interface Leaf {
  readonly kind: 'leaf';
  readonly iova: number;
  readonly pa: number;
  readonly cont: boolean;
}
type L1Entry = Leaf | { readonly kind: 'table'; readonly entries: (Leaf | null)[] } | null;

class V7sModel {
  readonly l1: L1Entry[] = new Array<L1Entry>(4096).fill(null);

  map(iova: number, pa: number, size: number, count: number): { mapped: number; code: string | null } {
    let mapped = 0;
    for (let k = 0; k < count; k++) {
      const code = this.mapOne(iova + mapped, pa + mapped, size);
      if (code !== null) return { mapped, code };
      mapped += size;
    }
    return { mapped, code: null };
  }

  unmap(iova: number, size: number, count: number): number {
    let done = 0;
    for (let k = 0; k < count; k++) {
      if (this.unmapOne(iova + done, size) === 0) break;
      done += size;
    }
    return done;
  }

  translate(iova: number): number {
    const entry = this.l1[Math.floor(iova / SZ_1M)] ?? null;
    const leaf = entry?.kind === 'table' ? entry.entries[Math.floor(iova / SZ_4K) & 255] ?? null : entry;
    return leaf === null ? 0 : leaf.pa + (iova - leaf.iova);
  }

  private mapOne(iova: number, pa: number, size: number): string | null {
    const idx = Math.floor(iova / SZ_1M);
    const leaf: Leaf = { kind: 'leaf', iova, pa, cont: size === SZ_16M || size === SZ_64K };
    if (size >= SZ_1M) {
      const n = size / SZ_1M;
      for (let i = 0; i < n; i++) {
        const entry = this.l1[idx + i]!;
        if (entry?.kind === 'table') this.l1[idx + i] = null;
        else if (entry !== null) return 'EEXIST';
      }
      for (let i = 0; i < n; i++) this.l1[idx + i] = leaf;
      return null;
    }
    let entry = this.l1[idx]!;
    if (entry !== null && entry.kind === 'leaf') return 'EEXIST';
    if (entry === null) {
      entry = { kind: 'table', entries: new Array<Leaf | null>(256).fill(null) };
      this.l1[idx] = entry;
    }
    const j = Math.floor(iova / SZ_4K) & 255;
    const n = size / SZ_4K;
    for (let i = 0; i < n; i++) if (entry.entries[j + i] !== null) return 'EEXIST';
    for (let i = 0; i < n; i++) entry.entries[j + i] = leaf;
    return null;
  }

  private unmapOne(iova: number, size: number): number {
    const idx = Math.floor(iova / SZ_1M);
    if (size >= SZ_1M) {
      const n = size / SZ_1M;
      for (let i = 0; i < n; i++) if (this.l1[idx + i] === null) return 0;
      const first = this.l1[idx]!;
      if (n === 1 && first.kind === 'leaf' && first.cont) return 0;
      for (let i = 0; i < n; i++) this.l1[idx + i] = null;
      return size;
    }
    const entry = this.l1[idx]!;
    if (entry === null || entry.kind === 'leaf') return 0;
    const j = Math.floor(iova / SZ_4K) & 255;
    const n = size / SZ_4K;
    for (let i = 0; i < n; i++) if (entry.entries[j + i] === null) return 0;
    if (n === 1 && entry.entries[j]!.cont) return 0;
    for (let i = 0; i < n; i++) entry.entries[j + i] = null;
    return size;
  }
}

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
      size >= SZ_1M ? (slot % (size === SZ_16M ? 2 : 32)) * size : region + (slot % (SZ_1M / size)) * size;
    const pa = 0x4000_0000 + (paSlot % (0x4000_0000 / size)) * size;
    return { kind, size, iova, pa, count };
  });

describe('ARM_V7S against a reference model', () => {
  it('agrees on every return value and translation (seeded)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 25 }), (ops) => {
        const cfg = v7sCfg();
        const table = allocV7s(cfg) as ArmV7sIoPgtable;
        const model = new V7sModel();
        const probes = new Set<number>([0, SZ_16M]);
        for (const op of ops) {
          if (op.kind === 'map') {
            const expected = model.map(op.iova, op.pa, op.size, op.count);
            let got: { mapped: number; code: string | null };
            try {
              got = { mapped: table.mapPages(op.iova, op.pa, op.size, op.count, IOMMU_READ | IOMMU_WRITE), code: null };
            } catch (error) {
              if (!(error instanceof IoPgtableMapError)) throw error;
              got = { mapped: error.mapped, code: error.code };
            }
            expect(got).toEqual(expected);
          } else {
            expect(table.unmapPages(op.iova, op.size, op.count, null)).toBe(model.unmap(op.iova, op.size, op.count));
          }
          const end = op.iova + op.size * op.count;
          for (const probe of [op.iova, op.iova + 0x123, end - 1, end]) probes.add(probe);
          for (const probe of probes) expect(table.iovaToPhys(probe)).toBe(model.translate(probe));
          table.checkInvariants();
          cfg.machine.checkInvariants();
        }
        freeV7s(table);
        expect(cfg.machine.pageAllocator.leakReport()).toEqual([]);
      }),
      { seed: 0x5eed_7005, numRuns: 60 },
    );
  });
});
