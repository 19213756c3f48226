import { describe, expect, it } from 'vitest';
import { ACCESS_PRIV, ACCESS_READ, TranslationResult } from '../../src/mmu/translation';
import { lpaeConfig, newMachine, newWalker, put64, s1Leaf, tableDescriptor } from './tables';

const R = ACCESS_READ | ACCESS_PRIV;
const T = 0x4010_0000; // 64 KiB aligned: every granule's tables fit from here

/**
 * Output-address checks of a VMSAv8-64 walk, as QEMU get_phys_addr_lpae does them (target/arm/
 * ptw.c): the output-address field of a table or leaf descriptor is bits [47:granule]
 * (`descaddrmask` = bits [47:0] without the index bits of a granule); with a 64K granule and a
 * 52-bit output (FEAT_LPA, PS = 0b110) bits [15:12] add PA[51:48] and no check is made;
 * otherwise any field bit at or above the output size is an address-size fault at the level of
 * the descriptor holding it (`descaddr >> outputsize` right after the read, before the
 * table/leaf split), for tables and leaves alike. Descriptor bits [51:48] are not part of the
 * field with a 48-bit-or-less output — RES0 in a table; DBM (51), GP (50) and RES0 in a
 * leaf (ARM ARM D8.3.1) — so they never fault.
 */
describe('lpae64 output size and address-size faults (QEMU get_phys_addr_lpae)', () => {
  const granules = [
    { granuleShift: 12, inputBits: 48, startLevel: 0, tableBytes: 0x1000 },
    { granuleShift: 14, inputBits: 47, startLevel: 1, tableBytes: 0x4000 },
    { granuleShift: 16, inputBits: 48, startLevel: 1, tableBytes: 0x1_0000 },
  ] as const;

  /** A chain of tables at T, T + tableBytes, ... (VA 0 uses index 0 everywhere) ending at `leafLevel`. */
  function chain(
    g: (typeof granules)[number],
    leafLevel: number,
    leaf: bigint,
    outputBits: number,
  ) {
    const m = newMachine();
    for (let level = g.startLevel; level < leafLevel; level++) {
      const at = T + (level - g.startLevel) * g.tableBytes;
      put64(m, at, tableDescriptor(at + g.tableBytes));
    }
    put64(m, T + (leafLevel - g.startLevel) * g.tableBytes, leaf);
    const config = lpaeConfig({ tableBase: T, ...g, outputBits });
    return { m, walker: newWalker(m), config };
  }

  for (const g of granules) {
    const levels = [g.startLevel, g.startLevel + 1, 2].filter((l, i, a) => a.indexOf(l) === i);
    it.each(levels)(
      `granule ${1 << g.granuleShift}: a table at level %i with bit 47 set and a 40-bit output is an address-size fault at that level`,
      (level) => {
        const { m, walker, config } = chain(g, level, 0n, 40);
        put64(m, T + (level - g.startLevel) * g.tableBytes, tableDescriptor(0x8000_0000_0000));
        const out = new TranslationResult();
        expect(walker.walk(config, 0x10, R, out)).toBe(false);
        expect(out).toMatchObject({
          fault: 'address-size',
          faultLevel: level,
          faultStatus: level, // FSC 0b0000LL
          walkReads: level - g.startLevel + 1,
        });
      },
    );

    it(`granule ${1 << g.granuleShift}: a level-3 page with OA bit 40 and a 40-bit output is an address-size fault at level 3`, () => {
      const { walker, config } = chain(g, 3, s1Leaf(0x100_4000_0000, 3n), 40);
      const out = new TranslationResult();
      expect(walker.walk(config, 0x10, R, out)).toBe(false);
      expect(out).toMatchObject({ fault: 'address-size', faultLevel: 3, faultStatus: 3 });
    });

    it(`granule ${1 << g.granuleShift}: descriptor bits [51:48] are outside the OA field: a table with them set walks on`, () => {
      const { m, walker, config } = chain(g, 3, s1Leaf(0x4400_0000, 3n), 48);
      const at = T + (2 - g.startLevel) * g.tableBytes;
      put64(m, at, tableDescriptor(at + g.tableBytes) | (0xfn << 48n));
      const out = new TranslationResult();
      expect(walker.walk(config, 0x10, R, out)).toBe(true);
      expect([out.pa, out.level]).toEqual([0x4400_0010, 3]);
    });

    it(`granule ${1 << g.granuleShift}: a leaf with DBM (51), GP (50) and bits 49:48 set keeps its 48-bit PA`, () => {
      const { walker, config } = chain(g, 3, s1Leaf(0x4400_0000, 3n, 0n, 0xfn << 48n), 44);
      const out = new TranslationResult();
      expect(walker.walk(config, 0x10, R, out)).toBe(true);
      expect([out.pa, out.descriptorHi >>> 16]).toEqual([0x4400_0010, 0xf]);
    });
  }

  it('64K granule, 48-bit output: bits [15:12] are not PA[51:48] and are ignored', () => {
    const g = granules[2];
    const { walker, config } = chain(g, 3, s1Leaf(0x4400_0000, 3n, 0n, 0xfn << 12n), 48);
    const out = new TranslationResult();
    expect(walker.walk(config, 0x10, R, out)).toBe(true);
    expect(out.pa).toBe(0x4400_0010);
  });

  it('64K granule, 52-bit output: bits [15:12] are PA[51:48] of a page, with no address-size check', () => {
    const g = granules[2];
    const { walker, config } = chain(g, 3, s1Leaf(0x4400_0000, 3n, 0n, 0xfn << 12n), 52);
    const out = new TranslationResult();
    expect(walker.walk(config, 0x10, R, out)).toBe(true);
    expect(out.pa).toBe(0xf_0000_4400_0010);
  });

  it('64K granule, 52-bit output: a next-table address with PA[51:48] set is read there (external abort at the next level)', () => {
    const g = granules[2];
    const { m, walker, config } = chain(g, 3, 0n, 52);
    put64(m, T + g.tableBytes, tableDescriptor(0x1_0000) | (0x1n << 12n)); // level 2 -> 2^48 + 64K
    const out = new TranslationResult();
    expect(walker.walk(config, 0x10, R, out)).toBe(false);
    expect(out).toMatchObject({
      fault: 'external-abort',
      faultLevel: 3,
      faultDescriptorAddress: 0x1_0000_0001_0000,
    });
  });
});
