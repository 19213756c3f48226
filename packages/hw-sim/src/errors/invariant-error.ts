import { SocmemError } from './socmem-error';

/** Thrown by `checkInvariants()` when a structure is internally inconsistent (a bug, not bad input). */
export class InvariantError extends SocmemError {
  constructor(structure: string, message: string) {
    super('EIO', `${structure} invariant broken: ${message}`);
    this.name = 'InvariantError';
  }
}
