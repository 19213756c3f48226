import { MIGRATE_CMA } from '../mm/constants';
import { Bitmap } from '../util/bitmap';
import type { Cma } from './cma';
import type { CmaAreas } from './cma-areas';
import { cmaBitmapMaxno, cmaBitmapPagesToBits } from './cma-bitmap';

/**
 * `cma_init_reserved_areas` (core_initcall): activates every declared area. Call after
 * `memblock.freeAll(buddy)`.
 */
export function cmaActivateAreas(areas: CmaAreas): void {
  areas.activated = true;
  for (const cma of areas.areas) cmaActivateArea(areas, cma);
}

/** `cma_validate_zones`: every range lies inside one zone with no hole. */
function cmaValidateZones(areas: CmaAreas, cma: Cma): boolean {
  const frames = areas.buddyAllocator.frames;
  return cma.ranges.every((range) => {
    const span = frames.spanOf(range.basePfn);
    return span !== null && range.endPfn <= span.endPfn;
  });
}

/**
 * `cma_activate_area`: allocates the bitmaps, sets the bits of early reservations, turns every
 * other pageblock into MIGRATE_CMA and frees it to the buddy allocator
 * (`init_cma_reserved_pageblock`). A range spanning two zones fails the whole area: its pages
 * go to the buddy allocator as ordinary memory (unless `reservePagesOnError`), the area's
 * count drops to 0 and "CMA area %s could not be activated" is logged.
 */
function cmaActivateArea(areas: CmaAreas, cma: Cma): void {
  const buddy = areas.buddyAllocator;
  const blockPages = 2 ** areas.pageblockOrder;
  if (!cmaValidateZones(areas, cma)) {
    if (!cma.reservePagesOnError) {
      for (const range of cma.ranges) buddy.freeBootMemory(range.earlyPfn, range.endPfn);
    }
    areas.totalcmaPages -= cma.count;
    cma.count = 0;
    cma.availableCount = 0;
    areas.printk('err', `CMA area ${cma.name} could not be activated`);
    return;
  }
  for (const range of cma.ranges) {
    range.bitmap = new Bitmap(cmaBitmapMaxno(range.count, cma.orderPerBit));
    if (range.earlyPfn !== range.basePfn) {
      range.bitmap.set(0, cmaBitmapPagesToBits(cma.orderPerBit, range.earlyPfn - range.basePfn));
    }
    for (let pfn = range.earlyPfn; pfn < range.endPfn; pfn += blockPages) {
      const index = buddy.frames.requireIndex(pfn, `cma ${cma.name}`);
      buddy.frames.pageblock[index >>> buddy.pageblockOrder] = MIGRATE_CMA;
      buddy.freeBootMemory(pfn, pfn + blockPages);
    }
  }
  cma.activated = true;
}
