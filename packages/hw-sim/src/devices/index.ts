export { BusMaster, BusMasterCounters, type BusMasterOptions } from './bus-master';
export {
  DmaEngine,
  DmaEngineCounters,
  type DmaEngineOptions,
  type DmaJobState,
} from './dma-engine';
export * from './dma-engine-registers';
export { type TransferFault, type TransferFaultKind, TransferResult } from './transfer-result';
