import { SocmemError } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { allocContigRange, type ContigRangeStats } from '../../src/mm/alloc-contig-range';
import { COMPACT_CLUSTER_MAX, MIGRATE_MOVABLE } from '../../src/mm/constants';
import { GFP_KERNEL } from '../../src/mm/gfp';
import { MovableMemory } from '../../src/mm/movable-memory';
import { bootBuddy } from '../helpers';

/** 128 movable pages at consecutive pfns from the start of a fresh 16 MiB machine. */
function setup(): {
  buddy: ReturnType<typeof bootBuddy>['buddy'];
  memory: MovableMemory;
  pages: number[];
  first: number;
} {
  const { buddy } = bootBuddy();
  const memory = new MovableMemory(buddy, 'anon');
  const pages = Array.from({ length: 128 }, () => memory.allocPage());
  const first = memory.pfn(pages[0]!);
  pages.forEach((page, k) => {
    expect(memory.pfn(page)).toBe(first + k);
  });
  return { buddy, memory, pages, first };
}

function stats(): ContigRangeStats {
  return { migrated: 0, busyPfn: -1, busyReason: '' };
}

function attempt(
  buddy: ReturnType<typeof bootBuddy>['buddy'],
  first: number,
  out: ContigRangeStats,
): string {
  try {
    allocContigRange(
      buddy,
      first,
      first + 128,
      MIGRATE_MOVABLE,
      buddy.owners.id('contig'),
      GFP_KERNEL,
      out,
    );
  } catch (error) {
    if (SocmemError.isInstance(error)) return error.code;
    throw error;
  }
  return 'ok';
}

// mm/page_alloc.c __alloc_contig_migrate_range (v6.16): isolate_migratepages_range takes up to
// COMPACT_CLUSTER_MAX pages, migrate_pages moves them, `++tries == 5` ends the call with -EBUSY.
describe('__alloc_contig_migrate_range: batches of COMPACT_CLUSTER_MAX pages', () => {
  it('a page that fails migration stops the call: later batches are not migrated', () => {
    const { buddy, memory, pages, first } = setup();
    expect(COMPACT_CLUSTER_MAX).toBe(32);
    const stuck = pages[5]!;
    memory.getPage(stuck); // isolated (refcount 2 - 1 <= mapcount 1), then -EAGAIN in migration
    const out = stats();
    expect(attempt(buddy, first, out)).toBe('EBUSY');
    expect(out.busyPfn).toBe(first + 5);
    expect(out.busyReason).toMatch(/refcount 2/);
    // The other 31 pages of the first batch moved; pages 32..127 were never isolated.
    expect(out.migrated).toBe(31);
    pages.forEach((page, k) => {
      if (k === 5 || k >= 32) expect(memory.pfn(page)).toBe(first + k);
      else expect(memory.pfn(page) < first || memory.pfn(page) >= first + 128).toBe(true);
    });
    buddy.checkInvariants();
    memory.putPage(stuck);
    expect(attempt(buddy, first, stats())).toBe('ok');
    buddy.checkInvariants();
  });

  it('a failing page in the third batch: the first two batches moved, the fourth did not', () => {
    const { buddy, memory, pages, first } = setup();
    memory.getPage(pages[70]!);
    const out = stats();
    expect(attempt(buddy, first, out)).toBe('EBUSY');
    expect(out.migrated).toBe(95); // batches [0, 32), [32, 64), and 31 of [64, 96)
    for (let k = 96; k < 128; k++) expect(memory.pfn(pages[k]!)).toBe(first + k);
    buddy.checkInvariants();
  });

  it('a pinned page is skipped at isolation (isolate_migratepages_block), so every batch moves', () => {
    // "Migration will fail if an anonymous page is pinned": FOLL_PIN adds GUP_PIN_COUNTING_BIAS
    // to the refcount, refcount - 1 > mapcount, the page is never isolated; the scan goes on,
    // and test_pages_isolated reports the range busy.
    const { buddy, memory, pages, first } = setup();
    memory.pin(pages[5]!);
    const out = stats();
    expect(attempt(buddy, first, out)).toBe('EBUSY');
    expect(out.busyPfn).toBe(first + 5);
    expect(out.busyReason).toMatch(/pinned/);
    expect(out.migrated).toBe(127);
    expect(memory.pfn(pages[5]!)).toBe(first + 5);
    expect(memory.pfn(pages[127]!) >= first + 128 || memory.pfn(pages[127]!) < first).toBe(true);
    buddy.checkInvariants();
  });
});
