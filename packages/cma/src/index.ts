export { type BootMemoryOptions, bootMemory, type MemorySystem } from './boot';
export { CMA_MAX_NAME, CMA_MAX_RANGES, Cma, CmaMemrange } from './cma/cma';
export { cmaActivateAreas } from './cma/cma-activate';
export { type CmaAllocAttempt, cmaAlloc, cmaLastAttempts, cmaRelease } from './cma/cma-alloc';
export { CmaAreas, DEFAULT_CMA_AREAS, type KernelLogLine } from './cma/cma-areas';
export {
  cmaBitmapAlignedMask,
  cmaBitmapAlignedOffset,
  cmaBitmapMaxno,
  cmaBitmapPagesToBits,
} from './cma/cma-bitmap';
export {
  type CmaDebugfs,
  type CmaSysfs,
  cmaCheckInvariants,
  cmaDebugfs,
  cmaDebugShowAreas,
  cmaSysfs,
} from './cma/cma-debug';
export {
  type CmaDeclareOptions,
  cmaDeclareContiguous,
  cmaDeclareContiguousMulti,
  cmaInitReservedMem,
  cmaReserveEarly,
} from './cma/cma-declare';
export {
  type CmaCharge,
  type CmaChargedAllocation,
  cmaAllocCharged,
  cmaRegisterDmemRegion,
  cmaReleaseCharged,
} from './cma/cma-dmem';
export {
  type CmaCmdline,
  type CmaCmdlineOptions,
  type MemparseResult,
  memparse,
  parseCmaCmdline,
} from './contiguous/cmdline';
export {
  type CmaDevice,
  CONFIG_CMA_ALIGNMENT,
  DmaContiguous,
  type DmaContiguousConfig,
  getOrder,
  type SharedDmaPoolNode,
} from './contiguous/contiguous';
export * from './dmem/index';
export { allocContigRange, type ContigRangeStats, freeContigRange } from './mm/alloc-contig-range';
export { BuddyAllocator, type BuddyAllocatorOptions } from './mm/buddy-allocator';
export {
  defaultOrders,
  FALLBACKS,
  MAX_NR_ZONES,
  MAX_PAGE_ORDER,
  MIGRATE_CMA,
  MIGRATE_HIGHATOMIC,
  MIGRATE_ISOLATE,
  MIGRATE_MOVABLE,
  MIGRATE_PCPTYPES,
  MIGRATE_RECLAIMABLE,
  MIGRATE_TYPES,
  MIGRATE_UNMOVABLE,
  MIGRATETYPE_NAMES,
  migratetypeIsMergeable,
  ZONE_DMA32,
  ZONE_DMA32_LIMIT,
  ZONE_NAMES,
  ZONE_NORMAL,
} from './mm/constants';
export {
  __GFP_DIRECT_RECLAIM,
  __GFP_DMA32,
  __GFP_MOVABLE,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
  __GFP_ZERO,
  GFP_ATOMIC,
  GFP_DMA32,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOWAIT,
  GFP_USER,
  gfpflagsAllowBlocking,
  gfpMigratetype,
} from './mm/gfp';
export { Memblock, type PhysRange } from './mm/memblock';
export { GFP_MIGRATION_TARGET, Migrator } from './mm/migrate';
export { MovableMemory, type PinOptions } from './mm/movable-memory';
export { type MigrationClient, OwnerRegistry } from './mm/owner-registry';
export { type MemSpan, PageFrames } from './mm/page-frames';
export { type BitmapPictureOptions, renderCmaBitmap } from './render/bitmap-picture';
export {
  FRAME_GLYPHS,
  frameGlyph,
  type MemoryPictureOptions,
  renderMemoryRange,
} from './render/memory-picture';
export { Bitmap } from './util/bitmap';
