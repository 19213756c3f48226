import { createMachine, type Machine, type MachineConfig } from '@socmem/hw-sim';
import { allocIoPgtableOps } from '../../src/alloc';
import type { IoPgtableCfg, IoPgtableFmt, IoPgtableOps } from '../../src/io-pgtable';

export const SZ_4K = 0x1000;
export const SZ_16K = 0x4000;
export const SZ_64K = 0x1_0000;
export const SZ_2M = 0x20_0000;
export const SZ_32M = 0x200_0000;
export const SZ_512M = 0x2000_0000;
export const SZ_1G = 0x4000_0000;
export const SZ_2G = 0x8000_0000;

/** The three granule sets of the Linux LPAE selftest (io-pgtable-arm-selftests.c). */
export const SELFTEST_PGSIZES = [SZ_4K | SZ_2M | SZ_1G, SZ_16K | SZ_32M, SZ_64K | SZ_512M] as const;
/** The selftest's address sizes. */
export const SELFTEST_ADDRESS_SIZES = [32, 36, 40, 42, 44, 48] as const;

export { recordingTlb, type TlbCall } from '../recording-tlb';

/** Base of the test machine's RAM; its simple page allocator hands out pages from here up. */
export const TEST_RAM_BASE = 0x4000_0000;
export const TEST_RAM_SIZE = 0x400_0000;

/**
 * A small machine (64 MiB of RAM at 1 GiB, all of it given to the simple page allocator):
 * createMachine() with its 2 GiB of RAM and 256 MiB allocator costs ~50 ms, too much per case.
 */
export function testMachine(config: MachineConfig = {}): Machine {
  return createMachine({
    ram: [{ name: 'dram0', base: TEST_RAM_BASE, size: TEST_RAM_SIZE }],
    ...config,
  });
}

/** A cfg with Linux selftest defaults (coherent walk, no quirks, 4K|2M|1G, 48-bit). */
export function lpaeCfg(machine: Machine, overrides: Partial<IoPgtableCfg> = {}): IoPgtableCfg {
  return {
    quirks: 0,
    pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G,
    ias: 48,
    oas: 48,
    coherentWalk: true,
    tlb: null,
    machine,
    ...overrides,
  };
}

/** allocIoPgtableOps with the cfg as cookie, as the selftest does. */
export function allocOps(
  fmt: IoPgtableFmt,
  cfg: IoPgtableCfg,
  cookie: unknown = cfg,
): IoPgtableOps {
  return allocIoPgtableOps(fmt, cfg, cookie);
}

/** A 64-bit descriptor read through the CPU (what the software sees), as a bigint for display. */
export function readPte(machine: Machine, pa: number): bigint {
  return machine.cpu.read64(pa);
}

/** A 64-bit word as RAM holds it (what a non-coherent walker sees). */
export function readRamPte(machine: Machine, pa: number): bigint {
  return (BigInt(machine.ram.read32(pa + 4)) << 32n) | BigInt(machine.ram.read32(pa));
}

/** Output address bits [47:12] of a table descriptor. */
export function tableAddress(pte: bigint): number {
  return Number(pte & 0x0000_ffff_ffff_f000n);
}

/**
 * The descriptor that maps `iova`, found by following table descriptors from the root in the
 * test (independently of the library): returns the PTE address at the final level.
 */
export function pteAddress(
  machine: Machine,
  root: number,
  iova: number,
  startLevel: number,
  targetLevel: number,
  bitsPerLevel: number,
  pgdBits: number,
): number {
  let table = root;
  for (let level = startLevel; ; level++) {
    const shift = (4 - level) * bitsPerLevel + 3;
    const bits = level === startLevel ? pgdBits : bitsPerLevel;
    const index = Number((BigInt(iova) >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n));
    const ptep = table + index * 8;
    if (level === targetLevel) return ptep;
    table = tableAddress(readPte(machine, ptep));
  }
}
