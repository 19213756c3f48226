import { InvariantError } from '@socmem/hw-sim';
import { MIGRATE_CMA } from '../mm/constants';
import { PG_ALLOCATED, PG_CONTIG } from '../mm/page-frames';
import type { Cma } from './cma';

/** /sys/kernel/mm/cma/<name>/ (CONFIG_CMA_SYSFS), in pages. */
export interface CmaSysfs {
  readonly alloc_pages_success: number;
  readonly alloc_pages_fail: number;
  readonly release_pages_success: number;
  readonly total_pages: number;
  readonly available_pages: number;
}

/** /sys/kernel/debug/cma/<name>/ (mm/cma_debug.c). */
export interface CmaDebugfs {
  readonly count: number;
  readonly order_per_bit: number;
  /** count - available_count (the 2024 definition). */
  readonly used: number;
  /** Largest run of clear bits over all ranges, in pages. */
  readonly maxchunk: number;
  readonly ranges: readonly { readonly base_pfn: number; readonly bitmap: Uint32Array }[];
}

/** The sysfs counters of an area. */
export function cmaSysfs(cma: Cma): CmaSysfs {
  return {
    alloc_pages_success: cma.nrPagesSucceeded,
    alloc_pages_fail: cma.nrPagesFailed,
    release_pages_success: cma.nrPagesReleased,
    total_pages: cma.count,
    available_pages: cma.availableCount,
  };
}

/** The debugfs files of an area. */
export function cmaDebugfs(cma: Cma): CmaDebugfs {
  let maxchunk = 0;
  for (const range of cma.ranges) {
    if (range.bitmap !== null) maxchunk = Math.max(maxchunk, range.bitmap.longestZeroRun());
  }
  return {
    count: cma.count,
    order_per_bit: cma.orderPerBit,
    used: cma.count - cma.availableCount,
    maxchunk: maxchunk * 2 ** cma.orderPerBit,
    ranges: cma.ranges.map((range) => ({
      base_pfn: range.basePfn,
      bitmap: range.bitmap?.copyWords() ?? new Uint32Array(0),
    })),
  };
}

/** `cma_debug_show_areas`: the free runs of every range as pages@bit, then the totals. */
export function cmaDebugShowAreas(cma: Cma): string {
  const parts: string[] = ['number of available pages: '];
  cma.ranges.forEach((range, r) => {
    const bitmap = range.bitmap;
    let line = `range ${r}: `;
    if (bitmap !== null) {
      let start = 0;
      for (;;) {
        const zero = bitmap.findNextZeroBit(start);
        if (zero >= bitmap.size) break;
        const set = bitmap.findNextBit(zero);
        // The kernel prints '+' before every run that does not start at bit 0 (not "after the first run").
        line += `${zero > 0 ? '+' : ''}${(set - zero) * 2 ** cma.orderPerBit}@${zero}`;
        start = set;
      }
    }
    parts.push(line);
  });
  parts.push(`=> ${cma.availableCount} free of ${cma.count} total pages`);
  return parts.join('\n');
}

/**
 * Checks an area against the buddy allocator: bitmap sizes, claimed pages never more than
 * the bits cover, every CMA-owned frame under a set bit, and every unclaimed page of an
 * active area in a MIGRATE_CMA pageblock.
 */
export function cmaCheckInvariants(cma: Cma): void {
  const where = `cma ${cma.name}`;
  if (cma.availableCount < 0 || cma.availableCount > cma.count) {
    throw new InvariantError(
      where,
      `available_count ${cma.availableCount} outside 0..${cma.count}`,
    );
  }
  if (!cma.activated || cma.count === 0) return;
  const buddy = cma.buddy;
  const frames = buddy.frames;
  let claimedPages = 0;
  let total = 0;
  for (const range of cma.ranges) {
    total += range.count;
    const bitmap = range.bitmap!;
    if (bitmap.size !== Math.floor(range.count / 2 ** cma.orderPerBit))
      throw new InvariantError(where, `bitmap of ${bitmap.size} bits`);
    claimedPages += bitmap.weight() * 2 ** cma.orderPerBit;
    for (let pfn = range.basePfn; pfn < range.endPfn; pfn++) {
      const index = frames.indexOf(pfn);
      const bit = Math.floor((pfn - range.basePfn) / 2 ** cma.orderPerBit);
      const ours =
        (frames.flags[index]! & (PG_ALLOCATED | PG_CONTIG)) === (PG_ALLOCATED | PG_CONTIG) &&
        frames.owner[index] === cma.ownerId;
      if (ours && !bitmap.test(bit))
        throw new InvariantError(where, `pfn ${pfn} is allocated but its bit is clear`);
      if (
        pfn >= range.earlyPfn &&
        frames.underlyingType(index >>> buddy.pageblockOrder) !== MIGRATE_CMA
      ) {
        throw new InvariantError(where, `pfn ${pfn} is not in a MIGRATE_CMA pageblock`);
      }
    }
  }
  if (total !== cma.count)
    throw new InvariantError(where, `ranges hold ${total} pages, count is ${cma.count}`);
  if (cma.count - cma.availableCount > claimedPages) {
    throw new InvariantError(
      where,
      `${cma.count - cma.availableCount} pages used but bits cover only ${claimedPages}`,
    );
  }
}
