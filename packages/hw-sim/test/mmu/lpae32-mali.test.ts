import { describe, expect, it } from 'vitest';
import {
  ACCESS_EXEC,
  ACCESS_PRIV,
  ACCESS_READ,
  ACCESS_WRITE,
  TranslationResult,
} from '../../src/mmu/translation';
import {
  lpaeConfig,
  newMachine,
  newWalker,
  put64,
  s1Leaf,
  s2Leaf,
  tableDescriptor,
} from './tables';

const R = ACCESS_READ | ACCESS_PRIV;
const T = 0x4010_0000;

describe('lpae32: VMSAv7 LPAE (ARM ARM B3.6, long-descriptor format): 32-bit input, 40-bit output, 4K', () => {
  it('a 32-bit input starts at level 1 with a 4-entry (32-byte) first-level table (TTBCR.T0SZ = 0, B3.6.6)', () => {
    const m = newMachine();
    const config = lpaeConfig({
      format: 'lpae32',
      tableBase: T + 0x20,
      inputBits: 32,
      outputBits: 40,
      startLevel: 1,
    });
    put64(m, T + 0x20 + 3 * 8, tableDescriptor(T + 0x1000));
    put64(m, T + 0x1000 + 0x1ff * 8, tableDescriptor(T + 0x2000));
    put64(m, T + 0x2000 + 0x1ff * 8, s1Leaf(0x8_c000_0000, 3n));
    const out = new TranslationResult();
    expect(newWalker(m).walk(config, 0xffff_f123, R, out)).toBe(true);
    expect([out.pa, out.level, out.walkReads]).toEqual([0x8_c000_0123, 3, 3]);
  });

  it('a 40-bit output address beyond RAM is decoded exactly (bits [39:12]); bit 40 is an address-size fault', () => {
    const m = newMachine();
    const config = lpaeConfig({
      format: 'lpae32',
      tableBase: T,
      inputBits: 32,
      outputBits: 40,
      startLevel: 1,
    });
    put64(m, T, s1Leaf(0xff_c000_0000, 1n));
    put64(m, T + 8, s1Leaf(0x100_0000_0000, 1n));
    const out = new TranslationResult();
    const walker = newWalker(m);
    expect(walker.walk(config, 0x3fff_ffff, R, out)).toBe(true);
    expect(out.pa).toBe(0xff_ffff_ffff);
    expect(walker.walk(config, 0x4000_0000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel]).toEqual(['address-size', 1]);
  });

  it('stage 2 with a 40-bit IPA concatenates two level-1 tables (B3.6.5); XN is bit 54 only (no XNX on v7)', () => {
    const m = newMachine();
    const config = lpaeConfig({
      format: 'lpae32',
      stage: 2,
      tableBase: T,
      inputBits: 40,
      outputBits: 40,
      startLevel: 1,
      concatenatedTables: 2,
    });
    put64(m, T + 0x3ff * 8, s2Leaf(0x4000_0000, 1n, 3n, 1n << 53n));
    const out = new TranslationResult();
    expect(newWalker(m).walk(config, 0xff_c000_0042, ACCESS_EXEC, out)).toBe(true);
    expect(out.pa).toBe(0x4000_0042);
  });

  it('an input beyond TTBCR.T0SZ is a level-1 translation fault (no level 0 in VMSAv7; FSR.STATUS 0b000101)', () => {
    const m = newMachine();
    const config = lpaeConfig({
      format: 'lpae32',
      tableBase: T,
      inputBits: 30,
      outputBits: 40,
      startLevel: 2,
    });
    const out = new TranslationResult();
    expect(newWalker(m).walk(config, 0x4000_0000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus, out.walkReads]).toEqual([
      'translation',
      1,
      0b0001_01,
      0,
    ]);
  });

  it('PL0 executes only what PL0 may read (ARM ARM B3.7.2; QEMU get_S1prot v7 path), unlike AArch64 where UXN alone decides', () => {
    const m = newMachine();
    // AP[2:1] = 0b00: PL1 read/write, no PL0 access; UXN/PXN clear.
    put64(m, T, s1Leaf(0x4000_0000, 1n, 0n));
    const out = new TranslationResult();
    const walker = newWalker(m);
    const v7 = lpaeConfig({
      format: 'lpae32',
      tableBase: T,
      inputBits: 32,
      outputBits: 40,
      startLevel: 1,
    });
    expect(walker.walk(v7, 0x10, ACCESS_EXEC, out)).toBe(false);
    expect([out.fault, out.faultStatus]).toEqual(['permission', 0b0011_01]);
    expect(walker.walk(v7, 0x10, ACCESS_EXEC | ACCESS_PRIV, out)).toBe(true);
    // VMSAv8-64: an EL0 fetch from an EL1-only page is allowed when UXN = 0 (D8.4.1).
    const v8 = lpaeConfig({ tableBase: T, inputBits: 32, outputBits: 40, startLevel: 1 });
    expect(walker.walk(v8, 0x10, ACCESS_EXEC, out)).toBe(true);
  });

  it('a v7 stage 2 grants execute only with HAP read (QEMU get_S2prot: aa64 EL2 || PAGE_READ); AArch64 stage 2 does not need it', () => {
    const m = newMachine();
    put64(m, T + 0x3ff * 8, s2Leaf(0x4000_0000, 1n, 2n)); // S2AP = write only, XN = 0
    const out = new TranslationResult();
    const walker = newWalker(m);
    const v7 = lpaeConfig({
      format: 'lpae32',
      stage: 2,
      tableBase: T,
      inputBits: 40,
      outputBits: 40,
      startLevel: 1,
      concatenatedTables: 2,
    });
    expect(walker.walk(v7, 0xff_c000_0000, ACCESS_EXEC | ACCESS_PRIV, out)).toBe(false);
    expect(out.fault).toBe('permission');
    expect(walker.walk(v7, 0xff_c000_0000, ACCESS_WRITE, out)).toBe(true);
    const v8 = lpaeConfig({
      stage: 2,
      tableBase: T,
      inputBits: 40,
      outputBits: 40,
      startLevel: 1,
      concatenatedTables: 2,
    });
    expect(walker.walk(v8, 0xff_c000_0000, ACCESS_EXEC | ACCESS_PRIV, out)).toBe(true);
  });

  it('rejects a 16K granule and a 48-bit input (EINVAL)', () => {
    const m = newMachine();
    const walker = newWalker(m);
    expect(() =>
      walker.walk(
        lpaeConfig({
          format: 'lpae32',
          tableBase: T,
          granuleShift: 14,
          inputBits: 32,
          outputBits: 40,
          startLevel: 2,
        }),
        0,
        R,
        new TranslationResult(),
      ),
    ).toThrow(/EINVAL/);
    expect(() =>
      walker.walk(
        lpaeConfig({ format: 'lpae32', tableBase: T, outputBits: 40 }),
        0,
        R,
        new TranslationResult(),
      ),
    ).toThrow(/EINVAL/);
  });
});

/**
 * Mali LPAE (Linux io-pgtable-arm.c ARM_MALI_LPAE; reference io-pgtable.md §2.1-2.3): every leaf
 * has type 0b01, tables 0b11, no access flag, HAP-style R/W in bits [7:6], four levels always.
 */
describe('mali', () => {
  const maliLeaf = (pa: number, rw: bigint) =>
    BigInt(pa) | (rw << 6n) | (2n << 8n) | (1n << 2n) | 1n; // SH_OS, AttrIndx 1, no AF

  function maliChain(leaf: bigint, leafLevel = 3) {
    const m = newMachine();
    for (let level = 0; level < leafLevel; level++)
      put64(m, T + level * 0x1000, tableDescriptor(T + (level + 1) * 0x1000));
    put64(m, T + leafLevel * 0x1000 + 8, leaf);
    return {
      walker: newWalker(m),
      config: lpaeConfig({
        format: 'mali',
        tableBase: T,
        inputBits: 48,
        outputBits: 40,
        startLevel: 0,
      }),
    };
  }

  it('a level-3 entry of type 0b01 is a valid 4 KiB page, with no AF and never an access-flag fault', () => {
    const { walker, config } = maliChain(maliLeaf(0x4567_8000, 3n));
    const out = new TranslationResult();
    expect(walker.walk(config, 0x1abc, ACCESS_READ | ACCESS_WRITE, out)).toBe(true);
    expect([
      out.pa,
      out.level,
      out.pageSize,
      out.memoryAttributes,
      out.shareability,
      out.nonGlobal,
    ]).toEqual([0x4567_8abc, 3, 4096, 1, 2, false]);
  });

  it('HAP bits: read-only (bit 6) faults a write, write-only (bit 7) faults a read, for either privilege', () => {
    const out = new TranslationResult();
    const ro = maliChain(maliLeaf(0x4000_0000, 1n));
    expect(ro.walker.walk(ro.config, 0x1000, ACCESS_WRITE, out)).toBe(false);
    expect(out.fault).toBe('permission');
    const wo = maliChain(maliLeaf(0x4000_0000, 2n));
    expect(wo.walker.walk(wo.config, 0x1000, ACCESS_READ | ACCESS_PRIV, out)).toBe(false);
    expect(wo.walker.walk(wo.config, 0x1000, ACCESS_WRITE, out)).toBe(true);
  });

  it('2 MiB blocks at level 2 (type 0b01); a level-3 entry of type 0b11 is a translation fault', () => {
    const block = maliChain(maliLeaf(0x4020_0000, 3n), 2);
    const out = new TranslationResult();
    expect(block.walker.walk(block.config, 0x20_0000 + 0x1234, ACCESS_READ, out)).toBe(true);
    expect([out.pa, out.level, out.pageSize]).toEqual([0x4020_1234, 2, 0x20_0000]);
    const bad = maliChain(maliLeaf(0x4000_0000, 3n) | 2n);
    expect(bad.walker.walk(bad.config, 0x1000, ACCESS_READ, out)).toBe(false);
    expect([out.fault, out.faultLevel]).toEqual(['translation', 3]);
  });

  it('walks four levels even for a 33-bit input (one-entry level-0 table, Linux arm_mali_lpae_alloc_pgtable)', () => {
    const m = newMachine();
    put64(m, T, tableDescriptor(T + 0x1000));
    put64(m, T + 0x1000 + 1 * 8, tableDescriptor(T + 0x2000));
    put64(m, T + 0x2000, tableDescriptor(T + 0x3000));
    put64(m, T + 0x3000, maliLeaf(0x4000_0000, 3n));
    const out = new TranslationResult();
    expect(
      newWalker(m).walk(
        lpaeConfig({ format: 'mali', tableBase: T, inputBits: 33, outputBits: 40, startLevel: 0 }),
        0x4000_0010,
        ACCESS_READ,
        out,
      ),
    ).toBe(true);
    expect([out.pa, out.walkReads]).toEqual([0x4000_0010, 4]);
  });
});
