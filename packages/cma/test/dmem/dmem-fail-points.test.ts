import { createMachine } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import {
  createDmemCgroupHierarchy,
  type DmemCgroupRegion,
  dmemCgroupRegisterRegion,
  dmemCgroupTryCharge,
  dmemCgroupUncharge,
  readDmemCgroupFile,
} from '../../src/dmem/index';

const M = 1024 * 1024;

describe('dmem allocation sites under fault injection', () => {
  it('dmem-region-alloc: registration fails with ENOMEM and registers nothing', () => {
    const machine = createMachine({ pageAllocator: false });
    const dmem = createDmemCgroupHierarchy({ failPoints: machine.failPoints });
    machine.failPoints.arm('dmem-region-alloc', { nth: 1 });
    expect(() => dmemCgroupRegisterRegion(dmem, 64 * M, 'cma/reserved')).toThrowError(
      /ENOMEM: dmem: no memory to register region cma\/reserved/,
    );
    expect(dmem.regions).toEqual([]);
    expect(dmemCgroupRegisterRegion(dmem, 64 * M, 'cma/reserved')?.name).toBe('cma/reserved');
  });

  it('dmem-pool-alloc: every pool creation of a 3-level charge can fail, leaving no pool behind', () => {
    // The first charge below /a/b creates pools for /, /a and /a/b: three allocation sites.
    for (let k = 1; k <= 4; k++) {
      const machine = createMachine({ pageAllocator: false });
      const dmem = createDmemCgroupHierarchy({ failPoints: machine.failPoints });
      const region = dmemCgroupRegisterRegion(dmem, 64 * M, 'cma/reserved') as DmemCgroupRegion;
      const leaf = dmem.root.mkdir('a').mkdir('b');
      machine.failPoints.arm('dmem-pool-alloc', { nth: k });
      if (k <= 3) {
        expect(() => dmemCgroupTryCharge(region, M, leaf)).toThrowError(
          /ENOMEM: dmem: no memory for the pool/,
        );
        expect(region.pools).toEqual([]);
        expect(readDmemCgroupFile(dmem.root, 'dmem.current')).toBe('cma/reserved 0\n');
        dmem.checkInvariants();
        machine.failPoints.disarm('dmem-pool-alloc');
      }
      const pool = dmemCgroupTryCharge(region, M, leaf);
      expect(region.pools).toHaveLength(3);
      dmem.checkInvariants();
      dmemCgroupUncharge(pool, M);
      expect(dmem.root.findPool(region)?.current).toBe(0);
    }
  });
});
