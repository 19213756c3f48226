import { SocmemError } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import type { MemorySystem } from '../src/boot';
import type { Cma } from '../src/cma/cma';
import { cmaAlloc, cmaRelease } from '../src/cma/cma-alloc';
import { MovableMemory } from '../src/mm/movable-memory';
import { bootCma, MiB } from './helpers';

/**
 * A scenario touching every allocation site: page-table pages (PageAllocator), movable pages
 * borrowing CMA, a long-term pin (migration out of CMA), cmaAlloc migrating pages, and a DMA
 * buffer. Whatever fails, teardown frees what was taken; nothing may leak.
 */
function scenario(mm: MemorySystem, cma: Cma): void {
  const memory = new MovableMemory(mm.buddy, 'anon');
  const tables: number[] = [];
  const cmaPages: { pfn: number; count: number }[] = [];
  try {
    for (let k = 0; k < 3; k++) tables.push(mm.buddy.allocPages(k, 'io-pgtable'));
    for (let k = 0; k < 40; k++) {
      const page = memory.allocPage();
      mm.machine.cpu.write32(memory.physAddr(page), page);
    }
    memory.pin(memory.pages()[0]!, { longterm: true });
    cmaPages.push({ pfn: cmaAlloc(cma, 64, 4), count: 64 });
    cmaPages.push({ pfn: cmaAlloc(cma, 16, 0), count: 16 });
  } catch (error) {
    if (!SocmemError.isInstance(error, 'ENOMEM')) throw error;
  } finally {
    for (const { pfn, count } of cmaPages) expect(cmaRelease(cma, pfn, count)).toBe(true);
    tables.forEach((pa, order) => {
      mm.buddy.freePages(pa, order);
    });
    for (const page of memory.pages()) {
      try {
        memory.unpin(page);
      } catch {
        // not pinned
      }
    }
    expect(memory.freeAll()).toBe(0);
  }
}

function boot(): { mm: MemorySystem; cma: Cma } {
  // 8 MiB of RAM, 4 MiB of it CMA: movable pages land in CMA first (balancing rule).
  return bootCma({ ramSize: 8 * MiB, base: 0x4040_0000, size: 4 * MiB });
}

describe('fault injection at every allocation site (buddy-alloc, cma-alloc)', () => {
  for (const site of ['buddy-alloc', 'cma-alloc']) {
    it(`${site}: failing each call in turn leaks nothing and keeps invariants`, () => {
      const dry = boot();
      scenario(dry.mm, dry.cma);
      const calls = dry.mm.machine.failPoints.calls(site);
      expect(calls).toBeGreaterThan(1);
      expect(dry.mm.buddy.migrator.migrated).toBeGreaterThan(30); // the pin and cmaAlloc migrated pages
      for (let nth = 1; nth <= calls; nth++) {
        const { mm, cma } = boot();
        mm.machine.failPoints.arm(site, { nth });
        scenario(mm, cma);
        expect(mm.machine.failPoints.failures(site)).toBe(1);
        expect(mm.buddy.leakReport()).toEqual([]);
        expect(cma.availableCount).toBe(cma.count);
        mm.checkInvariants();
      }
    });
  }
});
