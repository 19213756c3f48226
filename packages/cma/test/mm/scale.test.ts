import { createMachine } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { bootMemory } from '../../src/boot';
import { cmaAlloc } from '../../src/cma/cma-alloc';
import { ZONE_DMA32, ZONE_NORMAL } from '../../src/mm/constants';

describe('scaling to millions of frames', () => {
  it('a 16 GiB machine (4M frames) boots, with zones split at 4 GiB and a 256 MiB default area', () => {
    const machine = createMachine({
      ram: [{ base: 0x4000_0000, size: 16 * 1024 ** 3 }],
      pageAllocator: false,
      cache: { enabled: false },
    });
    const mm = bootMemory(machine, { contiguous: { cmdline: '256M' } });
    expect(mm.buddy.frames.frameCount).toBe(4 * 1024 * 1024);
    expect(mm.buddy.zoneFreePages(ZONE_DMA32)).toBe((0x1_0000_0000 - 0x4000_0000) / 4096);
    expect(mm.buddy.zoneFreePages(ZONE_NORMAL)).toBe(
      4 * 1024 * 1024 - (0x1_0000_0000 - 0x4000_0000) / 4096,
    );
    expect(mm.buddy.freeCmaPageCount).toBe(65536);
    const area = mm.contiguous.defaultArea!;
    expect(area.base + area.size).toBeLessThanOrEqual(0x1_0000_0000);
    const pfn = cmaAlloc(area, 4096, 8);
    expect(pfn % 256).toBe(0);
    expect(mm.buddy.allocPages(10, 'x') % (4 * 1024 * 1024)).toBe(0);
  });
});
