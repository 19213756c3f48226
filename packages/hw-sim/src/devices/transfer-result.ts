import type { FaultKind } from '../mmu/translation';

/**
 * Why a bus-master transfer stopped early:
 * - a translation fault kind from the IOMMU (`'translation'`, `'permission'`, ...);
 * - `'external-abort'` also when the output address is no RAM (a bus error);
 * - `'address-limit'`: the address is at or above 2^addressBits of the master, so the
 *   transaction never left the device (Linux reports such DMA as EFAULT / a mapping error).
 */
export type TransferFaultKind = FaultKind | 'address-limit';

/** The fault that stopped a transfer. */
export interface TransferFault {
  readonly kind: TransferFaultKind;
  /** The bus-master (input) address of the first byte not transferred. */
  readonly address: number;
  /** Table level of an IOMMU fault; 0 for address-limit and bus errors. */
  readonly level: number;
}

/**
 * How far a transfer got. A transfer is done page by page: on a fault every byte before the
 * faulting page was transferred and nothing at or after it; `bytes` says how many.
 */
export class TransferResult {
  /** Bytes transferred, counted from the start of the transfer. */
  bytes = 0;
  /** Null unless the transfer stopped on a fault. */
  fault: TransferFault | null = null;
  /** True while the transfer waits on a stalled IOMMU transaction (continue with `resume()`). */
  stalled = false;
  /** Bytes of pages whose fault was ignored by the IOMMU (read as zeros / writes dropped). */
  ignoredBytes = 0;

  /** True when every byte was transferred. */
  get complete(): boolean {
    return this.fault === null && !this.stalled;
  }
}
