export { type BusAccessKind, BusError } from './bus-error';
export { ERRNO, type ErrnoCode, isErrnoCode } from './errno';
export { InvariantError } from './invariant-error';
export { hex, SocmemError } from './socmem-error';
