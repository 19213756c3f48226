import { ERRNO, type ErrnoCode, hex, SocmemError } from '@socmem/hw-sim';
import { allocContigRange, freeContigRange } from '../mm/alloc-contig-range';
import { MIGRATE_CMA } from '../mm/constants';
import { __GFP_NOWARN, GFP_KERNEL } from '../mm/gfp';
import type { Cma, CmaMemrange } from './cma';
import {
  cmaBitmapAlignedMask,
  cmaBitmapAlignedOffset,
  cmaBitmapMaxno,
  cmaBitmapPagesToBits,
} from './cma-bitmap';
import { cmaDebugShowAreas } from './cma-debug';

/** Outcome of the last `cmaAlloc` per area, for tests and pictures: slots tried and why they failed. */
export interface CmaAllocAttempt {
  readonly pfn: number;
  readonly errno: number;
  readonly reason: string;
}

const attempts = new WeakMap<Cma, CmaAllocAttempt[]>();

/** The aligned slots the last `cmaAlloc` on `cma` tried, in order (last one is the result). */
export function cmaLastAttempts(cma: Cma): readonly CmaAllocAttempt[] {
  return attempts.get(cma) ?? [];
}

/**
 * `cma_alloc(cma, count, align, no_warn)` (mm/cma.c v6.16): `count` contiguous pages aligned
 * to 2^align pages, returned as the first pfn.
 *
 * For each range: search the bitmap for a zero area (aligned mask and offset of the fixed
 * kernel), claim its bits, run `alloc_contig_range`; on EBUSY un-claim and retry at
 * `bitmap_no + mask + 1` (the next aligned slot); any other error stops. Only EBUSY moves on
 * to the next range. Counters: vmstat cma_alloc_success/fail per call, sysfs
 * alloc_pages_success/fail per page. Failure throws the last error (EBUSY when there is no
 * room, as in multi-range kernels) after logging "alloc failed" unless `noWarn`.
 * EINVAL (no counters) for count 0 or an empty or inactive area. Fail point `cma-alloc`
 * makes one alloc_contig_range attempt fail with ENOMEM.
 */
export function cmaAlloc(cma: Cma, count: number, align: number, noWarn = false): number {
  if (cma.count === 0 || !cma.activated || !Number.isInteger(count) || count <= 0) {
    throw new SocmemError(
      'EINVAL',
      `cma: ${cma.name}: cannot allocate ${count} pages (area of ${cma.count} pages, ${cma.activated ? 'active' : 'inactive'})`,
    );
  }
  if (!Number.isInteger(align) || align < 0)
    throw new SocmemError('EINVAL', `cma: ${cma.name}: align ${align}`);
  const areas = cma.registry;
  const trace = areas.machine.trace;
  const tried: CmaAllocAttempt[] = [];
  attempts.set(cma, tried);
  if (trace.active)
    trace.emit('cma', { op: 'alloc_start', name: cma.name, pfn: -1, count, align, errno: 0 });
  const gfp = GFP_KERNEL | (noWarn ? __GFP_NOWARN : 0);
  let code: ErrnoCode = 'ENOMEM';
  let pfn = -1;
  for (const range of cma.ranges) {
    const result = cmaRangeAlloc(cma, range, count, align, gfp, tried);
    code = result.code;
    pfn = result.pfn;
    if (code !== 'EBUSY' || pfn >= 0) break;
  }
  if (trace.active)
    trace.emit('cma', {
      op: 'alloc_finish',
      name: cma.name,
      pfn,
      count,
      align,
      errno: pfn >= 0 ? 0 : 1,
    });
  if (pfn >= 0) {
    areas.vmstat.cmaAllocSuccess++;
    cma.nrPagesSucceeded += count;
    return pfn;
  }
  areas.vmstat.cmaAllocFail++;
  cma.nrPagesFailed += count;
  const errno = -ERRNO[code];
  const message = `${cma.name}: alloc failed, req-size: ${count} pages, ret: ${errno}`;
  if (!noWarn) {
    areas.printk('err', `cma: ${message}`);
    areas.printk('info', cmaDebugShowAreas(cma));
  }
  throw new SocmemError(code, `cma: ${message}`);
}

/** `cma_range_alloc`. */
function cmaRangeAlloc(
  cma: Cma,
  range: CmaMemrange,
  count: number,
  align: number,
  gfp: number,
  tried: CmaAllocAttempt[],
): { code: ErrnoCode; pfn: number } {
  const opb = cma.orderPerBit;
  const bitmap = range.bitmap!;
  const mask = cmaBitmapAlignedMask(opb, align);
  const offset = cmaBitmapAlignedOffset(range.basePfn, opb, align);
  const maxno = cmaBitmapMaxno(range.count, opb);
  const bits = cmaBitmapPagesToBits(opb, count);
  let code: ErrnoCode = 'EBUSY';
  if (bits > maxno) return { code, pfn: -1 };
  const machine = cma.registry.machine;
  const buddy = cma.buddy;
  for (let start = 0; ; ) {
    // spin_lock_irq(&cma->lock)
    if (count > cma.availableCount) break;
    const bitmapNo = bitmap.findNextZeroAreaOff(start, bits, mask, offset);
    if (bitmapNo >= maxno) break;
    const pfn = range.basePfn + bitmapNo * 2 ** opb;
    bitmap.set(bitmapNo, bits);
    cma.availableCount -= count;
    // spin_unlock_irq; mutex_lock(&cma->alloc_mutex)
    try {
      if (machine.failPoints.shouldFail('cma-alloc')) {
        throw new SocmemError(
          'ENOMEM',
          `cma: ${cma.name}: cma-alloc fail point at pfn ${hex(pfn)}`,
        );
      }
      allocContigRange(buddy, pfn, pfn + count, MIGRATE_CMA, cma.ownerId, gfp);
      tried.push({ pfn, errno: 0, reason: '' });
      return { code: 'EBUSY', pfn };
    } catch (error) {
      cmaClearBitmap(cma, range, pfn, count);
      if (!SocmemError.isInstance(error)) throw error;
      tried.push({ pfn, errno: error.errno, reason: error.message });
      code = error.code;
      if (code !== 'EBUSY') break;
      if (machine.trace.active)
        machine.trace.emit('cma', {
          op: 'alloc_busy_retry',
          name: cma.name,
          pfn,
          count,
          align,
          errno: error.errno,
        });
    }
    start = bitmapNo + mask + 1;
  }
  return { code, pfn: -1 };
}

/** `cma_clear_bitmap`: un-claims the bits of [pfn, pfn + count) and gives the pages back to available_count. */
function cmaClearBitmap(cma: Cma, range: CmaMemrange, pfn: number, count: number): void {
  const bitmapNo = Math.floor((pfn - range.basePfn) / 2 ** cma.orderPerBit);
  range.bitmap!.clear(bitmapNo, cmaBitmapPagesToBits(cma.orderPerBit, count));
  cma.availableCount += count;
}

/**
 * `cma_release(cma, pages, count)`: false when the pages are not this area's (a span that
 * starts in a range but runs past it WARNs, as VM_WARN_ON_ONCE does). Otherwise the pages go
 * back to the buddy allocator (MIGRATE_CMA lists) first, then the bits are cleared, then
 * release_pages_success grows by `count`.
 */
export function cmaRelease(cma: Cma, pfn: number, count: number): boolean {
  if (!Number.isInteger(count) || count <= 0 || count > cma.count) return false;
  let owner: CmaMemrange | null = null;
  for (const range of cma.ranges) {
    if (pfn >= range.basePfn && pfn < range.endPfn) {
      if (pfn + count > range.endPfn) {
        cma.registry.machine.diagnostics.warn(
          'cma',
          `${cma.name}: release of ${count} pages at pfn ${hex(pfn)} runs past its range`,
        );
        continue;
      }
      owner = range;
      break;
    }
  }
  if (owner === null || owner.bitmap === null) return false;
  freeContigRange(cma.buddy, pfn, count);
  cmaClearBitmap(cma, owner, pfn, count);
  cma.nrPagesReleased += count;
  const trace = cma.registry.machine.trace;
  if (trace.active)
    trace.emit('cma', { op: 'release', name: cma.name, pfn, count, align: 0, errno: 0 });
  return true;
}
