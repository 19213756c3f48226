/**
 * The Contiguous Memory Allocator, the way its cover letters describe it: memory reserved for
 * big device buffers is not wasted while no device needs it. The page allocator lends it to
 * movable pages (page cache, anonymous memory); when a driver asks for a contiguous buffer,
 * CMA takes the range back by migrating those pages elsewhere. A page pinned for I/O cannot
 * move, so the allocation skips to the next aligned slot.
 */

import {
  bootMemory,
  type CmaDevice,
  cmaDebugfs,
  cmaLastAttempts,
  cmaSysfs,
  GFP_KERNEL,
  MIGRATE_UNMOVABLE,
  MIGRATETYPE_NAMES,
  MovableMemory,
  renderCmaBitmap,
  renderMemoryRange,
} from '@socmem/cma';
import { createMachine, hex } from '@socmem/hw-sim';

const MiB = 1 << 20;
let failures = 0;

function say(text = ''): void {
  console.log(text);
}

function check(what: string, ok: boolean, detail = ''): void {
  if (!ok) failures++;
  say(`    ${ok ? 'ok  ' : 'FAIL'} ${what}${detail === '' ? '' : `: ${detail}`}`);
}

say('socmem demo: CMA lends its memory to movable pages and takes it back');
say();
const machine = createMachine({
  ram: [{ base: 0x4000_0000, size: 64 * MiB }],
  pageAllocator: false,
});
const mm = bootMemory(machine, { contiguous: { cmdline: '16M@0x42000000' } });
const area = mm.contiguous.defaultArea!;
const start = area.ranges[0]!.basePfn;
const end = start + area.count;
say(
  `1. Boot with "cma=16M@0x42000000": area "${area.name}" at ${hex(area.base)}, ${area.count} pages.`,
);
say(`   ${mm.cma.log.map((line) => line.message).join('; ')}`);
say(
  `   CmaTotal ${mm.cma.meminfo().CmaTotal} kB, CmaFree ${mm.cma.meminfo().CmaFree} kB: the buddy allocator owns it all.`,
);

say();
say(
  '2. The page cache fills memory. Movable pages may use CMA pageblocks, so they fill the area too.',
);
const cache = new MovableMemory(mm.buddy, 'page-cache');
const pages: number[] = [];
while (mm.buddy.freePageCount > 0) {
  const page = cache.allocPage();
  machine.cpu.write32(cache.physAddr(page), 0xcafe_0000 + page);
  pages.push(page);
}
// Reclaim drops some clean pages outside the area, so migration has somewhere to go.
let dropped = 0;
for (let k = pages.length - 1; k >= 0 && dropped < 5000; k--) {
  if (area.rangeOf(cache.pfn(pages[k]!)) !== null) continue;
  cache.freePage(pages[k]!);
  pages.splice(k, 1);
  dropped++;
}
say(
  `   ${pages.length} page-cache pages; CmaFree is now ${mm.cma.meminfo().CmaFree} kB, yet the CMA bitmap is empty:`,
);
say(indent(renderCmaBitmap(area, { bitsPerChar: 64 })));
say(indent(renderMemoryRange(mm.buddy, start, end)));

say();
say('3. A video decoder asks for an 8 MiB contiguous buffer (dma_alloc_contiguous).');
const decoder: CmaDevice = { name: 'video-decoder' };
let during = '';
const stopListening = machine.trace.subscribe((event) => {
  // A picture from inside alloc_contig_range, half-way through the migration.
  if (
    during === '' &&
    event.kind === 'alloc' &&
    event.op === 'alloc' &&
    event.owner === 'page-cache'
  ) {
    if (mm.buddy.migrator.migrated % 1024 === 1023)
      during = renderMemoryRange(mm.buddy, start, start + 2048);
  }
});
const migratedBefore = mm.buddy.migrator.migrated;
const video = mm.contiguous.dmaAllocContiguous(decoder, 8 * MiB, GFP_KERNEL);
stopListening();
say('   During the allocation its pageblocks are isolated and pages move out one by one:');
say(indent(during));
check('buffer allocated', video !== null, video === null ? 'null' : `pfn ${hex(video)}`);
check(
  'pages migrated',
  mm.buddy.migrator.migrated - migratedBefore === 2048,
  `${mm.buddy.migrator.migrated - migratedBefore}`,
);
check('buffer is 1 MiB aligned (CONFIG_CMA_ALIGNMENT 8)', video !== null && video % 256 === 0);
say('   After:');
say(indent(renderCmaBitmap(area, { bitsPerChar: 64 })));
say(indent(renderMemoryRange(mm.buddy, start, end)));

say();
say(
  '4. A page in the next slot is pinned for direct I/O (FOLL_PIN). A camera asks for 4 MiB aligned to 2^10',
);
say('   pages; dma_alloc_from_contiguous caps that at CONFIG_CMA_ALIGNMENT 8 (1 MiB).');
const pinnedPage = pages.find((page) => cache.pfn(page) === start + 2048 + 100)!;
cache.pin(pinnedPage);
const camera: CmaDevice = { name: 'camera' };
const photo = mm.contiguous.dmaAllocFromContiguous(camera, 1024, 10);
for (const attempt of cmaLastAttempts(area)) {
  say(`   tried pfn ${hex(attempt.pfn)}: ${attempt.errno === 0 ? 'success' : attempt.reason}`);
}
check(
  'first slot is busy (pinned page), retry at the next 1 MiB slot',
  photo === start + 2048 + 256,
  hex(photo),
);
check(
  'two attempts, the first EBUSY',
  cmaLastAttempts(area)
    .map((attempt) => attempt.errno)
    .join() === '16,0',
);
check('the pinned page did not move', cache.pfn(pinnedPage) === start + 2048 + 100);
say(indent(renderMemoryRange(mm.buddy, start, end)));

say();
say('5. A long-term pin (FOLL_LONGTERM, e.g. RDMA) first migrates the page out of CMA.');
cache.unpin(pinnedPage);
const before = cache.pfn(pinnedPage);
cache.pin(pinnedPage, { longterm: true });
check(
  'long-term pinned page left the CMA area',
  area.rangeOf(cache.pfn(pinnedPage)) === null,
  `${hex(before)} -> ${hex(cache.pfn(pinnedPage))}`,
);
// migrate_longterm_unpinnable_folios allocates the replacement with GFP_USER under
// PF_MEMALLOC_PIN: an unmovable request that never uses CMA; here it claims a free pageblock.
check(
  'its new frame is in an Unmovable pageblock (GFP_USER, PF_MEMALLOC_PIN)',
  mm.buddy.frames.pageblockMigratetype(cache.pfn(pinnedPage)) === MIGRATE_UNMOVABLE,
  MIGRATETYPE_NAMES[mm.buddy.frames.pageblockMigratetype(cache.pfn(pinnedPage))] ?? '?',
);

say();
say('6. The device writes its buffer; the page cache still reads its own bytes.');
const port = machine.devicePort('video-decoder');
port.write(mm.buddy.pfnToPhys(video ?? 0), new Uint8Array([1, 2, 3, 4]));
let intact = 0;
for (const page of pages)
  if (machine.cpu.read32(cache.physAddr(page)) === 0xcafe_0000 + page) intact++;
check(
  'every page-cache page kept its contents',
  intact === pages.length,
  `${intact}/${pages.length}`,
);
const seen = new Uint8Array(4);
port.read(mm.buddy.pfnToPhys(video ?? 0), seen);
check('device reads back its data', seen.join() === '1,2,3,4');

say();
say('7. Both buffers are released; the area is lent to movable pages again.');
mm.contiguous.dmaFreeContiguous(decoder, video ?? 0, 8 * MiB);
check('camera buffer released', mm.contiguous.dmaReleaseFromContiguous(camera, photo, 1024));
say(indent(renderCmaBitmap(area, { bitsPerChar: 64 })));
const sysfs = cmaSysfs(area);
const debugfs = cmaDebugfs(area);
say(
  `   sysfs: alloc_pages_success ${sysfs.alloc_pages_success}, alloc_pages_fail ${sysfs.alloc_pages_fail}, release_pages_success ${sysfs.release_pages_success}, available_pages ${sysfs.available_pages}/${sysfs.total_pages}`,
);
say(
  `   debugfs: used ${debugfs.used}, maxchunk ${debugfs.maxchunk}; vmstat cma_alloc_success ${mm.cma.vmstat.cmaAllocSuccess}, cma_alloc_fail ${mm.cma.vmstat.cmaAllocFail}`,
);
check(
  'counters add up',
  sysfs.alloc_pages_success === 3072 && sysfs.release_pages_success === 3072 && debugfs.used === 0,
);
mm.checkInvariants();
check('allocator and area invariants hold', true);

say();
if (failures > 0) {
  say(`${failures} check(s) FAILED`);
  process.exit(1);
}
say('all checks passed');

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `   ${line}`)
    .join('\n');
}
