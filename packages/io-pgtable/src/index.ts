export { allocIoPgtableOps, freeIoPgtableOps } from './alloc';
export { armLpaeInitFns } from './arm-lpae/init';
export { ARM_LPAE_MAIR, ARM_MALI_LPAE_MEMATTR } from './arm-lpae/registers';
export { ArmV7sIoPgtable } from './arm-v7s/arm-v7s-io-pgtable';
export { ARM_V7S_NMRR, ARM_V7S_PRRR, armV7sInitFns } from './arm-v7s/init';
export { dumpIoPgtable, dumpIoPgtableOps } from './dump/dump';
export {
  formatAttributes,
  formatIoPgtableMapping,
  formatIoPgtableMappings,
  formatIoPgtableTree,
  formatSize,
} from './dump/format';
export { DUMP_DEFAULT_MAIR, resolveDumpGeometry } from './dump/geometry';
export { MemoryImageReader } from './dump/memory-image';
export type {
  DescriptorReader,
  DumpIoPgtableOptions,
  IoPgtableDump,
  IoPgtableDumpAttributes,
  IoPgtableDumpEntry,
  IoPgtableDumpError,
  IoPgtableDumpGeometry,
  IoPgtableDumpMapping,
  IoPgtableDumpTable,
} from './dump/types';
export {
  type ArmLpaeS1Cfg,
  type ArmLpaeS1Tcr,
  type ArmLpaeS2Cfg,
  type ArmLpaeS2Vtcr,
  type ArmMaliLpaeCfg,
  type ArmV7sCfg,
  IO_PGTABLE_QUIRK_ARM_HD,
  IO_PGTABLE_QUIRK_ARM_MTK_EXT,
  IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT,
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_ARM_OUTER_WBWA,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_NO_PERMS,
  IO_PGTABLE_QUIRK_NO_WARN,
  IOMMU_CACHE,
  IOMMU_MMIO,
  IOMMU_NOEXEC,
  IOMMU_PRIV,
  IOMMU_READ,
  IOMMU_WRITE,
  type IommuFlushOps,
  type IoPgtableCfg,
  IoPgtableFmt,
  type IoPgtableInitFns,
  type IoPgtableOps,
} from './io-pgtable';
export { IommuIotlbGather, iommuIotlbGatherInit, iommuIotlbGatherQueued } from './iotlb-gather';
export { IoPgtableMapError } from './map-error';
export {
  ARM_SMMU_TCR_A1,
  ARM_SMMU_TCR_EAE,
  ARM_SMMU_TCR_EPD0,
  ARM_SMMU_TCR_EPD1,
  ARM_SMMU_TCR2_SEP_UPSTREAM,
  ARM_SMMU_VTCR_RES1,
  type ArmLpaePackedTcr,
  armLpaePackTcr,
  armLpaePackVtcr,
} from './registers';
