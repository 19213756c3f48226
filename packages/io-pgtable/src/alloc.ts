import { SocmemError } from '@socmem/hw-sim';
import { armLpaeInitFns } from './arm-lpae/init';
import { armV7sInitFns } from './arm-v7s/init';
import {
  type IoPgtableCfg,
  IoPgtableFmt,
  type IoPgtableInitFns,
  type IoPgtableOps,
} from './io-pgtable';

/** `io_pgtable_init_table` (drivers/iommu/io-pgtable.c): the init fns of each format. */
const IO_PGTABLE_INIT_TABLE: Readonly<Record<IoPgtableFmt, IoPgtableInitFns>> = {
  ARM_32_LPAE_S1: armLpaeInitFns,
  ARM_32_LPAE_S2: armLpaeInitFns,
  ARM_64_LPAE_S1: armLpaeInitFns,
  ARM_64_LPAE_S2: armLpaeInitFns,
  ARM_V7S: armV7sInitFns,
  ARM_MALI_LPAE: armLpaeInitFns,
};

function initFnsFor(fmt: IoPgtableFmt): IoPgtableInitFns {
  if (typeof fmt !== 'string' || !Object.hasOwn(IoPgtableFmt, fmt)) {
    throw new SocmemError(
      'EINVAL',
      `io-pgtable: format ${String(fmt)} is not one of ${Object.keys(IoPgtableFmt).join(', ')}`,
    );
  }
  return IO_PGTABLE_INIT_TABLE[fmt];
}

/**
 * `alloc_io_pgtable_ops(fmt, cfg, cookie)`: builds empty tables of format `fmt` in the RAM of
 * `cfg.machine` and returns the ops on them. On success the caller's `cfg` carries the
 * narrowed `pgsizeBitmap`/`ias`/`oas` and the register values hardware needs (stage-1
 * ttbr/tcr/mair, stage-2 vttbr/vtcr, v7s ttbr/tcr/nmrr/prrr, Mali transtab/memattr); `ops.cfg`
 * is a copy of it. Where Linux returns NULL this throws EINVAL naming the bad value (ENOMEM
 * when the first table cannot be allocated), leaving `cfg` unchanged.
 */
export function allocIoPgtableOps(
  fmt: IoPgtableFmt,
  cfg: IoPgtableCfg,
  cookie: unknown,
): IoPgtableOps {
  const fns = initFnsFor(fmt);
  if (
    cfg === null ||
    typeof cfg !== 'object' ||
    cfg.machine === undefined ||
    cfg.machine === null
  ) {
    throw new SocmemError('EINVAL', `io-pgtable: ${fmt} cfg has no machine`);
  }
  return fns.alloc(fmt, cfg, cookie);
}

/**
 * `free_io_pgtable_ops(ops)`: calls `tlbFlushAll(cookie)` first, as Linux does, then frees
 * every table of `ops` back to its page allocator.
 */
export function freeIoPgtableOps(ops: IoPgtableOps): void {
  const fns = initFnsFor(ops.fmt);
  const tlb = ops.cfg.tlb;
  if (tlb !== null) tlb.tlbFlushAll(ops.cookie);
  fns.free(ops);
}
