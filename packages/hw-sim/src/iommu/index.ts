export type { Iommu, IommuOutcome, ResumeListener } from './iommu';
export { Listeners } from './listeners';
export { SmmuContextBank } from './smmu-v2/context-bank';
export {
  type ContextBankRegisters,
  type DecodedContext,
  type DecoderLimits,
  decodeContextBank,
} from './smmu-v2/context-decoder';
export {
  MATCH_CONFLICT,
  NO_MATCH,
  type SmmuGeometry,
  SmmuGlobalRegisters,
} from './smmu-v2/global-registers';
export * from './smmu-v2/registers';
export { ArmSmmuV2, ArmSmmuV2Counters, type ArmSmmuV2Options } from './smmu-v2/smmu-v2';
export * from './sysmmu/registers';
export { SYSMMU_MMIO_SIZE, SysMmu, SysMmuCounters, type SysMmuOptions } from './sysmmu/sysmmu';
