/**
 * Hand-built page tables for the MMU tests: descriptors are written straight into RAM through
 * the bus (never through the CPU cache, unless a test says so), so every walk reads them.
 */
import { createMachine, type Machine } from '../../src/index';
import { PageTableWalker } from '../../src/mmu/page-table-walker';
import type { WalkConfig } from '../../src/mmu/translation';

export const TWO_POW_32 = 0x1_0000_0000;

/** A machine with the default RAM (1 GiB at 0x4000_0000 and 1 GiB at 0x8_8000_0000). */
export function newMachine(seed = 1): Machine {
  return createMachine({ seed, pageAllocator: false });
}

export function newWalker(machine: Machine, initiator = 'test-walker'): PageTableWalker {
  return new PageTableWalker(machine.bus, machine.cache, initiator, machine.trace);
}

/** Writes a 64-bit descriptor given as a bigint at `pa`. */
export function put64(machine: Machine, pa: number, descriptor: bigint): void {
  const value = BigInt.asUintN(64, descriptor);
  machine.bus.write32(pa, Number(value & 0xffff_ffffn), 'test');
  machine.bus.write32(pa + 4, Number(value >> 32n), 'test');
}

export function put32(machine: Machine, pa: number, descriptor: number): void {
  machine.bus.write32(pa, descriptor >>> 0, 'test');
}

/** LPAE table descriptor (type 0b11) pointing at `next`. */
export function tableDescriptor(next: number): bigint {
  return BigInt(next) | 3n;
}

/** LPAE stage-1 leaf: AF, SH inner, AttrIndx 1, AP[2:1] = `ap`, type `type`, plus `extra`. */
export function s1Leaf(pa: number, type: 1n | 3n, ap = 0n, extra = 0n): bigint {
  return BigInt(pa) | (1n << 10n) | (3n << 8n) | (ap << 6n) | (1n << 2n) | type | extra;
}

/** LPAE stage-2 leaf: AF, S2AP = `s2ap`, MemAttr 0xf, type `type`, plus `extra`. */
export function s2Leaf(pa: number, type: 1n | 3n, s2ap = 3n, extra = 0n): bigint {
  return BigInt(pa) | (1n << 10n) | (3n << 8n) | (s2ap << 6n) | (0xfn << 2n) | type | extra;
}

/** Index of `ia` at a level for a granule. */
export function indexAt(
  ia: number,
  granuleShift: number,
  level: number,
  bits = granuleShift - 3,
): number {
  const shift = granuleShift + (3 - level) * (granuleShift - 3);
  return Math.floor(ia / 2 ** shift) % 2 ** bits;
}

export function lpaeConfig(
  overrides: Partial<WalkConfig> & Pick<WalkConfig, 'tableBase'>,
): WalkConfig {
  return {
    format: 'lpae64',
    stage: 1,
    granuleShift: 12,
    inputBits: 48,
    outputBits: 48,
    startLevel: 0,
    concatenatedTables: 1,
    coherentWalk: false,
    mtkExtension: false,
    ...overrides,
  };
}
