import { describe, expect, it } from 'vitest';
import {
  ACCESS_EXEC,
  ACCESS_PRIV,
  ACCESS_READ,
  ACCESS_WRITE,
  TranslationResult,
} from '../../src/mmu/translation';
import { lpaeConfig, newMachine, newWalker, put64, s1Leaf, tableDescriptor } from './tables';

const R = ACCESS_READ | ACCESS_PRIV;
const T = 0x4010_0000;

/**
 * Fault records for every fault kind and level (ARM ARM D8.5 "Faults" and the ESR DFSC
 * encodings of D17.2.40: 0b0000LL address size, 0b0001LL translation, 0b0010LL access flag,
 * 0b0011LL permission, 0b0101LL synchronous external abort on a walk).
 */
describe('lpae64 fault records', () => {
  /** A 48-bit 4K chain where level `leafLevel` holds `leaf`. */
  function chain(leafLevel: number, leaf: bigint) {
    const m = newMachine();
    for (let level = 0; level < leafLevel; level++)
      put64(m, T + level * 0x1000, tableDescriptor(T + (level + 1) * 0x1000));
    put64(m, T + leafLevel * 0x1000, leaf);
    return { m, walker: newWalker(m), config: lpaeConfig({ tableBase: T }) };
  }

  it.each([0, 1, 2, 3])(
    'translation fault at level %i (invalid descriptor): FSC 0b0001LL',
    (level) => {
      const { walker, config } = chain(level, 0n);
      const out = new TranslationResult();
      expect(walker.walk(config, 0x10, ACCESS_WRITE, out)).toBe(false);
      expect(out).toMatchObject({
        fault: 'translation',
        faultLevel: level,
        faultStage: 1,
        faultStatus: 0b000100 | level,
        faultAccess: ACCESS_WRITE,
        walkReads: level + 1,
        inputAddress: 0x10,
      });
    },
  );

  it.each([1, 2, 3])(
    'access-flag fault at level %i (AF clear, ARM ARM D8.5.2): FSC 0b0010LL, before the permission check',
    (level) => {
      const leaf = s1Leaf(0x5000_0000, level === 3 ? 3n : 1n, 2n) & ~(1n << 10n);
      const { walker, config } = chain(level, leaf);
      const out = new TranslationResult();
      expect(walker.walk(config, 0x10, ACCESS_WRITE | ACCESS_PRIV, out)).toBe(false); // also a permission fault: AF wins
      expect(out).toMatchObject({
        fault: 'access-flag',
        faultLevel: level,
        faultStatus: 0b001000 | level,
      });
    },
  );

  it.each([1, 2, 3])('permission fault at level %i: FSC 0b0011LL', (level) => {
    const { walker, config } = chain(level, s1Leaf(0x4000_0000, level === 3 ? 3n : 1n, 2n));
    const out = new TranslationResult();
    expect(walker.walk(config, 0x10, ACCESS_WRITE | ACCESS_PRIV, out)).toBe(false);
    expect(out).toMatchObject({
      fault: 'permission',
      faultLevel: level,
      faultStatus: 0b001100 | level,
      readable: true,
      writable: false,
    });
  });

  it.each([0, 1, 2])(
    'address-size fault at level %i: a next-table address above the 40-bit output size',
    (level) => {
      const m = newMachine();
      for (let l = 0; l < level; l++)
        put64(m, T + l * 0x1000, tableDescriptor(T + (l + 1) * 0x1000));
      put64(m, T + level * 0x1000, tableDescriptor(0x100_0000_0000)); // bit 40
      const out = new TranslationResult();
      expect(newWalker(m).walk(lpaeConfig({ tableBase: T, outputBits: 40 }), 0x10, R, out)).toBe(
        false,
      );
      expect(out).toMatchObject({ fault: 'address-size', faultLevel: level, faultStatus: level });
    },
  );

  it.each([1, 2, 3])(
    'address-size fault at level %i: a leaf output address above the output size',
    (level) => {
      const { walker } = chain(level, s1Leaf(0x80_0000_0000 * 2, level === 3 ? 3n : 1n));
      const out = new TranslationResult();
      expect(walker.walk(lpaeConfig({ tableBase: T, outputBits: 40 }), 0x10, R, out)).toBe(false);
      expect(out).toMatchObject({ fault: 'address-size', faultLevel: level, faultStatus: level });
    },
  );

  it('a TTBR base above the output size is a level-0 address-size fault before any read', () => {
    const m = newMachine();
    const out = new TranslationResult();
    expect(
      newWalker(m).walk(
        lpaeConfig({ tableBase: 0x1_0000_0000_0000 - 0x1000, outputBits: 44 }),
        0,
        R,
        out,
      ),
    ).toBe(false);
    expect(out).toMatchObject({ fault: 'address-size', faultLevel: 0, walkReads: 0 });
  });

  it('an input address above the T0SZ range is a level-0 translation fault (ARM ARM D8.2.5), no reads', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const out = new TranslationResult();
    expect(
      walker.walk(lpaeConfig({ tableBase: T, inputBits: 39, startLevel: 1 }), 2 ** 39, R, out),
    ).toBe(false);
    expect(out).toMatchObject({
      fault: 'translation',
      faultLevel: 0,
      faultStatus: 0b000100,
      walkReads: 0,
    });
    expect(walker.counters).toMatchObject({ walks: 1, memoryReads: 0, faults: 1 });
  });

  it.each([1, 2, 3])(
    'external abort on the walk at level %i: the descriptor read hits no RAM (BusError), FSC 0b0101LL',
    (level) => {
      const m = newMachine();
      const hole = 0x2000_0000; // below the first RAM bank: no RAM, no MMIO
      for (let l = 0; l < level; l++)
        put64(m, T + l * 0x1000, tableDescriptor(l === level - 1 ? hole : T + (l + 1) * 0x1000));
      const out = new TranslationResult();
      expect(newWalker(m).walk(lpaeConfig({ tableBase: T }), 0x10, R, out)).toBe(false);
      expect(out).toMatchObject({
        fault: 'external-abort',
        faultLevel: level,
        faultStatus: 0b010100 | level,
        faultDescriptorAddress: hole,
      });
    },
  );

  it('a bad config throws EINVAL and a fault never throws', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const out = new TranslationResult();
    expect(() => walker.walk(lpaeConfig({ tableBase: T + 8 }), 0, R, out)).toThrow(
      /EINVAL.*not aligned/,
    );
    expect(() => walker.walk(lpaeConfig({ tableBase: T, startLevel: 1 }), 0, R, out)).toThrow(
      /EINVAL.*start level/,
    );
    expect(() => walker.walk(lpaeConfig({ tableBase: T, outputBits: 52 }), 0, R, out)).toThrow(
      /EINVAL.*output size/,
    );
    expect(() => walker.walk(lpaeConfig({ tableBase: T, format: 'v7s' }), 0, R, out)).toThrow(
      /EINVAL/,
    );
    expect(walker.walk(lpaeConfig({ tableBase: T }), 0, ACCESS_EXEC, out)).toBe(false);
  });
});
