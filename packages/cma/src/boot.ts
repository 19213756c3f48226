import type { Machine } from '@socmem/hw-sim';
import { cmaActivateAreas } from './cma/cma-activate';
import { CmaAreas } from './cma/cma-areas';
import { cmaCheckInvariants } from './cma/cma-debug';
import { DmaContiguous, type DmaContiguousConfig } from './contiguous/contiguous';
import { BuddyAllocator, type BuddyAllocatorOptions } from './mm/buddy-allocator';
import { ZONE_DMA32_LIMIT } from './mm/constants';
import { Memblock, type PhysRange } from './mm/memblock';

/** How to boot the memory-management model of a machine. */
export interface BootMemoryOptions extends BuddyAllocatorOptions {
  /** Memblock reservations made before anything else (firmware, kernel image). */
  readonly reserved?: readonly PhysRange[];
  /** The default area: `cma=` value and Kconfig sizes. `false` for no default area. */
  readonly contiguous?: DmaContiguousConfig | false;
  /** Limit passed to `dma_contiguous_reserve`. Default: 4 GiB when RAM starts below it (arm64's DMA32 limit), else none. */
  readonly dmaLimit?: number;
  /** Declares more areas (cmaDeclareContiguous, rmemCmaSetup) before memory goes to the buddy allocator. */
  readonly declare?: (mm: MemorySystem) => void;
  /** CONFIG_CMA_AREAS. Default 8. */
  readonly maxAreas?: number;
  /** Install the buddy allocator as the machine's page allocator. Default true. */
  readonly installPageAllocator?: boolean;
}

/** The booted memory-management model. */
export interface MemorySystem {
  readonly machine: Machine;
  readonly buddy: BuddyAllocator;
  readonly memblock: Memblock;
  readonly cma: CmaAreas;
  readonly contiguous: DmaContiguous;
  /** Checks the buddy allocator and every CMA area. */
  checkInvariants(): void;
}

/**
 * Boots memory the way arm64 Linux does: memblock, `dma_contiguous_reserve` (default area
 * from `cma=` or Kconfig), other area declarations, `memblock_free_all` into the buddy
 * allocator, then `cma_init_reserved_areas` turning every area's pageblocks into MIGRATE_CMA.
 * Create the machine with `pageAllocator: false`.
 */
export function bootMemory(machine: Machine, options: BootMemoryOptions = {}): MemorySystem {
  const buddy = new BuddyAllocator(machine, options);
  const memblock = Memblock.forBuddy(buddy);
  for (const range of options.reserved ?? []) memblock.reserve(range.base, range.size);
  const cma = new CmaAreas(
    buddy,
    memblock,
    options.maxAreas === undefined ? {} : { maxAreas: options.maxAreas },
  );
  const contiguous = new DmaContiguous(cma);
  const mm: MemorySystem = {
    machine,
    buddy,
    memblock,
    cma,
    contiguous,
    checkInvariants() {
      buddy.checkInvariants();
      for (const area of cma.areas) cmaCheckInvariants(area);
    },
  };
  if (options.contiguous !== false) {
    const firstBase = memblock.memory[0]?.base ?? 0;
    const limit =
      options.dmaLimit ??
      (firstBase < ZONE_DMA32_LIMIT ? Math.min(ZONE_DMA32_LIMIT, memblock.end) : 0);
    contiguous.reserve(limit, options.contiguous ?? {});
  }
  options.declare?.(mm);
  memblock.freeAll(buddy);
  cmaActivateAreas(cma);
  if (options.installPageAllocator ?? true) machine.setPageAllocator(buddy);
  return mm;
}
