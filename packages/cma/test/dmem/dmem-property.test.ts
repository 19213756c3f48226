import { SocmemError } from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDmemCgroupHierarchy,
  type DmemCgroup,
  DmemCgroupLimitError,
  type DmemCgroupPool,
  type DmemCgroupRegion,
  dmemCgroupRegisterRegion,
  dmemCgroupTryCharge,
  dmemCgroupUncharge,
  dmemCgroupUnregisterRegion,
} from '../../src/dmem/index';

/** Cgroups of the test tree: index -> parent index (-1 = the root cgroup, index 0). */
const PARENTS = [-1, 0, 0, 1, 1, 2];

type Op =
  | { kind: 'charge'; cgroup: number; region: number; size: number }
  | { kind: 'uncharge'; charge: number; part: number }
  | { kind: 'max'; cgroup: number; region: number; value: number }
  | { kind: 'unregister'; region: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('charge' as const),
    cgroup: fc.nat(PARENTS.length - 1),
    region: fc.nat(1),
    size: fc.nat(40),
  }),
  fc.record({ kind: fc.constant('uncharge' as const), charge: fc.nat(50), part: fc.nat(45) }),
  fc.record({
    kind: fc.constant('max' as const),
    cgroup: fc.integer({ min: 1, max: PARENTS.length - 1 }),
    region: fc.nat(1),
    value: fc.nat(120),
  }),
  fc.record({ kind: fc.constant('unregister' as const), region: fc.nat(1) }),
);

/** Reference: per (cgroup, region) own charge and max; subtree totals computed by brute force. */
class Reference {
  readonly own: number[][] = PARENTS.map(() => [0, 0]);
  readonly max: number[][] = PARENTS.map(() => [
    Number.POSITIVE_INFINITY,
    Number.POSITIVE_INFINITY,
  ]);
  readonly unregistered = [false, false];

  add(cgroup: number, region: number, delta: number): void {
    const row = this.own[cgroup] as number[];
    row[region] = (row[region] ?? 0) + delta;
  }

  total(cgroup: number, region: number): number {
    let sum = this.own[cgroup]?.[region] ?? 0;
    PARENTS.forEach((parent, child) => {
      if (parent === cgroup) sum += this.total(child, region);
    });
    return sum;
  }

  /** The lowest cgroup on the path to the root whose total would pass its max, or -1. */
  limiting(cgroup: number, region: number, size: number): number {
    for (let c = cgroup; c >= 0; c = PARENTS[c] ?? -1) {
      if (this.total(c, region) + size > (this.max[c]?.[region] ?? 0)) return c;
    }
    return -1;
  }
}

describe('dmem try-charge/uncharge against a reference model (fast-check)', () => {
  it('matches charges, limits and EAGAIN pools; invariants hold after every step', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 60 }), (ops) => {
        const dmem = createDmemCgroupHierarchy();
        const regions = [
          dmemCgroupRegisterRegion(dmem, 1000, 'cma/reserved'),
          dmemCgroupRegisterRegion(dmem, 1000, 'drm/0000:03:00.0/vram0'),
        ] as DmemCgroupRegion[];
        const cgroups: DmemCgroup[] = [];
        PARENTS.forEach((parent, i) => {
          cgroups.push(parent < 0 ? dmem.root : (cgroups[parent] as DmemCgroup).mkdir(`c${i}`));
        });
        const reference = new Reference();
        const live: Array<{ pool: DmemCgroupPool; cgroup: number; region: number; size: number }> =
          [];

        for (const op of ops) {
          if (op.kind === 'charge') {
            const region = regions[op.region] as DmemCgroupRegion;
            const expectedLimit = reference.limiting(op.cgroup, op.region, op.size);
            try {
              const pool = dmemCgroupTryCharge(region, op.size, cgroups[op.cgroup] as DmemCgroup);
              expect(reference.unregistered[op.region]).toBe(false);
              expect(expectedLimit).toBe(-1);
              reference.add(op.cgroup, op.region, op.size);
              live.push({ pool, cgroup: op.cgroup, region: op.region, size: op.size });
            } catch (error) {
              if (reference.unregistered[op.region]) {
                expect(SocmemError.isInstance(error, 'ENODEV')).toBe(true);
              } else {
                expect(error).toBeInstanceOf(DmemCgroupLimitError);
                expect((error as DmemCgroupLimitError).limitPool.cgroup).toBe(
                  cgroups[expectedLimit],
                );
              }
            }
          } else if (op.kind === 'uncharge') {
            const at = op.charge % Math.max(live.length, 1);
            const entry = live[at];
            if (entry === undefined) continue;
            // Uncharge all or part of one earlier charge (partial uncharges are allowed by dmem).
            const size = Math.min(op.part, entry.size);
            dmemCgroupUncharge(entry.pool, size);
            entry.size -= size;
            reference.add(entry.cgroup, entry.region, -size);
            if (entry.size === 0) live.splice(at, 1);
          } else if (op.kind === 'max') {
            const region = regions[op.region] as DmemCgroupRegion;
            if (reference.unregistered[op.region]) {
              expect(() => cgroups[op.cgroup]?.setMax(region, op.value)).toThrowError(/ENODEV/);
              continue;
            }
            const accepted = (cgroups[op.cgroup] as DmemCgroup).setMax(region, op.value);
            const fits = reference.total(op.cgroup, op.region) <= op.value;
            expect(accepted).toBe(fits);
            if (fits) (reference.max[op.cgroup] as number[])[op.region] = op.value;
          } else {
            dmemCgroupUnregisterRegion(regions[op.region] as DmemCgroupRegion);
            reference.unregistered[op.region] = true;
          }
          dmem.checkInvariants();
          // Every pool's current equals the reference subtree total.
          for (const [r, region] of regions.entries()) {
            for (const pool of region.pools) {
              const index = cgroups.indexOf(pool.cgroup);
              expect(pool.current).toBe(reference.total(index, r));
            }
          }
        }
        for (const entry of live) dmemCgroupUncharge(entry.pool, entry.size);
        dmem.checkInvariants();
        for (const region of regions) for (const pool of region.pools) expect(pool.current).toBe(0);
        expect(dmem.unregisteredRegions).toEqual([]);
      }),
      { seed: 0xd3e3, numRuns: 300 },
    );
  });
});
