/**
 * GFP flags (include/linux/gfp_types.h): the names and meanings are Linux's, the bit values are
 * socmem's own. Only the modifiers the model acts on are defined.
 */
export const __GFP_DMA32 = 0x4;
export const __GFP_MOVABLE = 0x8;
export const __GFP_RECLAIMABLE = 0x10;
export const __GFP_HIGH = 0x20;
export const __GFP_IO = 0x40;
export const __GFP_FS = 0x80;
export const __GFP_ZERO = 0x100;
export const __GFP_DIRECT_RECLAIM = 0x400;
export const __GFP_KSWAPD_RECLAIM = 0x800;
export const __GFP_NOWARN = 0x2000;
export const __GFP_RETRY_MAYFAIL = 0x4000;
export const __GFP_NORETRY = 0x10000;

export const __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;
export const GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_DMA32 = __GFP_DMA32;
export const GFP_USER = GFP_KERNEL;
export const GFP_HIGHUSER_MOVABLE = GFP_USER | __GFP_MOVABLE;

/** `gfp_migratetype`: MOVABLE, RECLAIMABLE or UNMOVABLE from the mobility modifiers. */
export function gfpMigratetype(gfp: number): number {
  // Literals, not the module consts: this runs on every allocation and V8 reloads a
  // module-level const from the module context on each access.
  if ((gfp & 0x8) !== 0) return 1; // __GFP_MOVABLE -> MIGRATE_MOVABLE
  if ((gfp & 0x10) !== 0) return 2; // __GFP_RECLAIMABLE -> MIGRATE_RECLAIMABLE
  return 0; // MIGRATE_UNMOVABLE
}

/** `gfpflags_allow_blocking`: the caller may sleep (direct reclaim, migration). */
export function gfpflagsAllowBlocking(gfp: number): boolean {
  return (gfp & __GFP_DIRECT_RECLAIM) !== 0;
}
