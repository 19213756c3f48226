import { createMachine } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { type BootMemoryOptions, bootMemory } from '../../src/boot';
import { cmaDebugfs } from '../../src/cma/cma-debug';
import { type CmaDevice, getOrder } from '../../src/contiguous/contiguous';
import { __GFP_NOWARN, GFP_ATOMIC, GFP_KERNEL } from '../../src/mm/gfp';
import { MiB } from '../helpers';

function boot(options: BootMemoryOptions = {}) {
  const machine = createMachine({
    ram: [
      { base: 0x4000_0000, size: 64 * MiB },
      { base: 0x1_0000_0000, size: 32 * MiB },
    ],
    pageAllocator: false,
    cache: { enabled: false },
  });
  return bootMemory(machine, options);
}

const dev: CmaDevice = { name: 'gpu' };

// kernel/dma/contiguous.c v6.16 (reference cma.md §2).
describe('dma_contiguous_reserve: the default area', () => {
  it('Kconfig default: 16 MiB named "reserved" below the DMA32 limit', () => {
    const mm = boot();
    const area = mm.contiguous.defaultArea!;
    expect(area.name).toBe('reserved');
    expect(area.size).toBe(16 * MiB);
    expect(area.base + area.size).toBeLessThanOrEqual(0x1_0000_0000);
  });

  it('cma=32M@0x41000000 is fixed at its base (limit = base + size)', () => {
    const mm = boot({ contiguous: { cmdline: '32M@0x41000000' } });
    expect(mm.contiguous.defaultArea!.base).toBe(0x4100_0000);
    expect(mm.contiguous.defaultArea!.size).toBe(32 * MiB);
  });

  it('cma=16M@0-5G: anywhere below 5G, not fixed; min_not_zero with the arch limit keeps it below 4 GiB', () => {
    const mm = boot({ contiguous: { cmdline: '16M@0-5G' } });
    const base = mm.contiguous.defaultArea!.base;
    expect(base).toBe(0x4400_0000 - 16 * MiB); // top-down below min(5G, 4G) = end of the low bank
  });

  it('cma=16M with no arch limit goes bottom-up from 4 GiB', () => {
    const mm = boot({ contiguous: { cmdline: '16M' }, dmaLimit: 0 });
    expect(mm.contiguous.defaultArea!.base).toBe(0x1_0000_0000);
  });

  it('cma=0 disables the default area; Kconfig percentage sizes from memblock memory', () => {
    expect(boot({ contiguous: { cmdline: '0' } }).contiguous.defaultArea).toBeNull();
    const mm = boot({ contiguous: { sizeSelector: 'percentage', sizePercentage: 10 } });
    // 10% of 96 MiB = 9.6 MiB, rounded up to whole pageblocks by cma_declare_contiguous.
    expect(mm.contiguous.defaultArea!.size).toBe(10 * MiB);
  });

  it('a bad cma= string is EINVAL naming the text', () => {
    expect(() => boot({ contiguous: { cmdline: '16Q' } })).toThrowError(/EINVAL.*16Q/);
  });
});

describe('shared-dma-pool nodes (rmem_cma_setup)', () => {
  it('reusable pools become per-device areas; non-reusable or no-map ones are rejected', () => {
    let gpuArea = null as ReturnType<typeof Object> | null;
    const mm = boot({
      declare: (system) => {
        expect(() =>
          system.contiguous.rmemCmaSetup({ name: 'coherent', base: 0x4200_0000, size: 4 * MiB }),
        ).toThrowError(/EINVAL.*reusable/);
        expect(() =>
          system.contiguous.rmemCmaSetup({
            name: 'bad',
            base: 0x4210_0000,
            size: 4 * MiB,
            reusable: true,
          }),
        ).toThrowError(/EINVAL.*aligned/);
        gpuArea = system.contiguous.rmemCmaSetup({
          name: 'gpu-pool',
          base: 0x4200_0000,
          size: 4 * MiB,
          reusable: true,
        });
      },
    });
    expect(mm.cma.find('gpu-pool')).toBe(gpuArea);
    expect(mm.cma.log).toContainEqual({
      level: 'info',
      message: 'Reserved memory: created CMA memory pool at 0x4200_0000, size 4 MiB',
    });
  });

  it('a linux,cma-default node is skipped when cma= was given', () => {
    boot({
      contiguous: { cmdline: '8M' },
      declare: (system) => {
        expect(() =>
          system.contiguous.rmemCmaSetup({
            name: 'def',
            base: 0x4200_0000,
            size: 4 * MiB,
            reusable: true,
            linuxCmaDefault: true,
          }),
        ).toThrowError(/EBUSY/);
      },
    });
  });
});

describe('dma_alloc_contiguous / dma_free_contiguous', () => {
  it('single pages bypass the default area; larger buffers use it aligned to min(get_order, 8)', () => {
    const mm = boot();
    const area = mm.contiguous.defaultArea!;
    expect(mm.contiguous.dmaAllocContiguous(dev, 4096, GFP_KERNEL)).toBeNull();
    const small = mm.contiguous.dmaAllocContiguous(dev, 8192, GFP_KERNEL)!;
    expect(area.rangeOf(small)).not.toBeNull();
    // 6 MiB: get_order = 11, capped at CONFIG_CMA_ALIGNMENT 8 (1 MiB).
    const big = mm.contiguous.dmaAllocContiguous(dev, 6 * MiB, GFP_KERNEL)!;
    expect(big - area.ranges[0]!.basePfn).toBe(256);
    expect(cmaDebugfs(area).used).toBe(2 + 1536);
    mm.contiguous.dmaFreeContiguous(dev, big, 6 * MiB);
    mm.contiguous.dmaFreeContiguous(dev, small, 8192);
    expect(cmaDebugfs(area).used).toBe(0);
    mm.checkInvariants();
  });

  it('non-blocking gfp never uses CMA', () => {
    const mm = boot();
    expect(mm.contiguous.dmaAllocContiguous(dev, 64 * 1024, GFP_ATOMIC)).toBeNull();
  });

  it("a device's own area serves even single pages and has no fallback to the default area", () => {
    let own = null as unknown as CmaDevice['cmaArea'];
    const mm = boot({
      declare: (system) => {
        own = system.contiguous.rmemCmaSetup({
          name: 'vpu',
          base: 0x4200_0000,
          size: 2 * MiB,
          reusable: true,
        });
      },
    });
    const vpu: CmaDevice = { name: 'vpu', cmaArea: own ?? null };
    const page = mm.contiguous.dmaAllocContiguous(vpu, 4096, GFP_KERNEL)!;
    expect(page).toBe(0x42000);
    expect(mm.contiguous.dmaAllocContiguous(vpu, 4 * MiB, GFP_KERNEL | __GFP_NOWARN)).toBeNull();
    expect(cmaDebugfs(mm.contiguous.defaultArea!).used).toBe(0);
    mm.contiguous.dmaFreeContiguous(vpu, page, 4096);
    mm.checkInvariants();
  });

  it('dma_free_contiguous gives pages from no area back to the buddy allocator', () => {
    const mm = boot();
    const pfn = mm.buddy.allocPagesGfp(GFP_KERNEL, 0, 'dma-direct');
    mm.contiguous.dmaFreeContiguous(dev, pfn, 4096);
    expect(mm.buddy.leakReport()).toEqual([]);
  });

  it('dma_alloc_from_contiguous caps the alignment at CONFIG_CMA_ALIGNMENT', () => {
    const mm = boot();
    mm.contiguous.dmaAllocFromContiguous(dev, 1, 0);
    const pfn = mm.contiguous.dmaAllocFromContiguous(dev, 1, 12);
    expect((pfn - mm.contiguous.defaultArea!.ranges[0]!.basePfn) % 256).toBe(0);
    expect(pfn - mm.contiguous.defaultArea!.ranges[0]!.basePfn).toBe(256);
    expect(mm.contiguous.dmaReleaseFromContiguous(dev, pfn, 1)).toBe(true);
    expect(mm.contiguous.dmaReleaseFromContiguous(dev, 0x40000, 1)).toBe(false);
  });

  it('get_order', () => {
    expect([1, 4096, 4097, 8192, 6 * MiB].map((size) => getOrder(size, 4096))).toEqual([
      0, 0, 1, 1, 11,
    ]);
  });
});
