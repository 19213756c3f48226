/**
 * Page-allocator constants with their Linux names (include/linux/mmzone.h,
 * include/linux/pageblock-flags.h). Values are socmem's; the names and the rules built on
 * them follow Linux v6.16.
 */

/** Highest buddy order for 4 KiB pages (Linux default; CONFIG_ARCH_FORCE_MAX_ORDER overrides). */
export const MAX_PAGE_ORDER = 10;

/**
 * `COMPACT_CLUSTER_MAX` (= SWAP_CLUSTER_MAX, include/linux/swap.h): pages isolated per batch by
 * `isolate_migratepages_range` before they are migrated.
 */
export const COMPACT_CLUSTER_MAX = 32;

/** `enum migratetype` (include/linux/mmzone.h). */
export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
/** Number of types with per-CPU lists; also the first non-mergeable type. */
export const MIGRATE_PCPTYPES = 3;
export const MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES;
export const MIGRATE_CMA = 4;
export const MIGRATE_ISOLATE = 5;
export const MIGRATE_TYPES = 6;

/** Printable names of the migratetypes, as /proc/pagetypeinfo spells them. */
export const MIGRATETYPE_NAMES: readonly string[] = [
  'Unmovable',
  'Movable',
  'Reclaimable',
  'HighAtomic',
  'CMA',
  'Isolate',
];

/** `migratetype_is_mergeable`: only the per-CPU types may merge across pageblocks of differing type. */
export function migratetypeIsMergeable(migratetype: number): boolean {
  return migratetype < MIGRATE_PCPTYPES;
}

/**
 * `fallbacks[]` in mm/page_alloc.c: the order in which a request of one type takes free pages
 * of another. CMA, HIGHATOMIC and ISOLATE have no fallbacks and are never fallen back to.
 */
export const FALLBACKS: readonly (readonly number[])[] = [
  [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE], // UNMOVABLE
  [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE], // MOVABLE
  [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE], // RECLAIMABLE
];

/** Zones: ZONE_DMA32 holds memory below 4 GiB, ZONE_NORMAL the rest (arm64 without ZONE_DMA). */
export const ZONE_DMA32 = 0;
export const ZONE_NORMAL = 1;
export const MAX_NR_ZONES = 2;
export const ZONE_NAMES: readonly string[] = ['DMA32', 'Normal'];
/** Physical address where ZONE_NORMAL starts. */
export const ZONE_DMA32_LIMIT = 0x1_0000_0000;

/**
 * Default `pageblock_order` and `MAX_PAGE_ORDER` per page size, as arm64 configures them:
 * pageblock = PMD-sized huge page (2 MiB, 32 MiB, 512 MiB), MAX_PAGE_ORDER 10, 11, 13.
 */
export function defaultOrders(pageSize: number): { pageblockOrder: number; maxPageOrder: number } {
  switch (pageSize) {
    case 4096:
      return { pageblockOrder: 9, maxPageOrder: 10 };
    case 16384:
      return { pageblockOrder: 11, maxPageOrder: 11 };
    case 65536:
      return { pageblockOrder: 13, maxPageOrder: 13 };
    default:
      return { pageblockOrder: 9, maxPageOrder: 10 };
  }
}
