export {
  bigIntToHalves,
  halvesToBigInt,
  high32,
  isAddress,
  isAligned,
  isPowerOfTwo,
  joinHalves,
  low32,
} from './bits';
export { Cpu } from './cpu/cpu';
export {
  CACHE_LINE_SIZE,
  DataCache,
  type DataCacheConfig,
  DataCacheCounters,
} from './cpu/data-cache';
export * from './devices/index';
export {
  type BusAccessKind,
  BusError,
  ERRNO,
  type ErrnoCode,
  hex,
  InvariantError,
  isErrnoCode,
  SocmemError,
} from './errors/index';
export * from './iommu/index';
export {
  createMachine,
  DEFAULT_RAM,
  Machine,
  type MachineConfig,
  type MachineCounters,
} from './machine';
export { Bus, BusCounters } from './memory/bus';
export { DevicePort } from './memory/device-port';
export { FRAME_SIZE } from './memory/frames';
export type { MmioDevice, MmioRegion } from './memory/mmio';
export { MAX_PHYS_ADDR, Ram, type RamBankConfig } from './memory/ram';
export { RamBank } from './memory/ram-bank';
export * from './mmu/index';
export { SimClock } from './observability/clock';
export { type DiagnosticEvent, Diagnostics } from './observability/diagnostics';
export { FailPointSite, FailPoints, type FailPolicy } from './observability/fail-points';
export { SeededRng } from './observability/rng';
export {
  type TraceEvent,
  type TraceEvents,
  type TraceListener,
  TraceStream,
} from './observability/trace';
export type { LeakReportEntry, PageAllocator } from './page-allocator/page-allocator';
export {
  SIMPLE_MAX_ORDER,
  SimplePageAllocator,
  type SimplePageAllocatorConfig,
  type SimplePageAllocatorDeps,
} from './page-allocator/simple-page-allocator';
