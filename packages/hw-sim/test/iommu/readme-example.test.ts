import {
  ARM_SMMU_CB_FSR,
  ARM_SMMU_CB_SCTLR,
  ARM_SMMU_CB_TCR,
  ARM_SMMU_CB_TCR2,
  ARM_SMMU_CB_TTBR0,
  ARM_SMMU_CBA2R_VA64,
  ARM_SMMU_GR0_S2CR_BASE,
  ARM_SMMU_GR0_SMR_BASE,
  ARM_SMMU_GR0_sCR0,
  ARM_SMMU_GR1_CBA2R_BASE,
  ARM_SMMU_GR1_CBAR_BASE,
  ARM_SMMU_SCTLR_CFIE,
  ARM_SMMU_SCTLR_CFRE,
  ARM_SMMU_SCTLR_M,
  ARM_SMMU_SMR_VALID,
  ARM_SMMU_sCR0_GFRE,
  ARM_SMMU_sCR0_USFCFG,
  ArmSmmuV2,
  createMachine,
  DmaEngine,
} from '@socmem/hw-sim';
import { expect, it } from 'vitest';

// The package README's IOMMU example, kept runnable here.
it('README: a DMA engine behind an SMMUv2 context bank', () => {
  const machine = createMachine();
  const bus = machine.bus;
  const SMMU = 0x2000_0000;
  const smmu = new ArmSmmuV2(machine); // 8 context banks, 16 stream match groups
  bus.mapMmio(SMMU, smmu.mmioSize, smmu);

  // A 39-bit, 4 KiB-granule stage-1 table mapping IOVA 0x1000 -> PA 0x4010_0000 (written by
  // hand here; @socmem/io-pgtable writes real tables for you).
  const [l1, l2, l3] = [0x4800_0000, 0x4800_1000, 0x4800_2000];
  const write64 = (pa: number, lo: number) => {
    bus.write32(pa, lo);
    bus.write32(pa + 4, 0);
  };
  write64(l1, l2 | 3); // table
  write64(l2, l3 | 3); // table
  write64(l3 + 8, 0x4010_0000 | 0xc43); // page | nG | AF | AP[1] (EL0 access)

  // Program context bank 0 the way Linux arm_smmu_write_context_bank() does.
  const cb0 = SMMU + smmu.contextBankOffset(0);
  bus.write32(SMMU + 0x1000 + ARM_SMMU_GR1_CBA2R_BASE, ARM_SMMU_CBA2R_VA64);
  bus.write32(SMMU + 0x1000 + ARM_SMMU_GR1_CBAR_BASE, 1 << 16); // stage 1, stage 2 bypass
  bus.write32(cb0 + ARM_SMMU_CB_TCR2, 5); // PASIZE: 48 bits
  bus.write32(cb0 + ARM_SMMU_CB_TCR, 0x0080_3519); // EPD1, SH0/ORGN0/IRGN0 WB, T0SZ=25
  bus.write64(cb0 + ARM_SMMU_CB_TTBR0, BigInt(l1) | (1n << 48n)); // ASID 1
  bus.write32(
    cb0 + ARM_SMMU_CB_SCTLR,
    ARM_SMMU_SCTLR_M | ARM_SMMU_SCTLR_CFIE | ARM_SMMU_SCTLR_CFRE,
  );
  // Stream 0x42 -> context bank 0; other streams fault (disable_bypass).
  bus.write32(SMMU + ARM_SMMU_GR0_S2CR_BASE, 0);
  bus.write32(SMMU + ARM_SMMU_GR0_SMR_BASE, ARM_SMMU_SMR_VALID | 0x42);
  bus.write32(SMMU + ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_GFRE | ARM_SMMU_sCR0_USFCFG);
  const faults: string[] = [];
  smmu.onContextInterrupt((bank) =>
    faults.push(`cb${bank} FSR ${bus.read32(cb0 + ARM_SMMU_CB_FSR).toString(16)}`),
  );

  const dma = new DmaEngine(machine, { name: 'dma0', streamId: 0x42, iommu: smmu });
  dma.startFill(0x1000, 0xab, 0x1000);
  expect(dma.run()).toBe('done');
  expect(machine.ram.read32(0x4010_0ffc)).toBe(0xabab_abab);

  dma.startFill(0x1f00, 0xcd, 0x200); // runs into the unmapped page at 0x2000
  expect(dma.run()).toBe('error');
  expect(dma.bytesDone).toBe(0x100);
  expect(dma.fault).toEqual({ kind: 'translation', address: 0x2000, level: 3 });
  expect(faults).toEqual(['cb0 FSR 402']); // FORMAT=AArch64 | TF
});
