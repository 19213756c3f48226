import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GFP_HIGHUSER_MOVABLE } from '../../src/mm/gfp';
import { bootBuddy } from '../helpers';

const MAX_ORDER = 10; // MAX_PAGE_ORDER for 4 KiB pages

/**
 * A plain reference of Linux's buddy free lists for one migratetype (mm/page_alloc.c, v6.16):
 * __rmqueue_smallest takes the list head, expand() puts the upper halves at the head,
 * __free_one_page merges and puts the result at the tail when buddy_merge_likely says so,
 * __free_pages_core (boot) always at the tail.
 */
class ReferenceLists {
  readonly lists: number[][] = Array.from({ length: MAX_ORDER + 1 }, () => []);
  readonly freeOrder = new Map<number, number>();

  constructor(
    private readonly start: number,
    private readonly end: number,
  ) {}

  alloc(order: number): number {
    let current = order;
    while (current <= MAX_ORDER && this.lists[current]!.length === 0) current++;
    if (current > MAX_ORDER) return -1;
    const pfn = this.lists[current]!.shift()!;
    this.freeOrder.delete(pfn);
    while (current > order) {
      current--;
      const upper = pfn + 2 ** current;
      this.lists[current]!.unshift(upper);
      this.freeOrder.set(upper, current);
    }
    return pfn;
  }

  free(pfn: number, order: number, toTail = false): void {
    while (order < MAX_ORDER) {
      const buddy = pfn ^ (2 ** order);
      if (buddy < this.start || buddy >= this.end || this.freeOrder.get(buddy) !== order) break;
      this.freeOrder.delete(buddy);
      const list = this.lists[order]!;
      list.splice(list.indexOf(buddy), 1);
      pfn = Math.min(pfn, buddy);
      order++;
    }
    let tail = toTail;
    if (!tail && order < MAX_ORDER - 1) {
      const higher = pfn & ~(2 ** order);
      const higherBuddy = higher ^ (2 ** (order + 1));
      tail = this.freeOrder.get(higherBuddy) === order + 1;
    }
    if (tail) this.lists[order]!.push(pfn);
    else this.lists[order]!.unshift(pfn);
    this.freeOrder.set(pfn, order);
  }
}

describe('free-list order against a reference (mm/page_alloc.c __free_one_page, buddy_merge_likely)', () => {
  it('random movable alloc/free sequences hand out the same pfns as the reference', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('alloc' as const),
              order: fc.integer({ min: 0, max: 2 }),
            }),
            fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
          ),
          { minLength: 150, maxLength: 300 },
        ),
        (ops) => {
          const { buddy } = bootBuddy();
          const span = buddy.frames.spans[0]!;
          const reference = new ReferenceLists(span.startPfn, span.endPfn);
          for (let pfn = span.startPfn; pfn < span.endPfn; pfn += 2 ** MAX_ORDER)
            reference.free(pfn, MAX_ORDER, true);
          const live: { pfn: number; order: number }[] = [];
          let used = 0;
          for (const op of ops) {
            if (op.kind === 'alloc') {
              if (used + 2 ** op.order > 2048) continue;
              const pfn = buddy.allocPagesGfp(GFP_HIGHUSER_MOVABLE, op.order, 'p');
              expect(pfn).toBe(reference.alloc(op.order));
              live.push({ pfn, order: op.order });
              used += 2 ** op.order;
            } else if (live.length > 0) {
              const entry = live.splice(op.pick % live.length, 1)[0]!;
              buddy.freePfn(entry.pfn, entry.order);
              reference.free(entry.pfn, entry.order);
              used -= 2 ** entry.order;
            }
            buddy.checkInvariants();
          }
        },
      ),
      { seed: 0x5eed, numRuns: 40 },
    );
  });
});
