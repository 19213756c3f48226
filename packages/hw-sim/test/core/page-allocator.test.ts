import { createMachine, type SimplePageAllocator, SocmemError } from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const BASE = 0x4000_0000;

function setup(pages = 64) {
  const machine = createMachine({
    ram: [{ base: BASE, size: 0x100_0000 }],
    pageAllocator: { base: BASE, size: pages * 4096 },
  });
  return { machine, allocator: machine.pageAllocator as SimplePageAllocator };
}

describe('SimplePageAllocator', () => {
  it('hands out naturally aligned blocks, first fit, deterministically', () => {
    const { allocator } = setup();
    expect(allocator.allocPages(0, 'a')).toBe(BASE);
    expect(allocator.allocPages(2, 'b')).toBe(BASE + 4 * 4096); // next 16 KiB-aligned block
    expect(allocator.allocPages(0, 'c')).toBe(BASE + 4096);
    expect(allocator.allocPages(3, 'd')).toBe(BASE + 8 * 4096);
    allocator.checkInvariants();
  });

  it('zeroes pages as the CPU sees them, even when the CPU cache holds old dirty data', () => {
    const { machine, allocator } = setup();
    const pa = allocator.allocPages(0, 'first');
    machine.cpu.fill(pa, 0xee, 4096);
    allocator.freePages(pa, 0);
    const again = allocator.allocPages(0, 'second');
    expect(again).toBe(pa);
    for (let offset = 0; offset < 4096; offset += 4)
      expect(machine.cpu.read32(pa + offset)).toBe(0);
    machine.cache.flushAll();
    for (let offset = 0; offset < 4096; offset += 4)
      expect(machine.ram.read32(pa + offset)).toBe(0);
  });

  it('reports leaks by owner and forgets freed blocks', () => {
    const { allocator } = setup();
    const a = allocator.allocPages(1, 'io-pgtable');
    allocator.allocPages(0, 'io-pgtable');
    allocator.allocPages(2, 'driver');
    expect(allocator.leakReport()).toEqual([
      { owner: 'driver', pages: 4, allocations: 1 },
      { owner: 'io-pgtable', pages: 3, allocations: 2 },
    ]);
    expect(allocator.ownerOf(a + 4096)).toBe('io-pgtable');
    allocator.freePages(a, 1);
    expect(allocator.ownerOf(a)).toBeNull();
    expect(allocator.leakReport()[1]).toEqual({ owner: 'io-pgtable', pages: 1, allocations: 1 });
  });

  it('fails with ENOMEM when no aligned block is free, and EINVAL for bad orders and frees', () => {
    const { allocator } = setup(8);
    allocator.allocPages(0, 'x');
    expect(() => allocator.allocPages(3, 'big')).toThrow(
      /ENOMEM: simple-page-allocator: no free block of order 3 for big/,
    );
    expect(() => allocator.allocPages(11, 'x')).toThrow(/EINVAL/);
    expect(() => allocator.allocPages(-1, 'x')).toThrow(/EINVAL/);
    expect(() => allocator.freePages(BASE + 4096, 0)).toThrow(
      /EINVAL: .*not the start of an allocated block/,
    );
    expect(() => allocator.freePages(BASE, 1)).toThrow(
      /EINVAL: .*allocated with order 0, freed with 1/,
    );
    expect(allocator.allocatedPages).toBe(1);
    allocator.checkInvariants();
  });

  it('fails at the page-alloc fail point without changing state', () => {
    const { machine, allocator } = setup();
    machine.failPoints.arm('page-alloc', { nth: 2 });
    allocator.allocPages(0, 'x');
    expect(() => allocator.allocPages(0, 'y')).toThrow(SocmemError);
    expect(allocator.allocatedPages).toBe(1);
    expect(allocator.allocPages(0, 'z')).toBe(BASE + 4096);
    expect(machine.failPoints.failures('page-alloc')).toBe(1);
  });

  it('never hands out overlapping blocks (property, with invariants after every step)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ alloc: fc.integer({ min: 0, max: 4 }) }),
            fc.record({ free: fc.nat(50) }),
          ),
          {
            maxLength: 80,
          },
        ),
        (operations) => {
          const { allocator } = setup(64);
          const live: Array<{ pa: number; order: number }> = [];
          for (const operation of operations) {
            if ('alloc' in operation) {
              try {
                const pa = allocator.allocPages(operation.alloc, 'p');
                expect((pa - BASE) % (4096 * 2 ** operation.alloc)).toBe(0);
                for (const other of live) {
                  const overlaps =
                    pa < other.pa + 4096 * 2 ** other.order &&
                    other.pa < pa + 4096 * 2 ** operation.alloc;
                  expect(overlaps).toBe(false);
                }
                live.push({ pa, order: operation.alloc });
              } catch (error) {
                expect(SocmemError.isInstance(error, 'ENOMEM')).toBe(true);
              }
            } else if (live.length > 0) {
              const [block] = live.splice(operation.free % live.length, 1);
              allocator.freePages(block!.pa, block!.order);
            }
            allocator.checkInvariants();
          }
          for (const block of live) allocator.freePages(block.pa, block.order);
          expect(allocator.leakReport()).toEqual([]);
          expect(allocator.freePageCount).toBe(64);
        },
      ),
      { seed: 3, numRuns: 150 },
    );
  });
});
