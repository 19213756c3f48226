import { hex, isPowerOfTwo, SocmemError } from '@socmem/hw-sim';
import { CMA_MAX_NAME, CMA_MAX_RANGES, Cma, CmaMemrange } from './cma';
import type { CmaAreas } from './cma-areas';

const SZ_4G = 0x1_0000_0000;

/** Arguments of `cma_declare_contiguous_nid` (bytes). */
export interface CmaDeclareOptions {
  /** Base address, 0 for "anywhere". */
  readonly base?: number;
  readonly size: number;
  /** End address of the reserved memory, 0 for "no limit". */
  readonly limit?: number;
  /** Power of two or 0; raised to CMA_MIN_ALIGNMENT_BYTES. */
  readonly alignment?: number;
  readonly orderPerBit?: number;
  /** Reserve exactly at `base`. */
  readonly fixed?: boolean;
  /** Default "cma%d\n" (the stray newline is Linux's). */
  readonly name?: string;
}

function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

function alignDown(value: number, align: number): number {
  return Math.floor(value / align) * align;
}

/** `cma_new_area`: a fresh area counted in `totalcma_pages`. */
function newArea(areas: CmaAreas, name: string | undefined, orderPerBit: number): Cma {
  const areaName =
    name === undefined ? `cma${areas.areas.length}\n` : name.slice(0, CMA_MAX_NAME - 1);
  const cma = new Cma(areas, areaName, orderPerBit);
  cma.ownerId = areas.buddyAllocator.owners.id(`cma:${areaName}`);
  areas.areas.push(cma);
  return cma;
}

function addRange(areas: CmaAreas, cma: Cma, base: number, size: number): void {
  const count = size / areas.pageSize;
  cma.ranges.push(new CmaMemrange(base / areas.pageSize, count));
  cma.count += count;
  cma.availableCount += count;
  areas.totalcmaPages += count;
}

function checkSlots(areas: CmaAreas): void {
  if (areas.areas.length >= areas.maxAreas) {
    throw new SocmemError(
      'ENOSPC',
      `cma: not enough slots for CMA reserved regions (MAX_CMA_AREAS ${areas.maxAreas})`,
    );
  }
}

/**
 * `cma_init_reserved_mem`: makes an area of memory the caller already reserved in memblock
 * (a device-tree `shared-dma-pool` with `reusable`, for instance). ENOSPC when all slots are
 * used; EINVAL when the range is not reserved or not aligned to CMA_MIN_ALIGNMENT_BYTES.
 */
export function cmaInitReservedMem(
  areas: CmaAreas,
  base: number,
  size: number,
  orderPerBit = 0,
  name?: string,
): Cma {
  checkSlots(areas);
  if (!(size > 0) || !areas.memblock.isRegionReserved(base, size)) {
    throw new SocmemError(
      'EINVAL',
      `cma: region ${hex(base)}+${hex(size)} is empty or not reserved`,
    );
  }
  const align = areas.minAlignmentBytes;
  if (base % align !== 0 || size % align !== 0) {
    throw new SocmemError(
      'EINVAL',
      `cma: region ${hex(base)}+${hex(size)} is not aligned to CMA_MIN_ALIGNMENT_BYTES ${hex(align)}`,
    );
  }
  const cma = newArea(areas, name, orderPerBit);
  addRange(areas, cma, base, size);
  return cma;
}

/**
 * `cma_declare_contiguous_nid` (mm/cma.c v6.16): reserves an area in memblock and creates it.
 * Rules: ENOSPC when all slots are used; EINVAL for size 0, a non-power-of-two alignment, a
 * fixed base not aligned to max(alignment, CMA_MIN_ALIGNMENT_BYTES), a size that is not a
 * whole number of bits (2^orderPerBit pages), or base + size above the limit; EBUSY when a
 * fixed region is already reserved; ENOMEM when no free range fits. A non-fixed area is
 * placed bottom-up from 4 GiB first when memory reaches 4 GiB + size, else top-down below
 * the limit. base, size and limit are aligned as Linux does; base 0 means not fixed.
 */
export function cmaDeclareContiguous(areas: CmaAreas, options: CmaDeclareOptions): Cma {
  // cma_declare_contiguous_nid: the inner declaration, then one log line either way (sizes as
  // the caller passed them, in whole MiB).
  const mib = Math.floor(options.size / 0x10_0000);
  let cma: Cma;
  try {
    cma = declareContiguous(areas, options);
  } catch (error) {
    areas.printk('err', `Failed to reserve ${mib} MiB`);
    throw error;
  }
  areas.printk('info', `Reserved ${mib} MiB at ${hex(cma.ranges[0]!.basePfn * areas.pageSize)}`);
  return cma;
}

/** `__cma_declare_contiguous_nid`: the rules above, without the log line. */
function declareContiguous(areas: CmaAreas, options: CmaDeclareOptions): Cma {
  const memblock = areas.memblock;
  let base = options.base ?? 0;
  let size = options.size;
  let limit = options.limit ?? 0;
  let alignment = options.alignment ?? 0;
  const orderPerBit = options.orderPerBit ?? 0;
  let fixed = options.fixed ?? false;
  const name = options.name ?? `cma${areas.areas.length}`;
  checkSlots(areas);
  if (!(size > 0)) throw new SocmemError('EINVAL', `cma: ${name}: size ${size} is zero`);
  if (alignment !== 0 && !isPowerOfTwo(alignment)) {
    throw new SocmemError(
      'EINVAL',
      `cma: ${name}: alignment ${hex(alignment)} is not a power of two`,
    );
  }
  alignment = Math.max(alignment, areas.minAlignmentBytes);
  if (fixed && base % alignment !== 0) {
    throw new SocmemError(
      'EINVAL',
      `cma: ${name}: region at ${hex(base)} must be aligned to ${hex(alignment)} bytes`,
    );
  }
  base = alignUp(base, alignment);
  size = alignUp(size, alignment);
  limit = alignDown(limit, alignment);
  if (base === 0) fixed = false;
  if ((size / areas.pageSize) % 2 ** orderPerBit !== 0) {
    throw new SocmemError(
      'EINVAL',
      `cma: ${name}: size ${hex(size)} is not a multiple of 2^${orderPerBit} pages`,
    );
  }
  if (limit === 0 || limit > memblock.end) limit = memblock.end;
  if (base + size > limit) {
    throw new SocmemError(
      'EINVAL',
      `cma: ${name}: size (${hex(size)}) of region at ${hex(base)} exceeds limit (${hex(limit)})`,
    );
  }
  if (fixed) {
    if (memblock.isRegionReserved(base, size) || !memblock.isRegionMemory(base, size)) {
      throw new SocmemError(
        'EBUSY',
        `cma: ${name}: region at ${hex(base)}+${hex(size)} is already reserved or not memory`,
      );
    }
    memblock.reserve(base, size);
  } else {
    base = cmaAllocMem(areas, base, size, alignment, limit);
    if (base === 0) {
      throw new SocmemError('ENOMEM', `cma: ${name}: failed to reserve ${size / 0x10_0000} MiB`);
    }
  }
  return cmaInitReservedMemOrFree(areas, base, size, orderPerBit, options.name);
}

/**
 * `cmaInitReservedMem` for memory the caller has just reserved in memblock: when the area
 * cannot be made, the reservation is given back before the error propagates.
 */
export function cmaInitReservedMemOrFree(
  areas: CmaAreas,
  base: number,
  size: number,
  orderPerBit: number,
  name: string | undefined,
): Cma {
  try {
    return cmaInitReservedMem(areas, base, size, orderPerBit, name);
  } catch (error) {
    areas.memblock.free(base, size);
    throw error;
  }
}

/** `cma_alloc_mem`: bottom-up from 4 GiB first (keeps compaction moving pages out of CMA), then top-down. */
function cmaAllocMem(
  areas: CmaAreas,
  base: number,
  size: number,
  align: number,
  limit: number,
): number {
  const memblock = areas.memblock;
  let addr = 0;
  if (!memblock.bottomUp && memblock.end >= SZ_4G + size) {
    memblock.bottomUp = true;
    addr = memblock.allocRange(size, align, SZ_4G, limit);
    memblock.bottomUp = false;
  }
  if (addr === 0) addr = memblock.allocRange(size, align, base, limit);
  return addr;
}

/**
 * `cma_declare_contiguous_multi` (Linux 6.15): one range if possible; on ENOMEM, the largest
 * (up to 8) free ranges above 4 GiB, used in address order, the last one possibly in part.
 */
export function cmaDeclareContiguousMulti(
  areas: CmaAreas,
  totalSize: number,
  align: number,
  orderPerBit: number,
  name: string,
): Cma {
  try {
    return declareContiguous(areas, { size: totalSize, alignment: align, orderPerBit, name });
  } catch (error) {
    if (!SocmemError.isInstance(error, 'ENOMEM')) throw error;
  }
  const alignment = Math.max(align, areas.minAlignmentBytes);
  const size = alignUp(totalSize, alignment);
  const candidates = areas.memblock
    .freeRanges()
    .map((range) => {
      const start = alignUp(range.base, alignment);
      return { base: start, size: alignDown(range.base + range.size, alignment) - start };
    })
    .filter((range) => range.size > 0 && range.base >= SZ_4G)
    .sort((a, b) => b.size - a.size || a.base - b.base)
    .slice(0, CMA_MAX_RANGES)
    .sort((a, b) => a.base - b.base);
  const chosen: { base: number; size: number }[] = [];
  let remaining = size;
  for (const range of candidates) {
    if (remaining === 0) break;
    const take = Math.min(range.size, remaining);
    chosen.push({ base: range.base, size: take });
    remaining -= take;
  }
  if (remaining > 0) {
    throw new SocmemError(
      'ENOMEM',
      `cma: ${name}: cannot reserve ${size / 0x10_0000} MiB in ${CMA_MAX_RANGES} ranges`,
    );
  }
  checkSlots(areas);
  for (const range of chosen) areas.memblock.reserve(range.base, range.size);
  const cma = newArea(areas, name, orderPerBit);
  for (const range of chosen) addRange(areas, cma, range.base, range.size);
  areas.printk(
    'info',
    `Reserved ${size / 0x10_0000} MiB in ${chosen.length} range${chosen.length > 1 ? 's' : ''}`,
  );
  return cma;
}

/**
 * `cma_reserve_early`: carves `size` bytes off the bottom of the first range with room,
 * before activation; those pages never reach the buddy allocator. Returns the physical
 * address, or null when the area is active, the size is not aligned or nothing fits.
 */
export function cmaReserveEarly(cma: Cma, size: number): number | null {
  const areas = cma.registry;
  if (cma.count === 0 || cma.activated) return null;
  if (size % areas.minAlignmentBytes !== 0 || size % (areas.pageSize * 2 ** cma.orderPerBit) !== 0)
    return null;
  const pages = size / areas.pageSize;
  if (pages > cma.availableCount) return null;
  for (const range of cma.ranges) {
    const available = range.count - (range.earlyPfn - range.basePfn);
    if (pages <= available) {
      const pa = range.earlyPfn * areas.pageSize;
      range.earlyPfn += pages;
      cma.availableCount -= pages;
      return pa;
    }
  }
  return null;
}
