import { describe, expect, it } from 'vitest';
import { MovableMemory } from '../../src/mm/movable-memory';
import { bootBuddy } from '../helpers';

describe('MovableMemory (page cache / anonymous memory user)', () => {
  it('allocates, writes, reads and frees pages through stable page numbers', () => {
    const { buddy } = bootBuddy();
    const memory = new MovableMemory(buddy, 'anon');
    const a = memory.allocPage();
    const b = memory.allocPage();
    memory.write(b, 4090, new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(Array.from(memory.read(b, 4090, 6))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => memory.write(b, 4095, new Uint8Array(2))).toThrowError(/EINVAL.*outside the page/);
    memory.freePage(a);
    expect(memory.allocPage()).toBe(a); // page numbers are reused
    expect(memory.pageCount).toBe(2);
    expect(buddy.leakReport()).toEqual([{ owner: 'anon', pages: 2, allocations: 2 }]);
    expect(memory.freeAll()).toBe(0);
    expect(buddy.leakReport()).toEqual([]);
    buddy.checkInvariants();
  });

  it('migration keeps the bytes and moves the page number to the new frame', () => {
    const { buddy } = bootBuddy([{ base: 0x4000_0000, size: 4 << 20 }], { cache: true });
    const memory = new MovableMemory(buddy, 'anon');
    const page = memory.allocPage();
    memory.fill(page, 0x3c);
    const before = memory.pfn(page);
    const index = buddy.frames.indexOf(before);
    buddy.migrator.migratePage(index);
    expect(memory.pfn(page)).not.toBe(before);
    expect(memory.read(page, 0, 4096).every((byte) => byte === 0x3c)).toBe(true);
    buddy.checkInvariants();
  });

  it('pinned pages and extra references cannot be freed or migrated', () => {
    const { buddy } = bootBuddy();
    const memory = new MovableMemory(buddy, 'anon');
    const page = memory.allocPage();
    memory.pin(page);
    expect(() => memory.freePage(page)).toThrowError(/EBUSY/);
    expect(() => buddy.migrator.migratePage(buddy.frames.indexOf(memory.pfn(page)))).toThrowError(
      /EBUSY.*pinned 1/,
    );
    memory.unpin(page);
    memory.getPage(page);
    expect(() => buddy.migrator.migratePage(buddy.frames.indexOf(memory.pfn(page)))).toThrowError(
      /EBUSY.*refcount 2/,
    );
    memory.putPage(page);
    expect(() => memory.putPage(page)).toThrowError(/EINVAL/);
    expect(() => new MovableMemory(buddy, 'anon')).toThrowError(/EEXIST/);
    memory.freePage(page);
    expect(() => memory.pfn(page)).toThrowError(/EINVAL.*no page/);
  });

  it('movable pages cannot be freed through the page-allocator interface', () => {
    const { buddy } = bootBuddy();
    const memory = new MovableMemory(buddy, 'anon');
    const page = memory.allocPage();
    expect(() => buddy.freePfn(memory.pfn(page), 0)).toThrowError(/EINVAL.*movable user/);
  });
});
