import { describe, expect, it } from 'vitest';
import { MmuTranslator } from '../../src/mmu/mmu-translator';
import { Tlb } from '../../src/mmu/tlb';
import {
  ACCESS_PRIV,
  ACCESS_READ,
  ACCESS_WRITE,
  TranslationResult,
} from '../../src/mmu/translation';
import { lpaeConfig, newMachine, newWalker, put64, s1Leaf, tableDescriptor } from './tables';

const R = ACCESS_READ | ACCESS_PRIV;
const W = ACCESS_WRITE | ACCESS_PRIV;
const T = 0x4010_0000;

/** A 32-bit 4K stage-1 regime: L1 at T, L2 at T+0x1000, L3 at T+0x2000 mapping VA 0x1000.. */
function setup(seed = 1) {
  const m = newMachine(seed);
  const walker = newWalker(m);
  const tlb = new Tlb({ name: 'test-tlb', sets: 16, ways: 4 }, m.rng.fork('tlb'), m.trace);
  const config = lpaeConfig({ tableBase: T, inputBits: 32, startLevel: 1 });
  put64(m, T, tableDescriptor(T + 0x1000));
  put64(m, T + 0x1000, tableDescriptor(T + 0x2000));
  const nonGlobal = 1n << 11n;
  for (let page = 0; page < 16; page++)
    put64(m, T + 0x2000 + page * 8, s1Leaf(0x5000_0000 + page * 0x1000, 3n, 0n, nonGlobal));
  const translator = new MmuTranslator(walker, tlb, config, { asid: 5, vmid: 0 });
  return { m, walker, tlb, translator };
}

describe('MmuTranslator: TLB in front of the walker', () => {
  it('walks once, then hits; hits read no memory (counters: hits, misses, insertions, walks, walk reads)', () => {
    const { m, walker, tlb, translator } = setup();
    const out = new TranslationResult();
    const busReads = m.bus.counters.reads;
    expect(translator.translate(0x3123, R, out)).toBe(true);
    expect([out.pa, out.walkReads]).toEqual([0x5000_3123, 3]);
    expect(translator.translate(0x3ffc, R, out)).toBe(true);
    expect([out.pa, out.walkReads]).toEqual([0x5000_3ffc, 0]);
    expect(tlb.counters).toMatchObject({ hits: 1, misses: 1, insertions: 1, evictions: 0 });
    expect(walker.counters).toMatchObject({ walks: 1, memoryReads: 3 });
    expect(m.bus.counters.reads - busReads).toBe(6); // 3 descriptors x two 32-bit halves
    tlb.checkInvariants();
  });

  it('a TLB is not coherent with the tables: a stale entry is used after the descriptor is cleared, until TLBI by VA', () => {
    const { m, tlb, translator } = setup();
    const out = new TranslationResult();
    expect(translator.translate(0x5000, R, out)).toBe(true);
    put64(m, T + 0x2000 + 5 * 8, 0n); // software unmaps the page ...
    expect(translator.translate(0x5010, R, out)).toBe(true); // ... the hardware still uses its TLB entry
    expect(out.pa).toBe(0x5000_5010);
    tlb.invalidateVa(0x5000, 5);
    expect(translator.translate(0x5010, R, out)).toBe(false);
    expect([out.fault, out.faultLevel]).toEqual(['translation', 3]);
    tlb.checkInvariants();
  });

  it.each([
    ['invalidateAll', (tlb: Tlb) => tlb.invalidateAll()],
    ['invalidateAsid(5)', (tlb: Tlb) => tlb.invalidateAsid(5)],
    ['invalidateVmid(0)', (tlb: Tlb) => tlb.invalidateVmid(0)],
    ['invalidateVa without ASID', (tlb: Tlb) => tlb.invalidateVa(0x7abc)],
    ['invalidateRange covering the page', (tlb: Tlb) => tlb.invalidateRange(0x6000, 0x2000, 5)],
  ])('a stale entry is gone after %s', (_name, invalidate) => {
    const { m, tlb, translator } = setup();
    const out = new TranslationResult();
    expect(translator.translate(0x7000, R, out)).toBe(true);
    put64(m, T + 0x2000 + 7 * 8, s1Leaf(0x6000_0000, 3n, 0n, 1n << 11n)); // remapped without TLBI
    expect(translator.translate(0x7000, R, out)).toBe(true);
    expect(out.pa).toBe(0x5000_7000);
    invalidate(tlb);
    expect(translator.translate(0x7000, R, out)).toBe(true);
    expect(out.pa).toBe(0x6000_0000);
    expect(tlb.counters.invalidations).toBe(1);
    expect(tlb.counters.invalidatedEntries).toBe(1);
    tlb.checkInvariants();
  });

  it('invalidations that do not match leave the stale entry (other ASID, other VMID, other page)', () => {
    const { m, tlb, translator } = setup();
    const out = new TranslationResult();
    translator.translate(0x7000, R, out);
    put64(m, T + 0x2000 + 7 * 8, 0n);
    tlb.invalidateAsid(6);
    tlb.invalidateVmid(1);
    tlb.invalidateVa(0x7000, 6);
    tlb.invalidateRange(0x8000, 0x1000);
    expect(translator.translate(0x7000, R, out)).toBe(true);
    expect(tlb.counters.invalidatedEntries).toBe(0);
  });

  it('checks permissions on hits too: a write to a read-only page faults from the TLB, and the fault is not cached as a success', () => {
    const { m, tlb, translator } = setup();
    put64(m, T + 0x2000 + 9 * 8, s1Leaf(0x5000_9000, 3n, 2n)); // AP[2:1] = 0b10: read-only at EL1
    const out = new TranslationResult();
    expect(translator.translate(0x9000, R, out)).toBe(true);
    expect(translator.translate(0x9000, W, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus, out.walkReads]).toEqual([
      'permission',
      3,
      0b001111,
      0,
    ]);
    expect(tlb.counters.hits).toBe(1);
  });

  it('translatePa: the PA on a hit without a record; -1 and a fault record in `last` on a fault; counters count each lookup once', () => {
    const { m, tlb, translator } = setup();
    put64(m, T + 0x2000 + 9 * 8, s1Leaf(0x5000_9000, 3n, 2n, 1n << 11n)); // read-only
    expect(translator.translatePa(0x9123, R)).toBe(0x5000_9123); // miss: walk + insert
    expect(translator.translatePa(0x9456, R)).toBe(0x5000_9456); // hit
    expect(translator.translatePa(0x9000, W)).toBe(-1); // hit refused by the permissions
    expect([translator.last.fault, translator.last.faultLevel, translator.last.walkReads]).toEqual([
      'permission',
      3,
      0,
    ]);
    expect(translator.translatePa(0x40_0000, R)).toBe(-1); // unmapped: translation fault from the walk
    expect([translator.last.fault, translator.last.faultLevel]).toEqual(['translation', 2]);
    expect(tlb.counters).toMatchObject({ hits: 2, misses: 2, insertions: 1 });
  });
});
