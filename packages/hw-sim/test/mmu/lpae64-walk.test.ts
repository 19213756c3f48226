import { describe, expect, it } from 'vitest';
import {
  ACCESS_PRIV,
  ACCESS_READ,
  ACCESS_WRITE,
  TranslationResult,
} from '../../src/mmu/translation';
import {
  indexAt,
  lpaeConfig,
  newMachine,
  newWalker,
  put64,
  s1Leaf,
  s2Leaf,
  tableDescriptor,
} from './tables';

const R = ACCESS_READ | ACCESS_PRIV;
const T = 0x4010_0000; // table area, 64 KiB aligned

/**
 * Known answers for VMSAv8-64 stage-1/2 walks (ARM ARM D8.2 "Translation process", D8.3
 * "Translation table descriptor formats"). Tables are hand built; each test names the rule.
 */
describe('lpae64 4K granule (ARM ARM D8.2.7: 9 bits per level, 48-bit input starts at level 0)', () => {
  it('translates a 4 KiB page through levels 0..3 with four descriptor reads', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const va = 0x0000_1234_5678_9abc;
    const pages = [T, T + 0x1000, T + 0x2000, T + 0x3000];
    for (let level = 0; level < 3; level++)
      put64(m, pages[level]! + indexAt(va, 12, level) * 8, tableDescriptor(pages[level + 1]!));
    put64(m, pages[3]! + indexAt(va, 12, 3) * 8, s1Leaf(0x4567_8000, 3n, 0n, 1n << 11n));
    const out = new TranslationResult();
    expect(walker.walk(lpaeConfig({ tableBase: T }), va, R, out)).toBe(true);
    expect(out.pa).toBe(0x4567_8abc);
    expect(out.pageSize).toBe(4096);
    expect(out.level).toBe(3);
    expect(out.walkReads).toBe(4);
    expect(out.memoryAttributes).toBe(1);
    expect(out.shareability).toBe(3);
    expect(out.nonGlobal).toBe(true);
    expect(out.readable && out.writable && out.executable).toBe(true);
    expect(out.descriptorLo).toBe(0x4567_8f07);
    expect(out.descriptorHi).toBe(0);
    expect(walker.counters).toMatchObject({ walks: 1, memoryReads: 4, faults: 0 });
  });

  it('translates a 2 MiB level-2 block and a 1 GiB level-1 block (blocks allowed at L1/L2 with 4K)', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = lpaeConfig({ tableBase: T, inputBits: 39, startLevel: 1 });
    put64(m, T + 1 * 8, tableDescriptor(T + 0x1000));
    put64(m, T + 0x1000 + 3 * 8, s1Leaf(0x8_8020_0000, 1n));
    put64(m, T + 2 * 8, s1Leaf(0x8_c000_0000, 1n));
    const out = new TranslationResult();
    expect(walker.walk(config, 0x4000_0000 + 3 * 0x20_0000 + 0x1_2345, R, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level, out.walkReads]).toEqual([
      0x8_8021_2345, 0x20_0000, 2, 2,
    ]);
    expect(walker.walk(config, 0x8000_0000 + 0x3fff_fff0, R, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level, out.walkReads]).toEqual([
      0x8_ffff_fff0, 0x4000_0000, 1, 1,
    ]);
  });

  it('a block descriptor at level 0 is a level-0 translation fault (no L0 blocks with 4K, ARM ARM D8.3.1)', () => {
    const m = newMachine();
    const walker = newWalker(m);
    put64(m, T, s1Leaf(0x0, 1n));
    const out = new TranslationResult();
    expect(walker.walk(lpaeConfig({ tableBase: T }), 0x1000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus, out.faultStage]).toEqual([
      'translation',
      0,
      0b000100,
      1,
    ]);
  });

  it('a level-3 descriptor with type 0b01 is reserved: level-3 translation fault (ARM ARM D8.3.2)', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = lpaeConfig({ tableBase: T, inputBits: 32, startLevel: 1 });
    put64(m, T, tableDescriptor(T + 0x1000));
    put64(m, T + 0x1000, tableDescriptor(T + 0x2000));
    put64(m, T + 0x2000 + 5 * 8, s1Leaf(0x4000_5000, 1n));
    const out = new TranslationResult();
    expect(walker.walk(config, 0x5000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus]).toEqual(['translation', 3, 0b000111]);
  });

  it('an invalid descriptor (bit 0 clear) faults at its level, whatever its other bits', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = lpaeConfig({ tableBase: T, inputBits: 32, startLevel: 1 });
    put64(m, T, tableDescriptor(T + 0x1000));
    put64(m, T + 0x1000, 0xffff_ffff_ffff_fffen);
    const out = new TranslationResult();
    expect(walker.walk(config, 0x1000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.walkReads]).toEqual(['translation', 2, 2]);
  });
});

describe('lpae64 16K and 64K granules (ARM ARM D8.2.7, Table D8-xx)', () => {
  it('16K, 47-bit input starts at level 1 and maps a 16 KiB page at level 3 and a 32 MiB block at level 2', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = lpaeConfig({ tableBase: T, granuleShift: 14, inputBits: 47, startLevel: 1 });
    const va = 0x5555_1234_5678;
    put64(m, T + indexAt(va, 14, 1) * 8, tableDescriptor(T + 0x4000));
    put64(m, T + 0x4000 + indexAt(va, 14, 2) * 8, tableDescriptor(T + 0x8000));
    put64(m, T + 0x8000 + indexAt(va, 14, 3) * 8, s1Leaf(0x4abc_c000, 3n));
    const out = new TranslationResult();
    expect(walker.walk(config, va, R, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level, out.walkReads]).toEqual([
      0x4abc_c000 + (va % 0x4000),
      0x4000,
      3,
      3,
    ]);
    const vb = 0x555 * 2 ** 36 + 7 * 0x200_0000 + 0x12_3456; // same L1 entry (0x555), L2 index 7 (va has 0x289)
    put64(m, T + 0x4000 + indexAt(vb, 14, 2) * 8, s1Leaf(0x4200_0000, 1n));
    expect(walker.walk(config, vb, R, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level]).toEqual([0x4212_3456, 0x200_0000, 2]);
  });

  it('16K: a block at level 1 is a translation fault (16K blocks only at L2 without 52-bit support)', () => {
    const m = newMachine();
    const walker = newWalker(m);
    put64(m, T, s1Leaf(0x0, 1n));
    const out = new TranslationResult();
    expect(
      walker.walk(
        lpaeConfig({ tableBase: T, granuleShift: 14, inputBits: 47, startLevel: 1 }),
        0x10,
        R,
        out,
      ),
    ).toBe(false);
    expect([out.fault, out.faultLevel]).toEqual(['translation', 1]);
  });

  it('64K, 42-bit input starts at level 2: 64 KiB pages and 512 MiB blocks; an L1 block needs 52-bit output', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = lpaeConfig({ tableBase: T, granuleShift: 16, inputBits: 42, startLevel: 2 });
    const va = 0x123_4567_89ab;
    put64(m, T + indexAt(va, 16, 2) * 8, tableDescriptor(T + 0x1_0000));
    put64(m, T + 0x1_0000 + indexAt(va, 16, 3) * 8, s1Leaf(0x4567_0000, 3n));
    const out = new TranslationResult();
    expect(walker.walk(config, va, R, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level]).toEqual([0x4567_89ab, 0x1_0000, 3]);
    put64(m, T + 8, s1Leaf(0x6000_0000, 1n));
    expect(walker.walk(config, 0x2000_0000 + 0x42, R, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level]).toEqual([0x6000_0042, 0x2000_0000, 2]);
    const wide = lpaeConfig({ tableBase: T, granuleShift: 16, inputBits: 48, startLevel: 1 });
    put64(m, T, s1Leaf(0, 1n));
    expect(walker.walk(wide, 0x10, R, out)).toBe(false);
    expect([out.fault, out.faultLevel]).toEqual(['translation', 1]);
  });

  it('64K with 52-bit output: PA[51:48] comes from descriptor bits [15:12] (FEAT_LPA), and L1 4 TiB blocks exist', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = lpaeConfig({
      tableBase: T,
      granuleShift: 16,
      inputBits: 52,
      outputBits: 52,
      startLevel: 1,
    });
    // Level-1 index bits [51:42]; a 4 TiB block at PA 0xA_4000_0000_0000 (PA[51:48] = 0xA).
    const block = (0x0_4000_0000_0000n & 0xffff_ffff_0000n) | (0xan << 12n);
    put64(m, T + 3 * 8, s1Leaf(0, 1n, 0n, block));
    const out = new TranslationResult();
    expect(walker.walk(config, 3 * 2 ** 42 + 0x1234_5678, R, out)).toBe(true);
    expect(out.pa).toBe(0xa_4000_0000_0000 + 0x1234_5678);
    expect([out.pageSize, out.level]).toEqual([2 ** 42, 1]);
  });
});

describe('lpae64 stage 2 (ARM ARM D8.2.8: SL0 start level, concatenated top-level tables)', () => {
  it('4K, 40-bit IPA starting at level 1 concatenates two tables: the L1 index is 10 bits wide', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = lpaeConfig({
      tableBase: T,
      stage: 2,
      inputBits: 40,
      outputBits: 40,
      startLevel: 1,
      concatenatedTables: 2,
    });
    const ipa = 0x80_4000_1234; // L1 index 0x201: in the second concatenated table
    put64(m, T + 0x201 * 8, s2Leaf(0x8_c000_0000, 1n));
    const out = new TranslationResult();
    expect(walker.walk(config, ipa, R, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level, out.memoryAttributes, out.nonGlobal]).toEqual([
      0x8_c000_1234,
      0x4000_0000,
      1,
      0xf,
      false,
    ]);
  });

  it('rejects a concatenation count that does not match the start level (EINVAL)', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = lpaeConfig({
      tableBase: T,
      stage: 2,
      inputBits: 40,
      outputBits: 40,
      startLevel: 1,
      concatenatedTables: 1,
    });
    expect(() => walker.walk(config, 0, R, new TranslationResult())).toThrow(/EINVAL/);
  });

  it('S2AP: read-only (0b01) faults a write with a stage-2 permission fault', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = lpaeConfig({
      tableBase: T,
      stage: 2,
      inputBits: 32,
      outputBits: 40,
      startLevel: 1,
    });
    put64(m, T, s2Leaf(0x4000_0000, 1n, 1n));
    const out = new TranslationResult();
    expect(walker.walk(config, 0x100, ACCESS_WRITE, out)).toBe(false);
    expect([
      out.fault,
      out.faultLevel,
      out.faultStage,
      out.faultStatus,
      out.readable,
      out.writable,
    ]).toEqual(['permission', 1, 2, 0b001101, true, false]);
  });
});
