import { SocmemError } from '@socmem/hw-sim';

/**
 * Fail point every table allocation of every format passes first, so one armed fail point
 * reaches LPAE and v7s tables alike.
 */
export const IO_PGTABLE_ALLOC_FAIL_POINT = 'io-pgtable-alloc';

/**
 * The ENOMEM a table allocation throws when {@link IO_PGTABLE_ALLOC_FAIL_POINT} fires:
 * `<source>: io-pgtable-alloc fail point (<what>)`. Callers test the fail point themselves so
 * that the message is only built on failure.
 */
export function tableAllocFailPointError(source: string, what: string): SocmemError {
  return new SocmemError(
    'ENOMEM',
    `${source}: ${IO_PGTABLE_ALLOC_FAIL_POINT} fail point (${what})`,
  );
}

/** Linux's `get_order(size)`: the buddy order of the smallest block of pages holding `size` bytes. */
export function getOrder(size: number, pageSize: number): number {
  return Math.max(0, Math.ceil(Math.log2(Math.ceil(size / pageSize))));
}
