import { describe, expect, it } from 'vitest';
import { cmaAlloc } from '../../src/cma/cma-alloc';
import { MovableMemory } from '../../src/mm/movable-memory';
import { renderCmaBitmap } from '../../src/render/bitmap-picture';
import { renderMemoryRange } from '../../src/render/memory-picture';
import { bootCma, MiB } from '../helpers';

describe('text pictures', () => {
  it('draws an area bitmap with # for allocated bits', () => {
    const { cma } = bootCma({ size: 2 * MiB });
    cmaAlloc(cma, 100, 0);
    const picture = renderCmaBitmap(cma, { bitsPerChar: 8 });
    expect(picture.split('\n')).toEqual([
      'cma test: 512 pages (2 MiB), order_per_bit 0, used 100, maxchunk 412, 1 range',
      'range 0: base_pfn 0x4_2000, 512 bits, 8 bits/char',
      '   0x4_2000 |############+...................................................|',
    ]);
  });

  it('draws frames per pageblock: free, movable, pinned, CMA-allocated, unmovable', () => {
    const { mm, cma } = bootCma({ base: 0x4000_0000, size: 2 * MiB });
    const memory = new MovableMemory(mm.buddy, 'anon');
    cmaAlloc(cma, 4, 0);
    const unmovable = mm.buddy.allocPagesGfp(0xc00, 0, 'driver'); // GFP_KERNEL: lands outside CMA
    const a = memory.allocPage();
    const b = memory.allocPage();
    memory.pin(b);
    const picture = renderMemoryRange(mm.buddy, 0x40000, 0x40010, { pagesPerChar: 1 });
    expect(picture.split('\n')[0]).toBe(`   0x4_0000 CMA              |CCCC............|`);
    const other = renderMemoryRange(mm.buddy, unmovable, unmovable + 8, { pagesPerChar: 1 });
    expect(other.split('\n')[0]).toMatch(/Unmovable +\|U/);
    const movablePfn = memory.pfn(a);
    const line = renderMemoryRange(mm.buddy, movablePfn, movablePfn + 2, { pagesPerChar: 1 }).split(
      '\n',
    )[0]!;
    expect(line.endsWith('|mP|')).toBe(true);
    expect(picture).toContain('legend: . free  m movable  P pinned  C CMA-allocated  U unmovable');
  });
});
