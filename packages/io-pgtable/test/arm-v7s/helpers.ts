import { createMachine, type Machine } from '@socmem/hw-sim';
import { armV7sInitFns } from '../../src/arm-v7s/init';
import {
  IO_PGTABLE_QUIRK_ARM_NS,
  type IoPgtableCfg,
  IoPgtableFmt,
  type IoPgtableOps,
} from '../../src/io-pgtable';

export const SZ_4K = 0x1000;
export const SZ_64K = 0x1_0000;
export const SZ_1M = 0x10_0000;
export const SZ_16M = 0x100_0000;
export const SZ_1G = 0x4000_0000;
export const SZ_2G = 0x8000_0000;

export { recordingTlb, type TlbCall } from '../recording-tlb';

/** A 64 MiB machine whose page allocator owns all of RAM: cheap to create and to check. */
export function smallMachine(): Machine {
  return createMachine({ ram: [{ base: 0x4000_0000, size: 0x400_0000 }] });
}

/** The selftest's cfg (ias = oas = 32, coherent, ARM_NS, all four sizes) on a fresh machine. */
export function v7sCfg(
  overrides: Partial<IoPgtableCfg> = {},
  machine: Machine = createMachine(),
): IoPgtableCfg {
  return {
    quirks: IO_PGTABLE_QUIRK_ARM_NS,
    pgsizeBitmap: SZ_4K | SZ_64K | SZ_1M | SZ_16M,
    ias: 32,
    oas: 32,
    coherentWalk: true,
    tlb: null,
    machine,
    ...overrides,
  };
}

/** alloc_io_pgtable_ops(ARM_V7S, cfg, cookie). */
export function allocV7s(cfg: IoPgtableCfg, cookie: unknown = cfg): IoPgtableOps {
  return armV7sInitFns.alloc(IoPgtableFmt.ARM_V7S, cfg, cookie);
}

/** free_io_pgtable_ops: tlb_flush_all, then the format's free. */
export function freeV7s(ops: IoPgtableOps): void {
  ops.cfg.tlb?.tlbFlushAll(ops.cookie);
  armV7sInitFns.free(ops);
}
