/**
 * The tables and register values of allocIoPgtableOps programmed into the hw-sim SMMUv2
 * through its MMIO registers, as drivers/iommu/arm/arm-smmu/arm-smmu.c does
 * (arm_smmu_init_context_bank / arm_smmu_write_context_bank): CB_TCR from armLpaePackTcr or
 * armLpaePackVtcr, CB_TCR2, CB_TTBR0, MAIR; the TLB callbacks invalidate the SMMU's TLB.
 * Every mapped address must translate through the SMMU to what iovaToPhys says.
 */
import {
  ACCESS_READ,
  ACCESS_WRITE,
  ARM_SMMU_CB_S1_MAIR0,
  ARM_SMMU_CB_S1_MAIR1,
  ARM_SMMU_CB_S1_TLBIALL,
  ARM_SMMU_CB_SCTLR,
  ARM_SMMU_CB_TCR,
  ARM_SMMU_CB_TCR2,
  ARM_SMMU_CB_TLBSYNC,
  ARM_SMMU_CB_TTBR0,
  ARM_SMMU_CBA2R_VA64,
  ARM_SMMU_GR0_S2CR_BASE,
  ARM_SMMU_GR0_SMR_BASE,
  ARM_SMMU_GR0_sCR0,
  ARM_SMMU_GR0_TLBIVMID,
  ARM_SMMU_GR1_CBA2R_BASE,
  ARM_SMMU_GR1_CBAR_BASE,
  ARM_SMMU_SCTLR_CFRE,
  ARM_SMMU_SCTLR_M,
  ARM_SMMU_sCR0_GFRE,
  ARM_SMMU_TCR2_AS,
  ArmSmmuV2,
  CBAR_TYPE_S1_TRANS_S2_BYPASS,
  CBAR_TYPE_S2_TRANS,
  TranslationResult,
} from '@socmem/hw-sim';
import { describe, expect, test } from 'vitest';
import { freeIoPgtableOps } from '../../src/alloc';
import {
  IOMMU_CACHE,
  IOMMU_READ,
  IOMMU_WRITE,
  type IommuFlushOps,
  IoPgtableFmt,
} from '../../src/io-pgtable';
import { IommuIotlbGather } from '../../src/iotlb-gather';
import { armLpaePackTcr, armLpaePackVtcr } from '../../src/registers';
import {
  allocOps,
  lpaeCfg,
  SZ_1G,
  SZ_2M,
  SZ_4K,
  SZ_16K,
  SZ_32M,
  SZ_64K,
  SZ_512M,
  testMachine,
} from './helpers';

const SMMU_BASE = 0x2000_0000;
const STREAM = 0x42;
const VMID = 3;

const CASES = [
  {
    fmt: IoPgtableFmt.ARM_64_LPAE_S1,
    pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G,
    ias: 48,
    oas: 48,
    coherentWalk: true,
  },
  {
    fmt: IoPgtableFmt.ARM_64_LPAE_S1,
    pgsizeBitmap: SZ_16K | SZ_32M,
    ias: 36,
    oas: 40,
    coherentWalk: false,
  },
  {
    fmt: IoPgtableFmt.ARM_64_LPAE_S1,
    pgsizeBitmap: SZ_64K | SZ_512M,
    ias: 42,
    oas: 44,
    coherentWalk: true,
  },
  {
    fmt: IoPgtableFmt.ARM_64_LPAE_S2,
    pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G,
    ias: 40,
    oas: 40,
    coherentWalk: false,
  },
  {
    fmt: IoPgtableFmt.ARM_64_LPAE_S2,
    pgsizeBitmap: SZ_16K | SZ_32M,
    ias: 40,
    oas: 40,
    coherentWalk: true,
  },
  {
    fmt: IoPgtableFmt.ARM_64_LPAE_S2,
    pgsizeBitmap: SZ_64K | SZ_512M,
    ias: 48,
    oas: 48,
    coherentWalk: false,
  },
];

describe('tables walked by the hw-sim SMMUv2', () => {
  test.each(CASES)('$fmt pgsizes $pgsizeBitmap ias $ias oas $oas coherent $coherentWalk', (c) => {
    const machine = testMachine();
    const smmu = new ArmSmmuV2(machine, { coherentWalk: true });
    machine.bus.mapMmio(SMMU_BASE, smmu.mmioSize, smmu);
    const cb = SMMU_BASE + smmu.contextBankOffset(0);
    const stage1 = c.fmt === IoPgtableFmt.ARM_64_LPAE_S1;
    const invalidate = (): void => {
      if (stage1) machine.bus.write32(cb + ARM_SMMU_CB_S1_TLBIALL, 0);
      else machine.bus.write32(SMMU_BASE + ARM_SMMU_GR0_TLBIVMID, VMID);
      machine.bus.write32(cb + ARM_SMMU_CB_TLBSYNC, 0);
    };
    const tlb: IommuFlushOps = {
      tlbFlushAll: invalidate,
      tlbFlushWalk: invalidate,
      tlbAddPage: invalidate,
    };
    const cfg = lpaeCfg(machine, {
      pgsizeBitmap: c.pgsizeBitmap,
      ias: c.ias,
      oas: c.oas,
      coherentWalk: c.coherentWalk,
      tlb,
    });
    const ops = allocOps(c.fmt, cfg);

    // arm_smmu_write_context_bank, in the driver's order (SCTLR last).
    const bus = machine.bus;
    bus.write32(SMMU_BASE + 0x1000 + ARM_SMMU_GR1_CBA2R_BASE, ARM_SMMU_CBA2R_VA64);
    bus.write32(
      SMMU_BASE + 0x1000 + ARM_SMMU_GR1_CBAR_BASE,
      ((stage1 ? CBAR_TYPE_S1_TRANS_S2_BYPASS : CBAR_TYPE_S2_TRANS) << 16) | VMID,
    );
    if (stage1) {
      const packed = armLpaePackTcr(cfg.armLpaeS1Cfg!, cfg.quirks);
      // arm_smmu_init_context_bank: AArch64 contexts set TCR2.AS (16-bit ASIDs).
      bus.write32(cb + ARM_SMMU_CB_TCR2, packed.tcr2 | ARM_SMMU_TCR2_AS);
      bus.write32(cb + ARM_SMMU_CB_TCR, packed.tcr);
      bus.write64(cb + ARM_SMMU_CB_TTBR0, BigInt(cfg.armLpaeS1Cfg!.ttbr));
      bus.write32(cb + ARM_SMMU_CB_S1_MAIR0, cfg.armLpaeS1Cfg!.mair >>> 0);
      bus.write32(cb + ARM_SMMU_CB_S1_MAIR1, Math.floor(cfg.armLpaeS1Cfg!.mair / 2 ** 32));
    } else {
      bus.write32(cb + ARM_SMMU_CB_TCR, armLpaePackVtcr(cfg.armLpaeS2Cfg!.vtcr));
      bus.write64(cb + ARM_SMMU_CB_TTBR0, BigInt(cfg.armLpaeS2Cfg!.vttbr));
    }
    bus.write32(cb + ARM_SMMU_CB_SCTLR, ARM_SMMU_SCTLR_M | ARM_SMMU_SCTLR_CFRE);
    bus.write32(SMMU_BASE + ARM_SMMU_GR0_S2CR_BASE, 0);
    bus.write32(SMMU_BASE + ARM_SMMU_GR0_SMR_BASE, (0x8000_0000 | STREAM) >>> 0);
    bus.write32(SMMU_BASE + ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_GFRE);

    const granule = c.pgsizeBitmap % 0x2_0000;
    const block = c.pgsizeBitmap - granule - (c.pgsizeBitmap >= SZ_1G + SZ_2M ? SZ_1G : 0);
    const last = 2 ** cfg.ias - granule;
    expect(ops.mapPages(0, 0x4000_0000, granule, 3, IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE)).toBe(
      3 * granule,
    );
    expect(ops.mapPages(block, 0x8000_0000 + block, block, 1, IOMMU_READ)).toBe(block);
    expect(ops.mapPages(last, 0x4000_0000, granule, 1, IOMMU_READ | IOMMU_WRITE)).toBe(granule);

    const out = new TranslationResult();
    for (const iova of [0, granule + 5, 3 * granule - 1, block + 0x1234, 2 * block - 1, last + 7]) {
      expect(smmu.translate(STREAM, iova, ACCESS_READ, out)).toBe('ok');
      expect(out.pa).toBe(ops.iovaToPhys(iova));
    }
    // Stage-1 read-only block (AP_RDONLY) / stage-2 HAP read only: writes fault.
    expect(smmu.translate(STREAM, block, ACCESS_WRITE, out)).toBe('fault');
    expect(out.fault).toBe('permission');

    // Unmap: the gathered invalidation reaches the SMMU's TLB, the next access faults.
    expect(ops.unmapPages(granule, granule, 1, new IommuIotlbGather())).toBe(granule);
    expect(smmu.translate(STREAM, granule, ACCESS_READ, out)).toBe('fault');
    expect(out.fault).toBe('translation');
    expect(smmu.translate(STREAM, 0, ACCESS_READ, out)).toBe('ok');
    freeIoPgtableOps(ops);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
  });
});
