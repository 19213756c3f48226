import { hex, SocmemError } from '@socmem/hw-sim';
import { MIGRATE_MOVABLE, ZONE_DMA32, ZONE_DMA32_LIMIT, ZONE_NORMAL } from './constants';

/** Per-frame flag bits (the few `struct page` flags the model needs). */
export const PG_BUDDY = 1; // first frame of a free buddy block (PageBuddy)
export const PG_ALLOCATED = 2; // frame belongs to an allocated block
export const PG_HEAD = 4; // first frame of an allocation
export const PG_LRU = 8; // a movable user's page (page cache / anonymous), migratable
export const PG_RESERVED = 16; // not handed to the buddy allocator (memblock-reserved)
export const PG_CONTIG = 32; // taken by alloc_contig_range (CMA allocations)

/** The isolate bit of a pageblock's flags; the low bits keep the underlying migratetype. */
export const PB_MIGRATE_ISOLATE_BIT = 0x8;
const PB_TYPE_MASK = 0x7;

/** A run of frames with no hole, inside one zone. */
export interface MemSpan {
  readonly startPfn: number;
  readonly endPfn: number;
  /** Frame index of `startPfn`. */
  readonly offset: number;
  readonly zone: number;
}

/**
 * The memory map: per-frame state in typed arrays (Linux's `struct page` array, reduced to
 * what the model needs) over the RAM banks, split at the 4 GiB zone line and trimmed to whole
 * pageblocks. Frames are addressed by a dense index; `indexOf(pfn)` maps a pfn to it.
 * A 16 GiB machine (4M frames) costs 22 bytes per frame and no per-frame objects.
 */
export class PageFrames {
  readonly pageSize: number;
  readonly pageShift: number;
  readonly pageblockOrder: number;
  readonly spans: readonly MemSpan[];
  readonly frameCount: number;
  readonly flags: Uint8Array;
  /** Order of a free block (PG_BUDDY) or of an allocation (PG_HEAD). */
  readonly order: Uint8Array;
  /** Migratetype of the free list a PG_BUDDY block is on. */
  readonly listType: Uint8Array;
  readonly refcount: Uint16Array;
  readonly pinCount: Uint16Array;
  /** Owner id of an allocated frame (0 = none). */
  readonly owner: Uint32Array;
  /** Index of the page inside its owner (movable users), like page->index. */
  readonly ownerIndex: Int32Array;
  /** Free list links (frame indices, -1 = none). */
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** Pageblock flags: migratetype in the low bits, PB_MIGRATE_ISOLATE_BIT on top. */
  readonly pageblock: Uint8Array;
  private lastSpan: MemSpan;

  constructor(
    ranges: readonly { base: number; size: number }[],
    pageSize: number,
    pageblockOrder: number,
  ) {
    this.pageSize = pageSize;
    this.pageShift = Math.log2(pageSize);
    this.pageblockOrder = pageblockOrder;
    this.spans = buildSpans(ranges, pageSize, pageblockOrder);
    if (this.spans.length === 0) {
      throw new SocmemError(
        'EINVAL',
        `page frames: no whole pageblock of ${hex(pageSize << pageblockOrder)} bytes in RAM`,
      );
    }
    const last = this.spans[this.spans.length - 1]!;
    this.frameCount = last.offset + (last.endPfn - last.startPfn);
    const n = this.frameCount;
    this.flags = new Uint8Array(n).fill(PG_RESERVED);
    this.order = new Uint8Array(n);
    this.listType = new Uint8Array(n);
    this.refcount = new Uint16Array(n);
    this.pinCount = new Uint16Array(n);
    this.owner = new Uint32Array(n);
    this.ownerIndex = new Int32Array(n);
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
    // memmap_init: every pageblock starts MIGRATE_MOVABLE.
    this.pageblock = new Uint8Array(n >>> pageblockOrder).fill(MIGRATE_MOVABLE);
    this.lastSpan = this.spans[0]!;
  }

  /** The span holding `pfn`, or null for a hole. */
  spanOf(pfn: number): MemSpan | null {
    const last = this.lastSpan;
    if (pfn >= last.startPfn && pfn < last.endPfn) return last;
    for (const span of this.spans) {
      if (pfn >= span.startPfn && pfn < span.endPfn) {
        this.lastSpan = span;
        return span;
      }
    }
    return null;
  }

  /** Frame index of `pfn`, or -1 when the pfn is not in the memory map. */
  indexOf(pfn: number): number {
    const span = this.spanOf(pfn);
    return span === null ? -1 : span.offset + (pfn - span.startPfn);
  }

  /** Frame index of `pfn`; throws EINVAL naming `what` when the pfn is not managed memory. */
  requireIndex(pfn: number, what: string): number {
    const index = Number.isSafeInteger(pfn) ? this.indexOf(pfn) : -1;
    if (index < 0)
      throw new SocmemError('EINVAL', `${what}: pfn ${hex(pfn)} is not in the memory map`);
    return index;
  }

  /** The span holding frame `index` (the last span looked up is tried first). */
  spanOfIndex(index: number): MemSpan {
    const last = this.lastSpan;
    if (index >= last.offset && index < last.offset + (last.endPfn - last.startPfn)) return last;
    for (const span of this.spans) {
      if (index >= span.offset && index < span.offset + (span.endPfn - span.startPfn)) {
        this.lastSpan = span;
        return span;
      }
    }
    throw new SocmemError('EINVAL', `page frames: frame index ${index} out of range`);
  }

  /** The pfn of frame `index`. */
  pfnOf(index: number): number {
    const span = this.spanOfIndex(index);
    return span.startPfn + (index - span.offset);
  }

  /** Zone of frame `index`. */
  zoneOfIndex(index: number): number {
    return this.spanOfIndex(index).zone;
  }

  /**
   * Head index of the free block (PG_BUDDY) of order `minOrder`..`maxOrder` that contains
   * frame `index`, or -1. Buddy blocks are aligned in pfn space, not in frame-index space, so
   * the candidate heads are found from the pfn.
   */
  freeBlockContaining(index: number, minOrder: number, maxOrder: number): number {
    const span = this.spanOfIndex(index);
    const pfn = span.startPfn + (index - span.offset);
    for (let order = minOrder; order <= maxOrder; order++) {
      const headPfn = pfn - (pfn % 2 ** order);
      if (headPfn < span.startPfn) break;
      const head = index - (pfn - headPfn);
      if ((this.flags[head]! & PG_BUDDY) === 0) continue;
      const headOrder = this.order[head]!;
      if (headOrder >= minOrder && head + 2 ** headOrder > index) return head;
    }
    return -1;
  }

  /** The migratetype a pageblock behaves as (MIGRATE_ISOLATE while isolated). */
  effectiveType(pageblockIndex: number): number {
    const value = this.pageblock[pageblockIndex]!;
    // Every free reads this, so literals stand for PB_MIGRATE_ISOLATE_BIT (8), MIGRATE_ISOLATE
    // (5) and PB_TYPE_MASK (7): V8 reloads a module-level const on each access.
    return (value & 8) !== 0 ? 5 : value & 7;
  }

  /** The pageblock's migratetype underneath any isolation (`get_pageblock_migratetype` without the isolate bit). */
  underlyingType(pageblockIndex: number): number {
    return this.pageblock[pageblockIndex]! & PB_TYPE_MASK;
  }

  /** True when the pageblock is isolated. */
  isIsolated(pageblockIndex: number): boolean {
    return (this.pageblock[pageblockIndex]! & PB_MIGRATE_ISOLATE_BIT) !== 0;
  }

  /** Migratetype of the pageblock holding `pfn` (MIGRATE_ISOLATE while isolated). */
  pageblockMigratetype(pfn: number): number {
    return this.effectiveType(this.requireIndex(pfn, 'pageblock') >>> this.pageblockOrder);
  }
}

function buildSpans(
  ranges: readonly { base: number; size: number }[],
  pageSize: number,
  pageblockOrder: number,
): MemSpan[] {
  const blockBytes = pageSize * 2 ** pageblockOrder;
  const pieces: { start: number; end: number }[] = [];
  for (const range of [...ranges].sort((a, b) => a.base - b.base)) {
    // Split at the zone line, then trim each piece to whole pageblocks.
    const cuts = [range.base, range.base + range.size];
    if (range.base < ZONE_DMA32_LIMIT && range.base + range.size > ZONE_DMA32_LIMIT)
      cuts.splice(1, 0, ZONE_DMA32_LIMIT);
    for (let k = 0; k + 1 < cuts.length; k++) {
      const start = Math.ceil(cuts[k]! / blockBytes) * blockBytes;
      const end = Math.floor(cuts[k + 1]! / blockBytes) * blockBytes;
      if (end <= start) continue;
      const previous = pieces[pieces.length - 1];
      if (previous !== undefined && previous.end === start && start !== ZONE_DMA32_LIMIT)
        previous.end = end;
      else pieces.push({ start, end });
    }
  }
  const spans: MemSpan[] = [];
  let offset = 0;
  for (const piece of pieces) {
    const startPfn = piece.start / pageSize;
    const endPfn = piece.end / pageSize;
    spans.push({
      startPfn,
      endPfn,
      offset,
      zone: piece.start < ZONE_DMA32_LIMIT ? ZONE_DMA32 : ZONE_NORMAL,
    });
    offset += endPfn - startPfn;
  }
  return spans;
}
