import { describe, expect, it } from 'vitest';
import { cmaDebugfs } from '../../src/cma/cma-debug';
import { cmaAllocCharged, cmaRegisterDmemRegion, cmaReleaseCharged } from '../../src/cma/cma-dmem';
import { createDmemCgroupHierarchy } from '../../src/dmem/dmem-charge';
import { bootCma, MiB } from '../helpers';

// Reference cma.md §6: a dmem-like per-client quota charged before cma_alloc (Chanudet 2026
// proposal shape): try_charge -> EAGAIN naming the limiting pool; a failed cma_alloc uncharges.
describe('charging CMA allocations to dmem cgroups', () => {
  it('limits one client of a shared area and names the limiting pool', () => {
    const { mm, cma } = bootCma();
    const hierarchy = createDmemCgroupHierarchy();
    const region = cmaRegisterDmemRegion(cma, hierarchy)!;
    expect(region.name).toBe('cma/test');
    const greedy = hierarchy.root.mkdir('greedy');
    greedy.setMax(region, 4 * MiB);
    const other = hierarchy.root.mkdir('other');
    const first = cmaAllocCharged(cma, 768, 0, { region, cgroup: greedy });
    expect(() => cmaAllocCharged(cma, 512, 0, { region, cgroup: greedy })).toThrowError(
      /EAGAIN.*greedy/,
    );
    expect(cmaDebugfs(cma).used).toBe(768); // the refused request never reached cma_alloc
    expect(mm.cma.vmstat.cmaAllocFail).toBe(0);
    const second = cmaAllocCharged(cma, 2048, 0, { region, cgroup: other });
    expect(greedy.getPool(region).current).toBe(768 * 4096);
    expect(cmaReleaseCharged(cma, first)).toBe(true);
    expect(greedy.getPool(region).current).toBe(0);
    expect(cmaReleaseCharged(cma, second)).toBe(true);
    hierarchy.checkInvariants();
    mm.checkInvariants();
  });

  it('a failed cma_alloc uncharges what it charged', () => {
    const { cma } = bootCma({ size: 2 * MiB });
    const hierarchy = createDmemCgroupHierarchy();
    const region = cmaRegisterDmemRegion(cma, hierarchy)!;
    const group = hierarchy.root.mkdir('g');
    expect(() => cmaAllocCharged(cma, 1024, 0, { region, cgroup: group }, true)).toThrowError(
      /EBUSY/,
    );
    expect(group.getPool(region).current).toBe(0);
    hierarchy.checkInvariants();
  });
});
