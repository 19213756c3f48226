import { SocmemError } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import {
  createDmemCgroupHierarchy,
  DmemCgroupLimitError,
  dmemCgroupRegisterRegion,
  dmemCgroupTryCharge,
  dmemCgroupUncharge,
  dmemCgroupUnregisterRegion,
  PAGE_COUNTER_MAX,
} from '../../src/dmem/index';

const MiB = 1024 * 1024;

/** The seed-004 situation: two clients sharing one CMA area, one of them greedy. */
function twoClients() {
  const dmem = createDmemCgroupHierarchy();
  const region = dmemCgroupRegisterRegion(dmem, 64 * MiB, 'cma/reserved');
  if (region === null) throw new Error('region');
  const gpu = dmem.root.mkdir('gpu');
  const camera = dmem.root.mkdir('camera');
  const compositor = gpu.mkdir('compositor');
  return { dmem, region, gpu, camera, compositor };
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('dmem_cgroup_register_region', () => {
  it('registers regions in order; size 0 gives null as in Linux; bad input is EINVAL', () => {
    const dmem = createDmemCgroupHierarchy();
    const vram = dmemCgroupRegisterRegion(dmem, 8 * 1024 * MiB, 'drm/0000:03:00.0/vram0');
    const cma = dmemCgroupRegisterRegion(dmem, 64 * MiB, 'cma/reserved');
    expect(dmem.regions).toEqual([vram, cma]);
    expect(dmemCgroupRegisterRegion(dmem, 0, 'empty')).toBeNull();
    expect(() => dmemCgroupRegisterRegion(dmem, -1, 'x')).toThrowError(
      /EINVAL: dmem: region size -1/,
    );
    expect(() => dmemCgroupRegisterRegion(dmem, 1, '')).toThrowError(/EINVAL/);
    expect(dmem.regions).toHaveLength(2);
  });
});

describe('dmem_cgroup_try_charge / dmem_cgroup_uncharge (page_counter semantics)', () => {
  it('charges the pool and every ancestor; the root pool carries the total', () => {
    const { dmem, region, gpu, camera, compositor } = twoClients();
    const a = dmemCgroupTryCharge(region, 4 * MiB, compositor);
    const b = dmemCgroupTryCharge(region, 2 * MiB, camera);
    expect(a.cgroup).toBe(compositor);
    expect(compositor.findPool(region)?.current).toBe(4 * MiB);
    expect(gpu.findPool(region)?.current).toBe(4 * MiB);
    expect(camera.findPool(region)?.current).toBe(2 * MiB);
    expect(dmem.root.findPool(region)?.current).toBe(6 * MiB);
    expect(gpu.findPool(region)?.charged).toBe(0); // nothing charged to gpu itself
    dmem.checkInvariants();
    dmemCgroupUncharge(a, 4 * MiB);
    dmemCgroupUncharge(b, 2 * MiB);
    expect(dmem.root.findPool(region)?.current).toBe(0);
    expect(gpu.findPool(region)?.watermark).toBe(4 * MiB); // dmem.peak keeps the high mark
    dmem.checkInvariants();
  });

  it('fails with EAGAIN naming the limiting pool: a charge may reach max, not pass it', () => {
    const { dmem, region, gpu, compositor } = twoClients();
    gpu.setMax(region, 16 * MiB);
    const pool = dmemCgroupTryCharge(region, 16 * MiB, compositor); // exactly max: allowed (new > max fails)
    const error = catchError(() => dmemCgroupTryCharge(region, 1, compositor));
    expect(SocmemError.isInstance(error, 'EAGAIN')).toBe(true);
    expect(error).toBeInstanceOf(DmemCgroupLimitError);
    const limit = (error as DmemCgroupLimitError).limitPool;
    expect(limit).toBe(gpu.findPool(region));
    expect((error as Error).message).toBe(
      'EAGAIN: dmem: charging 1 bytes to /gpu/compositor:cma/reserved exceeds the max of /gpu:cma/reserved ' +
        `(max ${16 * MiB}, current ${16 * MiB})`,
    );
    expect(compositor.findPool(region)?.current).toBe(16 * MiB);
    dmemCgroupUncharge(pool, 16 * MiB);
    dmem.checkInvariants();
  });

  it('one greedy client cannot exhaust the shared area for the others (seed 004, cma.md §6)', () => {
    const { dmem, region, gpu, camera, compositor } = twoClients();
    gpu.setMax(region, 48 * MiB);
    const held = [];
    for (let i = 0; i < 12; i++) held.push(dmemCgroupTryCharge(region, 4 * MiB, compositor));
    expect(() => dmemCgroupTryCharge(region, 4 * MiB, compositor)).toThrowError(
      /EAGAIN.*max of \/gpu:/,
    );
    // 16 MiB of the 64 MiB area remain for the camera.
    expect(dmemCgroupTryCharge(region, 16 * MiB, camera).current).toBe(16 * MiB);
    expect(held).toHaveLength(12);
    dmem.checkInvariants();
  });

  it('reports the lowest pool over its limit when several are', () => {
    const { region, gpu, compositor } = twoClients();
    gpu.setMax(region, 8 * MiB);
    compositor.setMax(region, 4 * MiB);
    const error = catchError(() =>
      dmemCgroupTryCharge(region, 10 * MiB, compositor),
    ) as DmemCgroupLimitError;
    expect(error.limitPool).toBe(compositor.findPool(region));
    const error2 = catchError(() =>
      dmemCgroupTryCharge(region, PAGE_COUNTER_MAX + 1, gpu),
    ) as DmemCgroupLimitError;
    expect(error2.limitPool).toBe(gpu.findPool(region));
  });

  it('the root pool is limited only by PAGE_COUNTER_MAX', () => {
    const { dmem, region } = twoClients();
    const error = catchError(() => dmemCgroupTryCharge(region, PAGE_COUNTER_MAX + 1, dmem.root));
    expect((error as DmemCgroupLimitError).limitPool).toBe(dmem.root.findPool(region));
    expect(dmemCgroupTryCharge(region, PAGE_COUNTER_MAX, dmem.root).current).toBe(PAGE_COUNTER_MAX);
  });

  it('rejects bad sizes and over-uncharges with EINVAL, changing nothing', () => {
    const { dmem, region, gpu, compositor } = twoClients();
    const pool = dmemCgroupTryCharge(region, 3 * MiB, compositor);
    expect(() => dmemCgroupTryCharge(region, 1.5, compositor)).toThrowError(
      /EINVAL: dmem: charge size 1.5/,
    );
    expect(() => dmemCgroupTryCharge(region, -4, compositor)).toThrowError(/charge size -4/);
    expect(() => dmemCgroupUncharge(pool, 3 * MiB + 1)).toThrowError(
      `EINVAL: dmem: uncharging ${3 * MiB + 1} bytes from /gpu/compositor:cma/reserved, which holds ${3 * MiB}`,
    );
    // A parent pool cannot be uncharged for its child's charge.
    expect(() => dmemCgroupUncharge(gpu.findPool(region) ?? null, MiB)).toThrowError(
      /which holds 0/,
    );
    expect(pool.current).toBe(3 * MiB);
    expect(dmem.root.findPool(region)?.current).toBe(3 * MiB);
    dmemCgroupUncharge(null, 5); // NULL pool is ignored, as in Linux
    dmem.checkInvariants();
  });

  it('setting max below current keeps the old max (page_counter_set_max -EBUSY, ignored by dmem)', () => {
    const { dmem, region, gpu, compositor } = twoClients();
    gpu.setMax(region, 32 * MiB);
    dmemCgroupTryCharge(region, 8 * MiB, compositor);
    expect(gpu.setMax(region, 4 * MiB)).toBe(false);
    expect(gpu.findPool(region)?.max).toBe(32 * MiB);
    expect(gpu.setMax(region, 8 * MiB)).toBe(true);
    expect(() => dmemCgroupTryCharge(region, 1, compositor)).toThrowError(/EAGAIN/);
    expect(() => dmem.root.setMax(region, MiB)).toThrowError(
      /ENOENT: dmem cgroup \/: no dmem.max on the root/,
    );
    dmem.checkInvariants();
  });
});

describe('dmem_cgroup_unregister_region with live charges', () => {
  it('drops the region and its pools from cgroups; held charges can still be uncharged', () => {
    const { dmem, region, gpu, compositor } = twoClients();
    gpu.setMax(region, 32 * MiB);
    const pool = dmemCgroupTryCharge(region, 8 * MiB, compositor);
    dmemCgroupUnregisterRegion(region);
    expect(region.unregistered).toBe(true);
    expect(dmem.regions).toEqual([]);
    expect(compositor.findPool(region)).toBeUndefined();
    expect(dmem.unregisteredRegions).toEqual([region]);
    expect(() => dmemCgroupTryCharge(region, 1, compositor)).toThrowError(
      /ENODEV: dmem: region cma\/reserved/,
    );
    expect(() => gpu.setMax(region, MiB)).toThrowError(/ENODEV/);
    dmem.checkInvariants();
    dmemCgroupUncharge(pool, 8 * MiB);
    expect(pool.parent?.current).toBe(0);
    expect(dmem.unregisteredRegions).toEqual([]);
    dmem.checkInvariants();
    dmemCgroupUnregisterRegion(region); // twice, or null: no effect
    dmemCgroupUnregisterRegion(null);
  });
});

describe('cgroup tree', () => {
  it('mkdir/rmdir: names, EEXIST, EBUSY with children, limits reset on removal (dmemcs_offline)', () => {
    const { dmem, region, gpu, compositor } = twoClients();
    expect(compositor.path).toBe('/gpu/compositor');
    expect(dmem.lookup('/gpu/compositor')).toBe(compositor);
    expect(() => gpu.mkdir('compositor')).toThrowError(/EEXIST/);
    expect(() => gpu.mkdir('a/b')).toThrowError(/EINVAL/);
    expect(() => gpu.rmdir()).toThrowError(/EBUSY: dmem cgroup \/gpu: has 1 child/);
    expect(() => dmem.root.rmdir()).toThrowError(/EBUSY/);
    compositor.setMax(region, 4 * MiB);
    compositor.setMin(region, 2 * MiB);
    const pool = dmemCgroupTryCharge(region, 3 * MiB, compositor);
    compositor.rmdir();
    expect(pool.max).toBe(PAGE_COUNTER_MAX);
    expect(pool.min).toBe(0);
    expect(gpu.findPool(region)?.current).toBe(3 * MiB); // charges stay until uncharged
    expect(() => dmemCgroupTryCharge(region, 1, compositor)).toThrowError(/ENOENT/);
    dmem.checkInvariants();
    dmemCgroupUncharge(pool, 3 * MiB);
    expect(gpu.findPool(region)?.current).toBe(0);
    dmem.checkInvariants();
  });
});
