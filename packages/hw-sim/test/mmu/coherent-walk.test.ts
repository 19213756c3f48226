import { describe, expect, it } from 'vitest';
import { ACCESS_PRIV, ACCESS_READ, TranslationResult } from '../../src/mmu/translation';
import { lpaeConfig, newMachine, newWalker, s1Leaf } from './tables';

const R = ACCESS_READ | ACCESS_PRIV;
const T = 0x4010_0000;

/** Writes a 64-bit descriptor through the CPU (into its write-back data cache). */
function cpuPut64(m: ReturnType<typeof newMachine>, pa: number, descriptor: bigint): void {
  m.cpu.write32(pa, Number(descriptor & 0xffff_ffffn));
  m.cpu.write32(pa + 4, Number(descriptor >> 32n));
}

describe('walk coherency (a coherent walker snoops the CPU cache; a non-coherent one reads RAM only)', () => {
  it('a descriptor the CPU wrote but did not clean is invisible to a non-coherent walk and visible to a coherent one', () => {
    const m = newMachine();
    const walker = newWalker(m);
    cpuPut64(m, T, s1Leaf(0x4000_0000, 1n));
    expect(m.cache.isDirty(T)).toBe(true);
    const out = new TranslationResult();
    const nonCoherent = lpaeConfig({
      tableBase: T,
      inputBits: 39,
      startLevel: 1,
      coherentWalk: false,
    });
    expect(walker.walk(nonCoherent, 0x42, R, out)).toBe(false);
    expect([out.fault, out.faultLevel]).toEqual(['translation', 1]);
    const coherent = lpaeConfig({ tableBase: T, inputBits: 39, startLevel: 1, coherentWalk: true });
    expect(walker.walk(coherent, 0x42, R, out)).toBe(true);
    expect(out.pa).toBe(0x4000_0042);
    expect(m.cache.counters.snoops).toBe(1);
  });

  it('after the CPU cleans the line (DC CVAC, what Linux does for a non-coherent walker) the non-coherent walk sees it', () => {
    const m = newMachine();
    const walker = newWalker(m);
    cpuPut64(m, T, s1Leaf(0x4000_0000, 1n));
    m.cache.clean(T, 8);
    const out = new TranslationResult();
    expect(
      walker.walk(lpaeConfig({ tableBase: T, inputBits: 39, startLevel: 1 }), 0x42, R, out),
    ).toBe(true);
  });

  it('every descriptor read is a bus read labelled with the walker initiator, and a walk event follows', () => {
    const m = newMachine();
    const walker = newWalker(m, 'smmu-ptw');
    m.bus.write32(T, Number(s1Leaf(0x4000_0000, 1n) & 0xffff_ffffn));
    const out = new TranslationResult();
    const events = m.trace.record(() =>
      walker.walk(lpaeConfig({ tableBase: T, inputBits: 39, startLevel: 1 }), 0x42, R, out),
    );
    expect(events.map((event) => event.kind)).toEqual(['bus', 'bus', 'walk']);
    expect(events[0]).toMatchObject({
      kind: 'bus',
      op: 'read',
      pa: T,
      size: 4,
      initiator: 'smmu-ptw',
    });
    expect(events[1]).toMatchObject({
      kind: 'bus',
      op: 'read',
      pa: T + 4,
      size: 4,
      initiator: 'smmu-ptw',
    });
    expect(events[2]).toMatchObject({
      kind: 'walk',
      initiator: 'smmu-ptw',
      inputAddress: 0x42,
      pa: 0x4000_0042,
      level: 1,
      reads: 1,
      fault: null,
    });
  });
});
