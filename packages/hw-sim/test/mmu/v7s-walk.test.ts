import { describe, expect, it } from 'vitest';
import {
  ACCESS_EXEC,
  ACCESS_PRIV,
  ACCESS_READ,
  ACCESS_WRITE,
  TranslationResult,
  type WalkConfig,
} from '../../src/mmu/translation';
import { newMachine, newWalker, put32 } from './tables';

const T = 0x4010_0000; // 16 KiB aligned first-level table
const L2 = 0x4020_0400; // 1 KiB aligned second-level table
const R = ACCESS_READ | ACCESS_PRIV;
const U = ACCESS_READ;

function v7sConfig(overrides: Partial<WalkConfig> = {}): WalkConfig {
  return {
    format: 'v7s',
    stage: 1,
    granuleShift: 12,
    inputBits: 32,
    outputBits: 32,
    startLevel: 1,
    concatenatedTables: 1,
    tableBase: T,
    coherentWalk: false,
    mtkExtension: false,
    ...overrides,
  };
}

// Descriptors as Linux arm_v7s_prot_to_pte builds them for IOMMU_READ|IOMMU_WRITE|IOMMU_CACHE
// (nG, S, TEX=1, AF, AP1 (unprivileged), C, B; reference io-pgtable.md §4), level 1 shifted by 10, level 2 by 4.
const SECTION_RW = (1 << 17) | (1 << 16) | (1 << 12) | (1 << 11) | (1 << 10) | 0xc | 0b10;
const SMALL_RW = (1 << 11) | (1 << 10) | (1 << 6) | (1 << 5) | (1 << 4) | 0xc | 0b10;
const LARGE_RW = (1 << 11) | (1 << 10) | (1 << 12) | (1 << 5) | (1 << 4) | 0xc | 0b01; // TEX moved to [14:12]

describe('v7s short descriptors (ARM ARM B3.5.1, Linux io-pgtable-arm-v7s)', () => {
  it('a 1 MiB section: one read, TEX/C/B packed as TEX<<2|C<<1|B (TEX remap index 7), S, nG, AP', () => {
    const m = newMachine();
    put32(m, T + 0x123 * 4, 0x4560_0000 | SECTION_RW);
    const out = new TranslationResult();
    expect(newWalker(m).walk(v7sConfig(), 0x1234_5678, U | ACCESS_WRITE, out)).toBe(true);
    expect(out).toMatchObject({
      pa: 0x4564_5678,
      pageSize: 0x10_0000,
      level: 1,
      walkReads: 1,
      memoryAttributes: 7,
      shareability: 1,
      nonGlobal: true,
      nonSecure: false,
      descriptorLo: 0x4560_0000 | SECTION_RW,
      descriptorHi: 0,
    });
  });

  it('a 16 MiB supersection (bit 18) repeated 16 times, with extended PA[39:32] from bits [23:20] and [8:5]', () => {
    const m = newMachine();
    const descriptor = 0x8000_0000 | (0x8 << 20) | (1 << 18) | SECTION_RW;
    for (let i = 0; i < 16; i++) put32(m, T + (0x300 + i) * 4, descriptor);
    const out = new TranslationResult();
    expect(newWalker(m).walk(v7sConfig({ outputBits: 40 }), 0x30ab_cdef, R, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level]).toEqual([0x8_80ab_cdef, 0x100_0000, 1]);
    put32(m, T + 0x310 * 4, 0x8000_0000 | (1 << 18) | (0x3 << 5) | SECTION_RW);
    expect(newWalker(m).walk(v7sConfig({ outputBits: 40 }), 0x3100_0000, R, out)).toBe(true);
    expect(out.pa).toBe(0x30_8000_0000);
  });

  it('a 4 KiB small page (type 0b1x, XN bit 0) and a 64 KiB large page (type 0b01, XN bit 15, TEX [14:12]) behind a page table', () => {
    const m = newMachine();
    put32(m, T + 0x010 * 4, L2 | 0b01);
    put32(m, L2 + 0x45 * 4, 0x4abc_d000 | SMALL_RW);
    for (let i = 0; i < 16; i++) put32(m, L2 + (0x80 + i) * 4, 0x4560_0000 | LARGE_RW | (1 << 15));
    const walker = newWalker(m);
    const out = new TranslationResult();
    expect(walker.walk(v7sConfig(), 0x0104_5123, U, out)).toBe(true);
    expect(out).toMatchObject({
      pa: 0x4abc_d123,
      pageSize: 0x1000,
      level: 2,
      walkReads: 2,
      memoryAttributes: 7,
      executable: true,
    });
    expect(walker.walk(v7sConfig(), 0x0108_f00d, R, out)).toBe(true);
    expect(out).toMatchObject({ pa: 0x4560_f00d, pageSize: 0x1_0000, level: 2, executable: false });
    expect(walker.walk(v7sConfig(), 0x0108_f00d, R | ACCESS_EXEC, out)).toBe(false);
    expect([out.fault, out.faultStatus]).toEqual(['permission', 0b01111]);
  });

  it('fault records: translation (FS 0b00101 section, 0b00111 page), access flag (0b00011, 0b00110), permission (0b01101), external abort on walk (0b01110)', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const out = new TranslationResult();
    expect(walker.walk(v7sConfig(), 0x0000_0000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus]).toEqual(['translation', 1, 0b00101]);
    put32(m, T + 4, L2 | 1);
    expect(walker.walk(v7sConfig(), 0x0010_0000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus]).toEqual(['translation', 2, 0b00111]);
    put32(m, T + 8, (0x4560_0000 | SECTION_RW) & ~(1 << 10));
    expect(walker.walk(v7sConfig(), 0x0020_0000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus]).toEqual(['access-flag', 1, 0b00011]);
    put32(m, L2 + 4, (0x4560_0000 | SMALL_RW) & ~(1 << 4));
    expect(walker.walk(v7sConfig(), 0x0010_1000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus]).toEqual(['access-flag', 2, 0b00110]);
    put32(m, T + 12, 0x4560_0000 | SECTION_RW | (1 << 15)); // AP2: read-only
    expect(walker.walk(v7sConfig(), 0x0030_0000, R | ACCESS_WRITE, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus]).toEqual(['permission', 1, 0b01101]);
    put32(m, T + 16, 0x2000_0000 | 1); // page table in a hole
    expect(walker.walk(v7sConfig(), 0x0040_0000, R, out)).toBe(false);
    expect([out.fault, out.faultLevel, out.faultStatus, out.faultDescriptorAddress]).toEqual([
      'external-abort',
      2,
      0b01110,
      0x2000_0000,
    ]);
  });

  it('simplified AP model (SCTLR.AFE = 1, B3.7.1): AP1 clear denies PL0; AP2 makes both read-only; XN bit 4 at level 1; type 0b11 is PXN', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const out = new TranslationResult();
    put32(m, T, (0x4000_0000 | SECTION_RW) & ~(1 << 11));
    expect(walker.walk(v7sConfig(), 0x10, U, out)).toBe(false);
    expect(walker.walk(v7sConfig(), 0x10, R | ACCESS_WRITE | ACCESS_EXEC, out)).toBe(true);
    put32(m, T + 4, 0x4010_0000 | SECTION_RW | 0x10);
    expect(walker.walk(v7sConfig(), 0x10_0010, R | ACCESS_EXEC, out)).toBe(false);
    put32(m, T + 8, 0x4020_0000 | SECTION_RW | 0b11);
    expect(walker.walk(v7sConfig(), 0x20_0010, R | ACCESS_EXEC, out)).toBe(false);
    expect(walker.walk(v7sConfig(), 0x20_0010, U | ACCESS_EXEC, out)).toBe(true);
  });

  it('full AP[2:0] model (SCTLR.AFE = 0, Table B3-8): AP0 is a permission bit, no access-flag faults', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = v7sConfig({ accessFlagEnable: false });
    const out = new TranslationResult();
    const ap = (value: number) => ((value & 3) << 10) | ((value >> 2) << 15);
    const section = (index: number, value: number) =>
      put32(
        m,
        T + index * 4,
        (0x4000_0000 + index * 0x10_0000) | (1 << 12) | 0xc | 0b10 | ap(value),
      );
    const allowed = (index: number, access: number) =>
      walker.walk(config, index * 0x10_0000, access, out);
    section(0, 0b000);
    expect(allowed(0, R)).toBe(false);
    section(1, 0b001);
    expect([allowed(1, R | ACCESS_WRITE), allowed(1, U)]).toEqual([true, false]);
    section(2, 0b010);
    expect([allowed(2, R | ACCESS_WRITE), allowed(2, U), allowed(2, U | ACCESS_WRITE)]).toEqual([
      true,
      true,
      false,
    ]);
    section(3, 0b011);
    expect(allowed(3, U | ACCESS_WRITE)).toBe(true);
    section(5, 0b101);
    expect([allowed(5, R), allowed(5, R | ACCESS_WRITE), allowed(5, U)]).toEqual([
      true,
      false,
      false,
    ]);
    section(7, 0b111);
    expect([allowed(7, U), allowed(7, U | ACCESS_WRITE)]).toEqual([true, false]);
  });

  it('MediaTek 4 GB mode: PA bit 32 from bit 9, bit 33 from bit 4, bit 34 from bit 5; no permission checks (NO_PERMS)', () => {
    const m = newMachine();
    const walker = newWalker(m);
    const config = v7sConfig({ mtkExtension: true, outputBits: 35 });
    const out = new TranslationResult();
    put32(m, T, 0x4000_0000 | (1 << 9) | 0b10);
    expect(walker.walk(config, 0x42, ACCESS_WRITE, out)).toBe(true);
    expect(out.pa).toBe(0x1_4000_0042);
    put32(m, T + 4, L2 | 1);
    put32(m, L2 + 4 * 3, 0x1234_5000 | (1 << 4) | (1 << 5) | 0b10);
    expect(walker.walk(config, 0x0010_3abc, ACCESS_WRITE, out)).toBe(true);
    expect(out.pa).toBe(0x6_1234_5abc);
    put32(m, T + 0x20 * 4, 0x4000_0000 | (1 << 9) | (1 << 4) | (1 << 5) | (1 << 18) | 0b10);
    expect(walker.walk(config, 0x0200_0001, ACCESS_READ, out)).toBe(true);
    expect(out.pa).toBe(0x7_4000_0001);
  });

  // QEMU get_phys_addr_v6 decodes PA[35:32] from bits [23:20] and PA[39:36] from bits [8:5]
  // (40-bit supersections, required with LPAE). Without the optional extension (Cortex-A8
  // TRM §6.3) those bits are SBZ; the model ignores PA bits at or above outputBits. There is
  // no address-size fault in the short-descriptor format (ARM ARM B3.13.3, Table B3-23).
  it('supersection PA[39:32] bits above a 32-bit output are ignored, never an address-size fault', () => {
    const m = newMachine();
    put32(m, T, 0x4000_0000 | (0xf << 20) | (0xf << 5) | (1 << 18) | SECTION_RW);
    const out = new TranslationResult();
    expect(newWalker(m).walk(v7sConfig(), 0x10, R, out)).toBe(true);
    expect([out.pa, out.fault]).toEqual([0x4000_0010, null]);
  });

  it('supersection PA[39:32]: a 36-bit output keeps PA[35:32] (bits [23:20]) and drops PA[39:36] (bits [8:5])', () => {
    const m = newMachine();
    put32(m, T, 0x4000_0000 | (0x9 << 20) | (0x5 << 5) | (1 << 18) | SECTION_RW);
    const out = new TranslationResult();
    expect(newWalker(m).walk(v7sConfig({ outputBits: 36 }), 0x10, R, out)).toBe(true);
    expect(out.pa).toBe(0x9_4000_0010);
    expect(newWalker(m).walk(v7sConfig({ outputBits: 40 }), 0x10, R, out)).toBe(true);
    expect(out.pa).toBe(0x59_4000_0010);
  });

  it('sections ignore bits [23:20] and [8:5] (they are PA bits only in a supersection)', () => {
    const m = newMachine();
    // Bits [8:5] are the domain in a section; bit 20 is the base address LSB.
    put32(m, T, 0x4000_0000 | (0xf << 5) | SECTION_RW);
    const out = new TranslationResult();
    expect(newWalker(m).walk(v7sConfig({ outputBits: 40 }), 0x10, R, out)).toBe(true);
    expect(out.pa).toBe(0x4000_0010);
  });

  // Linux arm_v7s_alloc_pgtable: with IO_PGTABLE_QUIRK_ARM_MTK_EXT, ias <= 34 and oas <= 35.
  it('MediaTek 4 GB mode: an output size above 35 bits is EINVAL; 35 is accepted', () => {
    const walker = newWalker(newMachine());
    const out = new TranslationResult();
    for (const outputBits of [36, 40]) {
      expect(() => walker.walk(v7sConfig({ mtkExtension: true, outputBits }), 0, R, out)).toThrow(
        /EINVAL.*output size.*32\.\.35/,
      );
    }
    expect(() =>
      walker.walk(v7sConfig({ mtkExtension: true, outputBits: 35 }), 0, R, out),
    ).not.toThrow();
    expect(() => walker.walk(v7sConfig({ outputBits: 41 }), 0, R, out)).toThrow(/EINVAL.*32\.\.40/);
  });

  it('MediaTek 4 GB mode with a 33-bit output: PA bit 32 (bit 9) is decoded, bits 33/34 (bits 4/5) are not implemented', () => {
    const m = newMachine();
    put32(m, T, 0x4000_0000 | (1 << 9) | (1 << 5) | (1 << 4) | 0b10);
    const out = new TranslationResult();
    const walker = newWalker(m);
    expect(walker.walk(v7sConfig({ mtkExtension: true, outputBits: 33 }), 0x42, R, out)).toBe(true);
    expect(out.pa).toBe(0x1_4000_0042);
    expect(walker.walk(v7sConfig({ mtkExtension: true, outputBits: 32 }), 0x42, R, out)).toBe(true);
    expect(out.pa).toBe(0x4000_0042);
  });

  it('rejects stage 2, a misaligned table and a 33-bit input without the MediaTek extension (EINVAL)', () => {
    const walker = newWalker(newMachine());
    const out = new TranslationResult();
    expect(() => walker.walk(v7sConfig({ stage: 2 }), 0, R, out)).toThrow(/EINVAL/);
    expect(() => walker.walk(v7sConfig({ tableBase: T + 0x400 }), 0, R, out)).toThrow(
      /EINVAL.*aligned/,
    );
    expect(() => walker.walk(v7sConfig({ inputBits: 33 }), 0, R, out)).toThrow(/EINVAL/);
  });
});
