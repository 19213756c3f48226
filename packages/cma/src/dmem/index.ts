export { DmemCgroup } from './dmem-cgroup';
export {
  createDmemCgroupHierarchy,
  DmemCgroupLimitError,
  type DmemEvictHint,
  dmemCgroupBelowLow,
  dmemCgroupBelowMin,
  dmemCgroupCalculateProtection,
  dmemCgroupRegisterRegion,
  dmemCgroupStateEvictValuable,
  dmemCgroupTryCharge,
  dmemCgroupUncharge,
  dmemCgroupUnregisterRegion,
} from './dmem-charge';
export { type DmemCgroupFile, readDmemCgroupFile, writeDmemCgroupFile } from './dmem-files';
export { DmemCgroupHierarchy, type DmemCgroupHierarchyOptions } from './dmem-hierarchy';
export { DmemCgroupPool } from './dmem-pool';
export { DmemCgroupRegion } from './dmem-region';
export { effectiveProtection, PAGE_COUNTER_MAX, PageCounter } from './page-counter';
