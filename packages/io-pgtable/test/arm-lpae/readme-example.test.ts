/** The README example, with its printed values asserted (README.md "Example"). */
import { createMachine } from '@socmem/hw-sim';
import { expect, test } from 'vitest';
import {
  allocIoPgtableOps,
  armLpaePackTcr,
  freeIoPgtableOps,
  IOMMU_CACHE,
  IOMMU_READ,
  IOMMU_WRITE,
  IommuIotlbGather,
  type IoPgtableCfg,
} from '../../src/index';

test('README example', () => {
  const machine = createMachine();
  const log: string[] = [];
  const cfg: IoPgtableCfg = {
    quirks: 0,
    pgsizeBitmap: 0x1000 | 0x20_0000 | 0x4000_0000,
    ias: 48,
    oas: 48,
    coherentWalk: true,
    tlb: {
      tlbFlushAll: () => log.push('tlb flush all'),
      tlbFlushWalk: (iova, size, granule) => log.push(`flush walk ${iova} ${size} ${granule}`),
      tlbAddPage: (_gather, iova, granule) =>
        log.push(`invalidate ${iova.toString(16)} ${granule}`),
    },
    machine,
  };
  const ops = allocIoPgtableOps('ARM_64_LPAE_S1', cfg, 'my-domain');
  expect(cfg.armLpaeS1Cfg).toEqual({
    ttbr: 0x7000_0000,
    tcr: { ips: 5, tg: 0, sh: 3, orgn: 1, irgn: 1, tsz: 16 },
    mair: 0xf404ff44,
  });
  expect(armLpaePackTcr(cfg.armLpaeS1Cfg!).tcr.toString(16)).toBe('803510');
  expect(
    ops.mapPages(0x10_0000, 0x8_8000_0000, 0x1000, 16, IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE),
  ).toBe(65536);
  expect(ops.iovaToPhys(0x10_2345).toString(16)).toBe('880002345');
  expect(machine.cpu.read64(0x7000_3000 + 0x100 * 8).toString(16)).toBe('880000f47');
  expect(ops.unmapPages(0x10_0000, 0x1000, 16, new IommuIotlbGather())).toBe(65536);
  expect(log).toHaveLength(16);
  expect(log[0]).toBe('invalidate 100000 4096');
  expect(ops.iovaToPhys(0x10_2345)).toBe(0);
  freeIoPgtableOps(ops);
  expect(log[16]).toBe('tlb flush all');
  expect(machine.pageAllocator.leakReport()).toEqual([]);
});
