import { createMachine, type Machine } from '@socmem/hw-sim';
import { bootMemory, type MemorySystem } from '../src/boot';
import type { Cma } from '../src/cma/cma';
import { cmaDeclareContiguous } from '../src/cma/cma-declare';
import { BuddyAllocator, type BuddyAllocatorOptions } from '../src/mm/buddy-allocator';
import { MovableMemory } from '../src/mm/movable-memory';

/** A machine with `banks` of RAM, no hw-sim page allocator, and a buddy allocator owning all of it. */
export function bootBuddy(
  banks: readonly { base: number; size: number }[] = [{ base: 0x4000_0000, size: 16 << 20 }],
  options: BuddyAllocatorOptions & { cache?: boolean; seed?: number } = {},
): { machine: Machine; buddy: BuddyAllocator } {
  const machine = createMachine({
    ram: banks.map((bank, index) => ({ name: `dram${index}`, ...bank })),
    pageAllocator: false,
    cache: { enabled: options.cache ?? false },
    seed: options.seed ?? 1,
  });
  const buddy = new BuddyAllocator(machine, options);
  for (const span of buddy.frames.spans) buddy.freeBootMemory(span.startPfn, span.endPfn);
  machine.setPageAllocator(buddy);
  return { machine, buddy };
}

export const MiB = 1 << 20;

/** A 64 MiB machine at 0x4000_0000 with one fixed CMA area "test". */
export function bootCma(
  options: {
    base?: number;
    size?: number;
    orderPerBit?: number;
    ramSize?: number;
    cache?: boolean;
    seed?: number;
  } = {},
): { mm: MemorySystem; cma: Cma } {
  const machine = createMachine({
    ram: [{ name: 'dram0', base: 0x4000_0000, size: options.ramSize ?? 64 * MiB }],
    pageAllocator: false,
    cache: { enabled: options.cache ?? false },
    seed: options.seed ?? 1,
  });
  let cma: Cma | null = null;
  const mm = bootMemory(machine, {
    contiguous: false,
    declare: (system) => {
      cma = cmaDeclareContiguous(system.cma, {
        base: options.base ?? 0x4200_0000,
        size: options.size ?? 16 * MiB,
        orderPerBit: options.orderPerBit ?? 0,
        fixed: true,
        name: 'test',
      });
    },
  });
  return { mm, cma: cma! };
}

/** Fills all free memory with movable pages of `owner`, each page's first word = its page number. */
export function fillWithMovable(
  mm: MemorySystem,
  name = 'anon',
): { memory: MovableMemory; pages: number[] } {
  const memory = new MovableMemory(mm.buddy, name);
  const pages: number[] = [];
  while (mm.buddy.freePageCount > 0) {
    const page = memory.allocPage();
    mm.machine.cpu.write32(memory.physAddr(page), 0x5a00_0000 + page);
    pages.push(page);
  }
  return { memory, pages };
}

/** Frees `count` movable pages that lie outside [startPfn, endPfn), to make room for migration. */
export function freeOutside(
  memory: MovableMemory,
  pages: number[],
  startPfn: number,
  endPfn: number,
  count: number,
): void {
  let freed = 0;
  for (let k = pages.length - 1; k >= 0 && freed < count; k--) {
    const page = pages[k]!;
    const pfn = memory.pfn(page);
    if (pfn >= startPfn && pfn < endPfn) continue;
    memory.freePage(page);
    pages.splice(k, 1);
    freed++;
  }
}
