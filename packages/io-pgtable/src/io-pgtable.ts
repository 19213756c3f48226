import type { Machine, PageAllocator } from '@socmem/hw-sim';
import type { IommuIotlbGather } from './iotlb-gather';

/**
 * Linux's `enum io_pgtable_fmt` (include/linux/io-pgtable.h), ARM formats only.
 * Exported as a const object and a string union of the same name.
 */
export const IoPgtableFmt = {
  ARM_32_LPAE_S1: 'ARM_32_LPAE_S1',
  ARM_32_LPAE_S2: 'ARM_32_LPAE_S2',
  ARM_64_LPAE_S1: 'ARM_64_LPAE_S1',
  ARM_64_LPAE_S2: 'ARM_64_LPAE_S2',
  ARM_V7S: 'ARM_V7S',
  ARM_MALI_LPAE: 'ARM_MALI_LPAE',
} as const;
export type IoPgtableFmt = (typeof IoPgtableFmt)[keyof typeof IoPgtableFmt];

/** IOMMU prot flags, include/linux/iommu.h. */
export const IOMMU_READ = 1 << 0;
export const IOMMU_WRITE = 1 << 1;
export const IOMMU_CACHE = 1 << 2;
export const IOMMU_NOEXEC = 1 << 3;
export const IOMMU_MMIO = 1 << 4;
export const IOMMU_PRIV = 1 << 5;

/** `io_pgtable_cfg.quirks` bits, include/linux/io-pgtable.h (v6.16). */
export const IO_PGTABLE_QUIRK_ARM_NS = 1 << 0;
export const IO_PGTABLE_QUIRK_NO_PERMS = 1 << 1;
export const IO_PGTABLE_QUIRK_ARM_MTK_EXT = 1 << 3;
export const IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT = 1 << 4;
export const IO_PGTABLE_QUIRK_ARM_TTBR1 = 1 << 5;
export const IO_PGTABLE_QUIRK_ARM_OUTER_WBWA = 1 << 6;
export const IO_PGTABLE_QUIRK_ARM_HD = 1 << 7;
export const IO_PGTABLE_QUIRK_ARM_S2FWB = 1 << 8;
export const IO_PGTABLE_QUIRK_NO_WARN = 1 << 9;

/** `struct iommu_flush_ops`: TLB maintenance callbacks the page-table code makes. */
export interface IommuFlushOps {
  tlbFlushAll(cookie: unknown): void;
  tlbFlushWalk(iova: number, size: number, granule: number, cookie: unknown): void;
  /**
   * Optional, as in Linux (`io_pgtable_tlb_add_page` checks for it). The gather is null when
   * the caller passed none: v7s still reports every cleared entry then, LPAE does not.
   */
  tlbAddPage?(
    gather: IommuIotlbGather | null,
    iova: number,
    granule: number,
    cookie: unknown,
  ): void;
}

/** Stage-1 TCR fields (`arm_lpae_s1_cfg.tcr`), unpacked as Linux keeps them. */
export interface ArmLpaeS1Tcr {
  ips: number;
  tg: number;
  sh: number;
  orgn: number;
  irgn: number;
  tsz: number;
}

/** Stage-2 VTCR fields (`arm_lpae_s2_cfg.vtcr`). */
export interface ArmLpaeS2Vtcr {
  ps: number;
  tg: number;
  sh: number;
  orgn: number;
  irgn: number;
  sl: number;
  tsz: number;
}

/** Values hardware needs, filled in by allocIoPgtableOps (the cfg union of Linux). */
export interface ArmLpaeS1Cfg {
  ttbr: number;
  tcr: ArmLpaeS1Tcr;
  /** 64-bit MAIR as a number (Linux's value, 0xf404ff44, fits below 2^53). */
  mair: number;
}
export interface ArmLpaeS2Cfg {
  vttbr: number;
  vtcr: ArmLpaeS2Vtcr;
}
export interface ArmV7sCfg {
  ttbr: number;
  tcr: number;
  nmrr: number;
  prrr: number;
}
export interface ArmMaliLpaeCfg {
  transtab: number;
  memattr: number;
}

/**
 * `struct io_pgtable_cfg`. Inputs are set by the caller; allocIoPgtableOps may narrow
 * `pgsizeBitmap`, `ias` and `oas` and fills the format's register block.
 */
export interface IoPgtableCfg {
  quirks: number;
  /**
   * Page and block sizes the tables may use, as a bitmap of sizes. A number, not a u32:
   * 64K-granule tables with oas > 48 include 1 << 42. Never use JS bitwise operators on it.
   */
  pgsizeBitmap: number;
  ias: number;
  oas: number;
  coherentWalk: boolean;
  tlb: IommuFlushOps | null;
  /** The machine whose RAM holds the tables (its CPU writes them, its cache is cleaned). */
  machine: Machine;
  /** Where table pages come from. Default: `machine.pageAllocator`. */
  allocator?: PageAllocator;
  /** Host PAGE_SIZE, which Linux uses to pick the LPAE granule. Default 4096. */
  hostPageSize?: number;
  /**
   * Opt-in to the pre-v6.12 behaviour (LPAE) / pre-v6.13 (v7s): a partial unmap of a block
   * splits it into a next-level table instead of warning and returning 0.
   */
  splitBlockOnPartialUnmap?: boolean;
  armLpaeS1Cfg?: ArmLpaeS1Cfg;
  armLpaeS2Cfg?: ArmLpaeS2Cfg;
  armV7sCfg?: ArmV7sCfg;
  armMaliLpaeCfg?: ArmMaliLpaeCfg;
}

/** `struct io_pgtable_ops`: what an IOMMU driver calls. */
export interface IoPgtableOps {
  /** The format and the cfg as completed by allocation. */
  readonly fmt: IoPgtableFmt;
  readonly cfg: IoPgtableCfg;
  readonly cookie: unknown;
  /**
   * Maps up to `pgcount` pages of `pgsize` at `iova` to `paddr` (at most one table's worth,
   * as Linux) and returns the bytes mapped. Throws {@link IoPgtableMapError} with Linux's errno
   * on failure; its `mapped` says how many bytes were mapped before the failure.
   */
  mapPages(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number;
  /** Unmaps and returns the bytes unmapped (0 on the conditions where Linux returns 0). */
  unmapPages(
    iova: number,
    pgsize: number,
    pgcount: number,
    gather?: IommuIotlbGather | null,
  ): number;
  /** The physical address `iova` maps to, or 0 when unmapped. */
  iovaToPhys(iova: number): number;
}

/** `struct io_pgtable_init_fns`: one per format family. */
export interface IoPgtableInitFns {
  alloc(fmt: IoPgtableFmt, cfg: IoPgtableCfg, cookie: unknown): IoPgtableOps;
  free(ops: IoPgtableOps): void;
}
