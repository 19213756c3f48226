import { type BenchCase, benchScale, runBenchSuite } from '@socmem/bench';
import { createMachine } from '@socmem/hw-sim';
import {
  bootMemory,
  type Cma,
  cmaAlloc,
  cmaDeclareContiguous,
  cmaRelease,
  GFP_KERNEL,
  MovableMemory,
} from '../src/index';
import { bitmapBenchCases, bitmapBenchSink } from './bitmap';

const MiB = 1 << 20;

/** order-0 allocation and free on a 1 GiB machine, beside a raw typed-array stack push/pop. */
function orderZeroCase(): BenchCase {
  const machine = createMachine({
    ram: [{ base: 0x4000_0000, size: 1024 * MiB }],
    pageAllocator: false,
    cache: { enabled: false },
  });
  const mm = bootMemory(machine, { contiguous: false });
  const buddy = mm.buddy;
  const owner = buddy.owners.id('bench');
  const batch = 256;
  const held = new Int32Array(batch);
  const stack = new Int32Array(batch);
  let top = 0;
  return {
    name: 'buddy order-0 alloc+free',
    kind: 'time',
    subject: {
      label: 'allocFrames(GFP_KERNEL, 0) + freeFrames',
      work: batch,
      run: () => {
        for (let k = 0; k < batch; k++) held[k] = buddy.allocFrames(GFP_KERNEL, 0, owner);
        for (let k = batch - 1; k >= 0; k--) buddy.freeFrames(held[k]!, 0);
      },
    },
    baseline: {
      label: 'Int32Array stack push+pop',
      work: batch,
      run: () => {
        for (let k = 0; k < batch; k++) stack[top++] = k;
        for (let k = 0; k < batch; k++) held[k] = stack[--top]!;
      },
    },
  };
}

/**
 * cmaAlloc of 64 MiB from an area whose every page is lent to movable memory: every page is
 * migrated (into a second 64 MiB area), then the range is released; the two areas swap roles
 * each run. Beside a raw 64 MiB Uint8Array copy.
 */
function cmaMigrationCase(): BenchCase {
  const size = Math.max(4, Math.round(64 * benchScale())) * MiB;
  const machine = createMachine({
    ram: [{ base: 0x4000_0000, size: 2 * size + 2 * MiB }],
    pageAllocator: false,
    cache: { enabled: false },
  });
  let areaA: Cma | null = null;
  let areaB: Cma | null = null;
  const mm = bootMemory(machine, {
    contiguous: false,
    declare: (system) => {
      areaA = cmaDeclareContiguous(system.cma, { base: 0x4000_0000, size, fixed: true, name: 'a' });
      areaB = cmaDeclareContiguous(system.cma, {
        base: 0x4000_0000 + size,
        size,
        fixed: true,
        name: 'b',
      });
    },
  });
  // Fill the 2 MiB of ordinary memory with unmovable pages so migration targets are CMA pages.
  mm.buddy.allocPagesGfp(GFP_KERNEL, 9, 'filler');
  const memory = new MovableMemory(mm.buddy, 'page-cache');
  const pages: number[] = [];
  while (mm.buddy.freePageCount > 0) {
    const page = memory.allocPage();
    machine.cpu.write32(memory.physAddr(page), page);
    pages.push(page);
  }
  let source = areaA! as Cma;
  let target = areaB! as Cma;
  for (const page of pages) if (target.rangeOf(memory.pfn(page)) !== null) memory.freePage(page);
  const count = size / 4096;
  const src = new Uint8Array(size).fill(7);
  const dst = new Uint8Array(size);
  return {
    name: 'cmaAlloc 64 MiB, every page migrated',
    kind: 'throughput',
    subject: {
      label: `cmaAlloc(${count} pages) + cmaRelease`,
      work: size,
      run: () => {
        const pfn = cmaAlloc(source, count, 0);
        cmaRelease(source, pfn, count);
        const swap = source;
        source = target;
        target = swap;
      },
    },
    baseline: { label: 'raw 64 MiB Uint8Array copy', work: size, run: () => dst.set(src) },
    target: { ratio: 0.3, absolute: 1.4, note: 'Linux 2025: ~1.4 GiB/s' },
  };
}

runBenchSuite('cma', [orderZeroCase(), cmaMigrationCase(), ...bitmapBenchCases]);
// Reading the sink keeps the bitmap searches observable (not optimised away).
if (bitmapBenchSink() === 0x7fff_ffff) console.log('');
