import { MAX_NR_ZONES, MIGRATE_TYPES } from './constants';
import type { PageFrames } from './page-frames';

// add/remove/first run on every allocation and free, so MIGRATE_TYPES (6) and PG_BUDDY (1)
// appear there as literals: V8 reloads a module-level const from the module context on
// every access (~1 ns each).

/**
 * `zone->free_area[order].free_list[migratetype]` for every zone: intrusive doubly linked
 * lists threaded through the frames' `next`/`prev` arrays, plus the counters Linux keeps
 * (`nr_free` per order, NR_FREE_PAGES and NR_FREE_CMA_PAGES per zone).
 */
export class FreeArea {
  readonly orders: number;
  /** Head frame index per (zone, order, migratetype); -1 when empty. */
  readonly heads: Int32Array;
  /** Tail frame index per (zone, order, migratetype); -1 when empty (for `list_add_tail`). */
  readonly tails: Int32Array;
  /** Blocks per (zone, order, migratetype). */
  readonly blocks: Int32Array;
  /** Free pages per (zone, migratetype). */
  readonly pagesByType: Float64Array;
  private readonly frames: PageFrames;

  constructor(frames: PageFrames, maxPageOrder: number) {
    this.frames = frames;
    this.orders = maxPageOrder + 1;
    const lists = MAX_NR_ZONES * this.orders * MIGRATE_TYPES;
    this.heads = new Int32Array(lists).fill(-1);
    this.tails = new Int32Array(lists).fill(-1);
    this.blocks = new Int32Array(lists);
    this.pagesByType = new Float64Array(MAX_NR_ZONES * MIGRATE_TYPES);
  }

  /** Index of the (zone, order, migratetype) list in `heads` and `blocks`. */
  listIndex(zone: number, order: number, migratetype: number): number {
    return (zone * this.orders + order) * 6 + migratetype; // 6 = MIGRATE_TYPES
  }

  /** Puts the block headed by `index` on the (zone, order, migratetype) list, at the head. */
  add(index: number, order: number, migratetype: number, zone: number): void {
    const frames = this.frames;
    const list = this.listIndex(zone, order, migratetype);
    const head = this.heads[list]!;
    frames.flags[index] = frames.flags[index]! | 1; // PG_BUDDY
    frames.order[index] = order;
    frames.listType[index] = migratetype;
    frames.prev[index] = -1;
    frames.next[index] = head;
    if (head >= 0) frames.prev[head] = index;
    else this.tails[list] = index;
    this.heads[list] = index;
    this.blocks[list]!++;
    this.pagesByType[zone * 6 + migratetype]! += 1 << order; // 6 = MIGRATE_TYPES
  }

  /**
   * Puts the block headed by `index` at the tail of the (zone, order, migratetype) list
   * (`__add_to_free_list(..., tail = true)`): it is taken last, so it has time to merge.
   */
  addTail(index: number, order: number, migratetype: number, zone: number): void {
    const frames = this.frames;
    const list = this.listIndex(zone, order, migratetype);
    const tail = this.tails[list]!;
    frames.flags[index] = frames.flags[index]! | 1; // PG_BUDDY
    frames.order[index] = order;
    frames.listType[index] = migratetype;
    frames.next[index] = -1;
    frames.prev[index] = tail;
    if (tail >= 0) frames.next[tail] = index;
    else this.heads[list] = index;
    this.tails[list] = index;
    this.blocks[list]!++;
    this.pagesByType[zone * 6 + migratetype]! += 1 << order; // 6 = MIGRATE_TYPES
  }

  /** Takes the block headed by `index` off its list. */
  remove(index: number, zone: number): void {
    const frames = this.frames;
    const order = frames.order[index]!;
    const migratetype = frames.listType[index]!;
    const list = this.listIndex(zone, order, migratetype);
    const prev = frames.prev[index]!;
    const next = frames.next[index]!;
    if (prev >= 0) frames.next[prev] = next;
    else this.heads[list] = next;
    if (next >= 0) frames.prev[next] = prev;
    else this.tails[list] = prev;
    frames.flags[index] = frames.flags[index]! & ~1; // PG_BUDDY
    this.blocks[list]!--;
    this.pagesByType[zone * 6 + migratetype]! -= 1 << order; // 6 = MIGRATE_TYPES
  }

  /** Head of a list, or -1. */
  first(zone: number, order: number, migratetype: number): number {
    return this.heads[this.listIndex(zone, order, migratetype)]!;
  }

  /** NR_FREE_PAGES: free pages of a zone; isolated free pages do not count (account_freepages). */
  zoneFreePages(zone: number): number {
    // Every type but MIGRATE_ISOLATE (5, the last of MIGRATE_TYPES = 6), unrolled with
    // literals: movable allocations read this on every call (the CMA balancing rule).
    const byType = this.pagesByType;
    const base = zone * 6;
    return (
      byType[base]! + byType[base + 1]! + byType[base + 2]! + byType[base + 3]! + byType[base + 4]!
    );
  }

  /** NR_FREE_CMA_PAGES of a zone. */
  zoneFreeCmaPages(zone: number): number {
    return this.pagesByType[zone * 6 + 4]!; // MIGRATE_TYPES = 6, MIGRATE_CMA = 4 (hot: see above)
  }

  /** Free pages of one migratetype in a zone. */
  freePagesOfType(zone: number, migratetype: number): number {
    return this.pagesByType[zone * MIGRATE_TYPES + migratetype]!;
  }

  /** `nr_free` of one order in a zone (all migratetypes). */
  blocksOfOrder(zone: number, order: number): number {
    let total = 0;
    for (let type = 0; type < MIGRATE_TYPES; type++)
      total += this.blocks[this.listIndex(zone, order, type)]!;
    return total;
  }
}
