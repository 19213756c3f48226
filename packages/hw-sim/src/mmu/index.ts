export { CpuMmu, type CpuTranslationRegisters } from './cpu-mmu';
export {
  faultStatusCode,
  longDescriptorFaultStatus,
  shortDescriptorFaultStatus,
} from './fault-status';
export {
  LpaeGeometry,
  lpaeConcatenatedTables,
  lpaeStage2StartLevel,
  lpaeStartLevel,
} from './lpae-geometry';
export { MmuTranslator } from './mmu-translator';
export { PageTableWalker, WalkerCounters } from './page-table-walker';
export { applyAccess, permissionAllows } from './permissions';
export { type DecodedTcr, decodeTcr } from './tcr';
export { Tlb } from './tlb';
export { TlbCounters, type TlbEntry, type TlbOptions } from './tlb-types';
export {
  ACCESS_EXEC,
  ACCESS_PRIV,
  ACCESS_READ,
  ACCESS_WRITE,
  type FaultKind,
  type PageTableFormat,
  PERMISSION_PRIV_EXEC,
  PERMISSION_PRIV_READ,
  PERMISSION_PRIV_WRITE,
  PERMISSION_USER_EXEC,
  PERMISSION_USER_READ,
  PERMISSION_USER_WRITE,
  TranslationResult,
  type Translator,
  type WalkConfig,
} from './translation';
