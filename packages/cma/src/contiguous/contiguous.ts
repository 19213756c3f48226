import { hex, SocmemError } from '@socmem/hw-sim';
import type { Cma } from '../cma/cma';
import { cmaAlloc, cmaRelease } from '../cma/cma-alloc';
import type { CmaAreas } from '../cma/cma-areas';
import { cmaDeclareContiguous, cmaInitReservedMemOrFree } from '../cma/cma-declare';
import { __GFP_NOWARN, gfpflagsAllowBlocking } from '../mm/gfp';
import { parseCmaCmdline } from './cmdline';

/** `CONFIG_CMA_ALIGNMENT`: largest alignment order of a DMA contiguous buffer (default 8: 1 MiB with 4K pages). */
export const CONFIG_CMA_ALIGNMENT = 8;

/** The part of `struct device` that CMA reads: its name and its own area (`dev->cma_area`). */
export interface CmaDevice {
  readonly name: string;
  cmaArea?: Cma | null;
}

/** Kconfig choices for the default area when there is no `cma=` (kernel/dma/Kconfig). */
export interface DmaContiguousConfig {
  /** The value of `cma=` (without "cma="), or undefined when the command line has none. */
  readonly cmdline?: string;
  /** CONFIG_CMA_SIZE_MBYTES, default 16 (0 on x86). */
  readonly sizeMbytes?: number;
  /** CONFIG_CMA_SIZE_PERCENTAGE, default 10 (0 on x86). */
  readonly sizePercentage?: number;
  /** CONFIG_CMA_SIZE_SEL_*: default 'mbytes'. */
  readonly sizeSelector?: 'mbytes' | 'percentage' | 'min' | 'max';
}

/** A device-tree `reserved-memory` node with `compatible = "shared-dma-pool"`. */
export interface SharedDmaPoolNode {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly reusable?: boolean;
  readonly noMap?: boolean;
  /** `linux,cma-default`: the node becomes the global default area. */
  readonly linuxCmaDefault?: boolean;
}

/**
 * kernel/dma/contiguous.c (v6.16): the global default area (`dma_contiguous_default_area`),
 * per-device areas from `shared-dma-pool` nodes, and the DMA allocation entry points.
 */
export class DmaContiguous {
  readonly areas: CmaAreas;
  /** `dma_contiguous_default_area`. */
  defaultArea: Cma | null = null;
  /** True when `cma=` was given (size_cmdline != -1). */
  private cmdlineGiven = false;

  constructor(areas: CmaAreas) {
    this.areas = areas;
  }

  /**
   * `dma_contiguous_reserve(limit)`: sizes the default area from `cma=` when given (which also
   * decides base, limit = min_not_zero(cmdline limit, limit), and fixed = base + size == limit),
   * else from Kconfig; `cma=0` means no area. Returns the area, or null when there is none or
   * it could not be reserved (logged, not thrown, as in Linux). A malformed `cma=` string
   * still throws EINVAL (socmem's strict parsing).
   */
  reserve(limit: number, config: DmaContiguousConfig = {}): Cma | null {
    let size = 0;
    let base = 0;
    let selectedLimit = limit;
    let fixed = false;
    if (config.cmdline !== undefined) {
      const parsed = parseCmaCmdline(config.cmdline);
      this.cmdlineGiven = true;
      size = parsed.size;
      base = parsed.base;
      selectedLimit =
        parsed.limit !== 0 && limit !== 0 ? Math.min(parsed.limit, limit) : parsed.limit || limit;
      fixed = parsed.base + parsed.size === parsed.limit;
    } else {
      const bySize = (config.sizeMbytes ?? 16) * 0x10_0000;
      const totalPages = Math.floor(this.areas.memblock.physMemSize / this.areas.pageSize);
      const byPercent =
        Math.floor((totalPages * (config.sizePercentage ?? 10)) / 100) * this.areas.pageSize;
      switch (config.sizeSelector ?? 'mbytes') {
        case 'mbytes':
          size = bySize;
          break;
        case 'percentage':
          size = byPercent;
          break;
        case 'min':
          size = Math.min(bySize, byPercent);
          break;
        case 'max':
          size = Math.max(bySize, byPercent);
          break;
      }
    }
    if (size === 0 || this.defaultArea !== null) return this.defaultArea;
    try {
      this.defaultArea = this.reserveArea(size, base, selectedLimit, fixed);
    } catch (error) {
      // dma_contiguous_reserve ignores the result of dma_contiguous_reserve_area: the kernel
      // boots without a default area ("Failed to reserve N MiB" is already in the log).
      if (!SocmemError.isInstance(error)) throw error;
    }
    return this.defaultArea;
  }

  /** `dma_contiguous_reserve_area`: an area named "reserved" (align 0, order_per_bit 0). */
  reserveArea(size: number, base: number, limit: number, fixed: boolean): Cma {
    return cmaDeclareContiguous(this.areas, {
      base,
      size,
      limit,
      alignment: 0,
      orderPerBit: 0,
      fixed,
      name: 'reserved',
    });
  }

  /**
   * `rmem_cma_setup`: a reusable shared-dma-pool becomes a CMA area (EINVAL when not reusable,
   * `no-map`, or misaligned; EBUSY for a `linux,cma-default` node when `cma=` was given).
   * Give the returned area to a device as `cmaArea` (`rmem_cma_device_init`).
   */
  rmemCmaSetup(node: SharedDmaPoolNode): Cma {
    if (this.cmdlineGiven && node.linuxCmaDefault === true) {
      this.areas.printk(
        'info',
        `Reserved memory: bypass ${node.name} node, using cmdline CMA params instead`,
      );
      throw new SocmemError(
        'EBUSY',
        `reserved-memory ${node.name}: cma= given, linux,cma-default node skipped`,
      );
    }
    if (node.reusable !== true || node.noMap === true) {
      throw new SocmemError(
        'EINVAL',
        `reserved-memory ${node.name}: a CMA pool must be reusable and mapped`,
      );
    }
    const align = this.areas.minAlignmentBytes;
    if (node.base % align !== 0 || node.size % align !== 0) {
      this.areas.printk('err', 'Reserved memory: incorrect alignment of CMA region');
      throw new SocmemError(
        'EINVAL',
        `reserved-memory ${node.name}: ${hex(node.base)}+${hex(node.size)} is not aligned to ${hex(align)}`,
      );
    }
    const memblock = this.areas.memblock;
    if (
      memblock.isRegionReserved(node.base, node.size) ||
      !memblock.isRegionMemory(node.base, node.size)
    ) {
      throw new SocmemError(
        'EBUSY',
        `reserved-memory ${node.name}: ${hex(node.base)}+${hex(node.size)} overlaps a reservation or is not memory`,
      );
    }
    memblock.reserve(node.base, node.size);
    const cma = cmaInitReservedMemOrFree(this.areas, node.base, node.size, 0, node.name);
    if (node.linuxCmaDefault === true) this.defaultArea = cma;
    this.areas.printk(
      'info',
      `Reserved memory: created CMA memory pool at ${hex(node.base)}, size ${node.size / 0x10_0000} MiB`,
    );
    return cma;
  }

  /** `dev_get_cma_area`: the device's own area, else the default one. */
  devGetCmaArea(dev: CmaDevice): Cma | null {
    return dev.cmaArea ?? this.defaultArea;
  }

  /**
   * `dma_alloc_from_contiguous`: `count` pages from the device's area (or the default one),
   * alignment capped at CONFIG_CMA_ALIGNMENT. Throws as `cmaAlloc` does; ENODEV without area.
   */
  dmaAllocFromContiguous(dev: CmaDevice, count: number, align: number, noWarn = false): number {
    const cma = this.devGetCmaArea(dev);
    if (cma === null) throw new SocmemError('ENODEV', `dma: ${dev.name} has no CMA area`);
    return cmaAlloc(cma, count, Math.min(align, CONFIG_CMA_ALIGNMENT), noWarn);
  }

  /** `dma_release_from_contiguous`: false when the pages are not from the device's area. */
  dmaReleaseFromContiguous(dev: CmaDevice, pfn: number, count: number): boolean {
    const cma = this.devGetCmaArea(dev);
    return cma !== null && cmaRelease(cma, pfn, count);
  }

  /**
   * `dma_alloc_contiguous(dev, size, gfp)`: returns the first pfn, or null when the caller
   * must use the buddy allocator instead: non-blocking gfp; single pages without a device
   * area; no area; or a failed allocation. A device's own area has no fallback to the
   * default one. Alignment is min(get_order(size), CONFIG_CMA_ALIGNMENT).
   */
  dmaAllocContiguous(dev: CmaDevice, size: number, gfp: number): number | null {
    if (!gfpflagsAllowBlocking(gfp)) return null;
    const pageSize = this.areas.pageSize;
    const noWarn = (gfp & __GFP_NOWARN) !== 0;
    if (dev.cmaArea) return this.cmaAllocAligned(dev.cmaArea, size, noWarn);
    if (size <= pageSize) return null;
    if (this.defaultArea === null) return null;
    return this.cmaAllocAligned(this.defaultArea, size, noWarn);
  }

  /**
   * `dma_free_contiguous`: releases to the device's area, else the default one; pages from
   * neither go back to the buddy allocator with `__free_pages(page, get_order(size))`.
   */
  dmaFreeContiguous(dev: CmaDevice, pfn: number, size: number): void {
    const pageSize = this.areas.pageSize;
    const count = Math.ceil(size / pageSize);
    if (dev.cmaArea) {
      if (cmaRelease(dev.cmaArea, pfn, count)) return;
    } else if (this.defaultArea !== null && cmaRelease(this.defaultArea, pfn, count)) {
      return;
    }
    this.areas.buddyAllocator.freePfn(pfn, getOrder(size, pageSize));
  }

  private cmaAllocAligned(cma: Cma, size: number, noWarn: boolean): number | null {
    const align = Math.min(getOrder(size, this.areas.pageSize), CONFIG_CMA_ALIGNMENT);
    try {
      return cmaAlloc(cma, Math.floor(size / this.areas.pageSize), align, noWarn);
    } catch (error) {
      if (SocmemError.isInstance(error)) return null;
      throw error;
    }
  }
}

/** `get_order(size)`: the smallest order whose block holds `size` bytes. */
export function getOrder(size: number, pageSize: number): number {
  let order = 0;
  while (pageSize * 2 ** order < size) order++;
  return order;
}
