import { hex, SocmemError } from './socmem-error';

/** What kind of access hit nothing (or hit MMIO the wrong way). */
export type BusAccessKind = 'read' | 'write';

/**
 * A transaction that no RAM bank or MMIO region accepts: the simulated external abort.
 * Linux reports the same condition to a caller as EFAULT.
 */
export class BusError extends SocmemError {
  readonly address: number;
  readonly size: number;
  readonly access: BusAccessKind;

  constructor(access: BusAccessKind, address: number, size: number, reason: string) {
    super('EFAULT', `bus ${access} of ${size} bytes at ${hex(address)}: ${reason}`);
    this.name = 'BusError';
    this.address = address;
    this.size = size;
    this.access = access;
  }
}
