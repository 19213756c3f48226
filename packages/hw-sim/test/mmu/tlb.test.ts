import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tlb } from '../../src/mmu/tlb';
import type { TlbEntry } from '../../src/mmu/tlb-types';
import { TranslationResult } from '../../src/mmu/translation';
import { SimClock } from '../../src/observability/clock';
import { SeededRng } from '../../src/observability/rng';
import { TraceStream } from '../../src/observability/trace';

function newTlb(sets = 4, ways = 2, seed = 7) {
  const trace = new TraceStream(new SimClock());
  return { trace, tlb: new Tlb({ name: 'tlb', sets, ways }, new SeededRng(seed), trace) };
}

function result(
  inputAddress: number,
  pa: number,
  pageSize: number,
  nonGlobal: boolean,
  permissions = 0b011011,
): TranslationResult {
  const r = new TranslationResult();
  r.inputAddress = inputAddress;
  r.pa = pa;
  r.pageSize = pageSize;
  r.level = pageSize === 4096 ? 3 : 2;
  r.nonGlobal = nonGlobal;
  r.permissions = permissions;
  r.memoryAttributes = 1;
  r.shareability = 3;
  r.descriptorLo = 0x703;
  return r;
}

describe('Tlb', () => {
  it('keeps ASID, VMID, page size and level tags; global entries match any ASID, non-global only their own', () => {
    const { tlb } = newTlb();
    tlb.insert(1, 0, result(0x5000, 0x4000_5000, 4096, true));
    tlb.insert(1, 0, result(0x20_0000, 0x4020_0000, 0x20_0000, false));
    const out = new TranslationResult();
    expect(tlb.lookup(1, 0, 0x5abc, out)).toBe(true);
    expect(out).toMatchObject({
      pa: 0x4000_5abc,
      pageSize: 4096,
      level: 3,
      nonGlobal: true,
      readable: true,
      writable: true,
      executable: false,
      memoryAttributes: 1,
      shareability: 3,
      descriptorLo: 0x703,
      fault: null,
      walkReads: 0,
    });
    expect(tlb.lookup(2, 0, 0x5abc, out)).toBe(false);
    expect(tlb.lookup(1, 1, 0x5abc, out)).toBe(false);
    expect(tlb.lookup(9, 0, 0x3f_ffff, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level, out.nonGlobal]).toEqual([
      0x403f_ffff,
      0x20_0000,
      2,
      false,
    ]);
    expect(tlb.counters).toMatchObject({ hits: 2, misses: 2, insertions: 2, evictions: 0 });
    tlb.checkInvariants();
  });

  it('invalidateAsid keeps global entries (TLBI ASIDE1); invalidateVa with an ASID removes global entries too (TLBI VAE1)', () => {
    const { tlb } = newTlb(8, 4);
    tlb.insert(1, 0, result(0x1000, 0x4000_1000, 4096, true));
    tlb.insert(1, 0, result(0x2000, 0x4000_2000, 4096, false));
    tlb.invalidateAsid(1);
    expect(tlb.entries().map((e) => e.inputAddress)).toEqual([0x2000]);
    tlb.invalidateVa(0x2fff, 3);
    expect(tlb.entries()).toEqual([]);
    expect(tlb.counters).toMatchObject({ invalidations: 2, invalidatedEntries: 2 });
  });

  it('invalidateRange removes entries overlapping the range, including a block that starts before it', () => {
    const { tlb } = newTlb(8, 4);
    tlb.insert(0, 0, result(0x20_0000, 0x4020_0000, 0x20_0000, false));
    tlb.insert(0, 0, result(0x40_0000, 0x4040_0000, 4096, false));
    tlb.insert(0, 0, result(0x40_1000, 0x4040_1000, 4096, false));
    tlb.invalidateRange(0x3f_f000, 0x2000);
    expect(tlb.entries().map((e) => e.inputAddress)).toEqual([0x40_1000]);
    expect(() => tlb.invalidateRange(0x1000, 0)).toThrow(/EINVAL/);
  });

  it('re-inserting the same tag replaces the entry in place (no duplicate, no eviction)', () => {
    const { tlb } = newTlb(1, 2);
    tlb.insert(0, 0, result(0x1000, 0x4000_1000, 4096, false));
    tlb.insert(0, 0, result(0x1000, 0x5000_1000, 4096, false));
    expect(tlb.entries().map((e) => e.pa)).toEqual([0x5000_1000]);
    expect(tlb.counters.evictions).toBe(0);
    tlb.checkInvariants();
  });

  it('rejects caching a translation fault and a page size that is not a power of two (EINVAL)', () => {
    const { tlb } = newTlb();
    const bad = result(0x1000, 0x4000_1000, 4096, false);
    bad.fault = 'translation';
    expect(() => tlb.insert(0, 0, bad)).toThrow(/EINVAL/);
    expect(() => tlb.insert(0, 0, result(0x1000, 0x4000_1000, 3000, false))).toThrow(/EINVAL/);
    expect(tlb.entries()).toEqual([]);
  });

  it('same seed, same eviction sequence (seeded replacement); a different seed evicts differently', () => {
    const run = (seed: number) => {
      const { trace, tlb } = newTlb(2, 4, seed);
      const events = trace.record(() => {
        for (let page = 0; page < 64; page++)
          tlb.insert(0, 0, result(page * 0x2000, 0x4000_0000 + page * 0x1000, 4096, false));
      });
      return events
        .filter((event) => event.kind === 'tlb' && event.op === 'evict')
        .map((event) => (event.kind === 'tlb' ? event.inputAddress : 0));
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).toHaveLength(60); // every page lands in set 0 (even page numbers): 64 inserts into 4 ways
    expect(run(3)).not.toEqual(run(4));
  });

  it('property: agrees with a Map model through random inserts, lookups and invalidations (seed 42)', () => {
    type Op =
      | {
          kind: 'insert';
          asid: number;
          vmid: number;
          page: number;
          big: boolean;
          nonGlobal: boolean;
          pa: number;
        }
      | { kind: 'lookup'; asid: number; vmid: number; address: number }
      | { kind: 'all' }
      | { kind: 'asid'; asid: number }
      | { kind: 'vmid'; vmid: number }
      | { kind: 'va'; address: number; asid: number | undefined }
      | { kind: 'range'; address: number; size: number };
    const address = fc.integer({ min: 0, max: 0x7f_ffff });
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('insert' as const),
          asid: fc.integer({ min: 0, max: 2 }),
          vmid: fc.integer({ min: 0, max: 1 }),
          page: fc.integer({ min: 0, max: 0x7ff }),
          big: fc.boolean(),
          nonGlobal: fc.boolean(),
          pa: fc.integer({ min: 0, max: 0xfff }),
        }),
      },
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant('lookup' as const),
          asid: fc.integer({ min: 0, max: 2 }),
          vmid: fc.integer({ min: 0, max: 1 }),
          address,
        }),
      },
      fc.constant({ kind: 'all' as const }),
      fc.record({ kind: fc.constant('asid' as const), asid: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('vmid' as const), vmid: fc.integer({ min: 0, max: 1 }) }),
      fc.record({
        kind: fc.constant('va' as const),
        address,
        asid: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      }),
      fc.record({
        kind: fc.constant('range' as const),
        address,
        size: fc.integer({ min: 1, max: 0x30_0000 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const { tlb } = newTlb(4, 2, 11);
        const model = new Map<string, TlbEntry>();
        const keyOf = (e: { inputAddress: number; pageSize: number; asid: number; vmid: number }) =>
          `${e.inputAddress}/${e.pageSize}/${e.asid}/${e.vmid}`;
        const out = new TranslationResult();
        for (const o of ops) {
          if (o.kind === 'insert') {
            const size = o.big ? 0x20_0000 : 0x1000;
            const start = Math.floor((o.page * 0x1000) / size) * size;
            const r = result(start, 0x4000_0000 + o.pa * size, size, o.nonGlobal);
            const before = tlb.counters.evictions;
            tlb.insert(o.asid, o.vmid, r);
            const entry = {
              inputAddress: start,
              pageSize: size,
              pa: r.pa,
              asid: o.nonGlobal ? o.asid : -1,
              vmid: o.vmid,
            };
            model.set(keyOf(entry), entry as TlbEntry);
            if (tlb.counters.evictions !== before) {
              // Exactly one model entry left the TLB: the victim.
              const present = new Set(tlb.entries().map(keyOf));
              const gone = [...model.keys()].filter((key) => !present.has(key));
              expect(gone).toHaveLength(1);
              model.delete(gone[0]!);
            }
          } else if (o.kind === 'lookup') {
            const candidates = [...model.values()].filter(
              (e) =>
                o.address >= e.inputAddress &&
                o.address < e.inputAddress + e.pageSize &&
                e.vmid === o.vmid &&
                (e.asid === -1 || e.asid === o.asid),
            );
            const hit = tlb.lookup(o.asid, o.vmid, o.address, out);
            expect(hit).toBe(candidates.length > 0);
            if (hit)
              expect(candidates.map((e) => e.pa + (o.address - e.inputAddress))).toContain(out.pa);
          } else {
            const drop = (match: (e: TlbEntry) => boolean) => {
              for (const [key, e] of model) if (match(e)) model.delete(key);
            };
            if (o.kind === 'all') {
              tlb.invalidateAll();
              drop(() => true);
            } else if (o.kind === 'asid') {
              tlb.invalidateAsid(o.asid);
              drop((e) => e.asid === o.asid);
            } else if (o.kind === 'vmid') {
              tlb.invalidateVmid(o.vmid);
              drop((e) => e.vmid === o.vmid);
            } else if (o.kind === 'va') {
              tlb.invalidateVa(o.address, o.asid);
              drop(
                (e) =>
                  o.address >= e.inputAddress &&
                  o.address < e.inputAddress + e.pageSize &&
                  (o.asid === undefined || e.asid === -1 || e.asid === o.asid),
              );
            } else {
              tlb.invalidateRange(o.address, o.size);
              drop(
                (e) =>
                  e.inputAddress < o.address + o.size && e.inputAddress + e.pageSize > o.address,
              );
            }
          }
          tlb.checkInvariants();
          expect(new Set(tlb.entries().map(keyOf))).toEqual(new Set(model.keys()));
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });
});
