import { SocmemError } from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cmaAlloc, cmaRelease } from '../../src/cma/cma-alloc';
import { cmaDebugfs } from '../../src/cma/cma-debug';
import { MIGRATE_CMA } from '../../src/mm/constants';
import { GFP_KERNEL } from '../../src/mm/gfp';
import { MovableMemory } from '../../src/mm/movable-memory';
import { bootCma, MiB } from '../helpers';

type Op =
  | { kind: 'allocUnmovable'; order: number }
  | { kind: 'freeUnmovable'; pick: number }
  | { kind: 'allocMovable'; count: number }
  | { kind: 'freeMovable'; pick: number }
  | { kind: 'migrate'; pick: number }
  | { kind: 'pin'; pick: number; longterm: boolean }
  | { kind: 'unpin'; pick: number }
  | { kind: 'cmaAlloc'; count: number; align: number }
  | { kind: 'cmaRelease'; pick: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('allocUnmovable' as const),
    order: fc.integer({ min: 0, max: 4 }),
  }),
  fc.record({ kind: fc.constant('freeUnmovable' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('allocMovable' as const),
    count: fc.integer({ min: 1, max: 600 }),
  }),
  fc.record({ kind: fc.constant('freeMovable' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('migrate' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('pin' as const), pick: fc.nat(), longterm: fc.boolean() }),
  fc.record({ kind: fc.constant('unpin' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('cmaAlloc' as const),
    count: fc.integer({ min: 1, max: 700 }),
    align: fc.integer({ min: 0, max: 9 }),
  }),
  fc.record({ kind: fc.constant('cmaRelease' as const), pick: fc.nat() }),
);

// Reference model: which pages each user holds, what they contain, which CMA ranges are
// allocated. After every step: checkInvariants() on buddy and area, and the model agrees.
describe('random alloc/free/migrate/pin/cmaAlloc sequences (property)', () => {
  it('keep the allocator, the area and the model consistent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.array(opArbitrary, { minLength: 1, maxLength: 40 }),
        (orderPerBit, ops) => {
          const { mm, cma } = bootCma({
            ramSize: 16 * MiB,
            base: 0x4040_0000,
            size: 4 * MiB,
            orderPerBit,
          });
          const buddy = mm.buddy;
          const memory = new MovableMemory(buddy, 'anon');
          const movable = new Map<number, { value: number; pins: number }>();
          const unmovable: { pfn: number; order: number }[] = [];
          const cmaAllocs: { pfn: number; count: number }[] = [];
          let stamp = 1;
          const keys = () => [...movable.keys()];
          for (const op of ops) {
            try {
              switch (op.kind) {
                case 'allocUnmovable':
                  unmovable.push({
                    pfn: buddy.allocPagesGfp(GFP_KERNEL, op.order, 'drv'),
                    order: op.order,
                  });
                  break;
                case 'freeUnmovable': {
                  const entry = unmovable.splice(op.pick % Math.max(1, unmovable.length), 1)[0];
                  if (entry !== undefined) buddy.freePfn(entry.pfn, entry.order);
                  break;
                }
                case 'allocMovable':
                  for (let k = 0; k < op.count; k++) {
                    const page = memory.allocPage();
                    const value = stamp++;
                    mm.machine.cpu.write32(memory.physAddr(page), value);
                    movable.set(page, { value, pins: 0 });
                  }
                  break;
                case 'freeMovable': {
                  const page = keys()[op.pick % Math.max(1, movable.size)];
                  if (page !== undefined && movable.get(page)!.pins === 0) {
                    memory.freePage(page);
                    movable.delete(page);
                  }
                  break;
                }
                case 'migrate': {
                  const page = keys()[op.pick % Math.max(1, movable.size)];
                  if (page !== undefined)
                    buddy.migrator.migratePage(buddy.frames.indexOf(memory.pfn(page)));
                  break;
                }
                case 'pin': {
                  const page = keys()[op.pick % Math.max(1, movable.size)];
                  if (page !== undefined) {
                    memory.pin(page, { longterm: op.longterm });
                    movable.get(page)!.pins++;
                    if (op.longterm) expect(cma.rangeOf(memory.pfn(page))).toBeNull();
                  }
                  break;
                }
                case 'unpin': {
                  const all = keys();
                  const from = op.pick % Math.max(1, all.length);
                  const page = all.find(
                    (key, index) => index >= from && movable.get(key)!.pins > 0,
                  );
                  if (page !== undefined) {
                    memory.unpin(page);
                    movable.get(page)!.pins--;
                  }
                  break;
                }
                case 'cmaAlloc': {
                  const pfn = cmaAlloc(cma, op.count, op.align, true);
                  expect(pfn % 2 ** op.align).toBe(0);
                  expect(cma.rangeOf(pfn)).not.toBeNull();
                  expect(cma.rangeOf(pfn + op.count - 1)).not.toBeNull();
                  for (const other of cmaAllocs) {
                    expect(pfn + op.count <= other.pfn || other.pfn + other.count <= pfn).toBe(
                      true,
                    );
                  }
                  cmaAllocs.push({ pfn, count: op.count });
                  break;
                }
                case 'cmaRelease': {
                  const entry = cmaAllocs.splice(op.pick % Math.max(1, cmaAllocs.length), 1)[0];
                  if (entry !== undefined)
                    expect(cmaRelease(cma, entry.pfn, entry.count)).toBe(true);
                  break;
                }
              }
            } catch (error) {
              // Only Linux's errors are acceptable: memory full, busy ranges, pinned pages.
              if (!SocmemError.isInstance(error) || !['ENOMEM', 'EBUSY'].includes(error.code))
                throw error;
            }
            mm.checkInvariants();
            // MIGRATE_CMA pageblocks only ever serve movable requests (ALLOC_CMA).
            for (const entry of unmovable)
              expect(buddy.frames.pageblockMigratetype(entry.pfn)).not.toBe(MIGRATE_CMA);
            for (const [page, entry] of movable)
              expect(mm.machine.cpu.read32(memory.physAddr(page))).toBe(entry.value);
            const used = cmaAllocs.reduce((sum, entry) => sum + entry.count, 0);
            expect(cmaDebugfs(cma).used).toBe(used);
            const held =
              unmovable.reduce((sum, entry) => sum + 2 ** entry.order, 0) + movable.size + used;
            expect(buddy.freePageCount).toBe(4096 - held);
          }
        },
      ),
      { seed: 20250504, numRuns: 60 },
    );
  });
});
