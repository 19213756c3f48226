/**
 * The driver side of one SMMUv2 stage-1 context bank, as Linux's arm-smmu.c programs it
 * (arm_smmu_write_context_bank, arm_smmu_write_s2cr/smr, arm_smmu_tlb_inv_*_s1), through the
 * SMMU's MMIO registers only.
 */
import {
  ARM_SMMU_CB_FAR,
  ARM_SMMU_CB_FSR,
  ARM_SMMU_CB_FSYNR0,
  ARM_SMMU_CB_S1_MAIR0,
  ARM_SMMU_CB_S1_MAIR1,
  ARM_SMMU_CB_S1_TLBIASID,
  ARM_SMMU_CB_S1_TLBIVA,
  ARM_SMMU_CB_S1_TLBIVAL,
  ARM_SMMU_CB_SCTLR,
  ARM_SMMU_CB_TCR,
  ARM_SMMU_CB_TCR2,
  ARM_SMMU_CB_TLBSYNC,
  ARM_SMMU_CB_TTBR0,
  ARM_SMMU_CBA2R_VA64,
  ARM_SMMU_CBAR_TYPE_SHIFT,
  ARM_SMMU_GR0_S2CR_BASE,
  ARM_SMMU_GR0_SMR_BASE,
  ARM_SMMU_GR0_sCR0,
  ARM_SMMU_GR1_CBA2R_BASE,
  ARM_SMMU_GR1_CBAR_BASE,
  ARM_SMMU_S2CR_TYPE_SHIFT,
  ARM_SMMU_SCTLR_AFE,
  ARM_SMMU_SCTLR_CFIE,
  ARM_SMMU_SCTLR_CFRE,
  ARM_SMMU_SCTLR_M,
  ARM_SMMU_SCTLR_TRE,
  ARM_SMMU_SMR_VALID,
  ARM_SMMU_sCR0_GFIE,
  ARM_SMMU_sCR0_GFRE,
  ARM_SMMU_sCR0_USFCFG,
  ARM_SMMU_TCR2_AS,
  type ArmSmmuV2,
  CBAR_TYPE_S1_TRANS_S2_BYPASS,
  type Machine,
  S2CR_TYPE_TRANS,
} from '@socmem/hw-sim';
import { armLpaePackTcr, type IommuFlushOps, type IoPgtableCfg } from '@socmem/io-pgtable';

/** One stage-1 context bank of an SMMUv2 mapped at `base`, used for one stream ID. */
export class SmmuStage1Context {
  private readonly machine: Machine;
  private readonly base: number;
  private readonly cbBase: number;
  readonly index: number;
  readonly asid: number;

  constructor(machine: Machine, smmu: ArmSmmuV2, base: number, index: number) {
    this.machine = machine;
    this.base = base;
    this.index = index;
    // As arm-smmu.c: the ASID of a stage-1 context is its bank index.
    this.asid = index;
    this.cbBase = base + smmu.contextBankOffset(index);
  }

  /** TLB maintenance the page-table code calls (arm_smmu_s1_tlb_ops). */
  readonly flushOps: IommuFlushOps = {
    tlbFlushAll: () => {
      this.write32(this.cbBase + ARM_SMMU_CB_S1_TLBIASID, this.asid);
      this.sync();
    },
    tlbFlushWalk: (iova, size, granule) =>
      this.invalidateRange(ARM_SMMU_CB_S1_TLBIVA, iova, size, granule),
    tlbAddPage: (_gather, iova, granule) =>
      this.invalidateRange(ARM_SMMU_CB_S1_TLBIVAL, iova, granule, granule),
  };

  /** Points the bank at the tables in `cfg` and routes `streamId` to it (SMR/S2CR group `index`). */
  attach(cfg: IoPgtableCfg, streamId: number): void {
    const s1 = cfg.armLpaeS1Cfg;
    if (s1 === undefined) throw new Error('attach: the cfg has no stage-1 registers');
    const packed = armLpaePackTcr(s1, cfg.quirks);
    const gr1 = this.base + 4096;
    this.write32(
      gr1 + ARM_SMMU_GR1_CBAR_BASE + 4 * this.index,
      CBAR_TYPE_S1_TRANS_S2_BYPASS << ARM_SMMU_CBAR_TYPE_SHIFT,
    );
    this.write32(gr1 + ARM_SMMU_GR1_CBA2R_BASE + 4 * this.index, ARM_SMMU_CBA2R_VA64);
    // arm_smmu_init_context_bank: AArch64 contexts use 16-bit ASIDs (TCR2.AS).
    this.write32(this.cbBase + ARM_SMMU_CB_TCR2, packed.tcr2 | ARM_SMMU_TCR2_AS);
    // TTBR0 = table | ASID << 48, one 64-bit register.
    this.machine.cpu.write64(
      this.cbBase + ARM_SMMU_CB_TTBR0,
      BigInt(s1.ttbr) | (BigInt(this.asid) << 48n),
    );
    this.write32(this.cbBase + ARM_SMMU_CB_TCR, packed.tcr);
    this.write32(this.cbBase + ARM_SMMU_CB_S1_MAIR0, s1.mair % 2 ** 32);
    this.write32(this.cbBase + ARM_SMMU_CB_S1_MAIR1, Math.floor(s1.mair / 2 ** 32));
    this.write32(
      this.cbBase + ARM_SMMU_CB_SCTLR,
      ARM_SMMU_SCTLR_CFIE |
        ARM_SMMU_SCTLR_CFRE |
        ARM_SMMU_SCTLR_AFE |
        ARM_SMMU_SCTLR_TRE |
        ARM_SMMU_SCTLR_M,
    );
    this.write32(
      this.base + ARM_SMMU_GR0_S2CR_BASE + 4 * this.index,
      (S2CR_TYPE_TRANS << ARM_SMMU_S2CR_TYPE_SHIFT) | this.index,
    );
    this.write32(
      this.base + ARM_SMMU_GR0_SMR_BASE + 4 * this.index,
      (ARM_SMMU_SMR_VALID | streamId) >>> 0,
    );
    // Leave client bypass, report global faults, and fault unmatched streams (disable_bypass).
    this.write32(
      this.base + ARM_SMMU_GR0_sCR0,
      ARM_SMMU_sCR0_GFRE | ARM_SMMU_sCR0_GFIE | ARM_SMMU_sCR0_USFCFG,
    );
    this.flushOps.tlbFlushAll(null);
  }

  /** FSR, FAR and FSYNR0 of the bank, as arm_smmu_context_fault reads them. */
  faultRegisters(): { fsr: number; far: bigint; fsynr0: number } {
    const cpu = this.machine.cpu;
    return {
      fsr: cpu.read32(this.cbBase + ARM_SMMU_CB_FSR),
      far: cpu.read64(this.cbBase + ARM_SMMU_CB_FAR),
      fsynr0: cpu.read32(this.cbBase + ARM_SMMU_CB_FSYNR0),
    };
  }

  /** Write-one-to-clear of the recorded fault. */
  clearFault(fsr: number): void {
    this.write32(this.cbBase + ARM_SMMU_CB_FSR, fsr);
  }

  private invalidateRange(register: number, iova: number, size: number, granule: number): void {
    for (let at = iova; at < iova + size; at += granule) {
      const operand =
        (BigInt(Math.floor(at / 4096)) & 0xfff_ffff_ffffn) | (BigInt(this.asid) << 48n);
      this.machine.cpu.write64(this.cbBase + register, operand);
    }
    this.sync();
  }

  private sync(): void {
    this.write32(this.cbBase + ARM_SMMU_CB_TLBSYNC, 0);
  }

  private write32(pa: number, value: number): void {
    this.machine.cpu.write32(pa, value >>> 0);
  }
}
