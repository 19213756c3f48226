import { high32, joinHalves, low32 } from '../../bits';
import { SocmemError } from '../../errors/socmem-error';
import { MmuTranslator } from '../../mmu/mmu-translator';
import type { PageTableWalker } from '../../mmu/page-table-walker';
import type { Tlb } from '../../mmu/tlb';
import {
  ACCESS_EXEC,
  ACCESS_PRIV,
  ACCESS_WRITE,
  type FaultKind,
  type TranslationResult,
} from '../../mmu/translation';
import { resetResult } from '../../mmu/walk-fault';
import { type DecodedContext, type DecoderLimits, decodeContextBank } from './context-decoder';
import * as R from './registers';

const FSR_BIT: Readonly<Record<FaultKind, number>> = {
  translation: R.ARM_SMMU_FSR_TF,
  'access-flag': R.ARM_SMMU_FSR_AFF,
  permission: R.ARM_SMMU_FSR_PF,
  'external-abort': R.ARM_SMMU_FSR_EF,
  'address-size': R.ARM_SMMU_FSR_ASF,
};

/** FSR bits that mean "a fault is recorded" (everything but SS and MULTI). */
const FSR_RECORDED = (R.ARM_SMMU_FSR_FAULT & ~(R.ARM_SMMU_FSR_SS | R.ARM_SMMU_FSR_MULTI)) >>> 0;

/** Stall state of a context bank's one stalled transaction. */
export const STALL_NONE = 0;
export const STALL_WAITING = 1;
export const STALL_RETRY = 2;
export const STALL_TERMINATE = 3;

/**
 * One SMMUv2 translation context bank: its registers (the CB page plus its CBAR/CBA2R/CBFRSYNRA
 * in GR1), its TLB and translator, its fault record and its stalled transaction. The owning
 * {@link ArmSmmuV2} decodes MMIO offsets and routes transactions here.
 */
export class SmmuContextBank {
  readonly index: number;
  readonly tlb: Tlb;
  sctlr = 0;
  actlr = 0;
  tcr = 0;
  tcr2 = 0;
  ttbr0Lo = 0;
  ttbr0Hi = 0;
  ttbr1Lo = 0;
  ttbr1Hi = 0;
  contextidr = 0;
  mair0 = 0;
  mair1 = 0;
  parLo = 0;
  parHi = 0;
  /** FSR fault and status bits (W1C); FORMAT is added on read, see {@link fsrValue}. */
  fsr = 0;
  /** FSR.FORMAT of the recorded fault: 0 short descriptor, 1 AArch32 LPAE, 2 AArch64. */
  fsrFormat = 0;
  farLo = 0;
  farHi = 0;
  fsynr0 = 0;
  fsynr1 = 0;
  cbar = 0;
  cba2r = 0;
  cbfrsynra = 0;
  stallState = STALL_NONE;
  stalledStreamId = -1;
  /** Streams told 'stalled' while this bank held a transaction: told again on RESUME. */
  readonly waiting = new Set<number>();
  private stalledKind: FaultKind = 'translation';
  private stalledLevel = 0;
  /** Upper half latched by a 32-bit write to a TLBI register's high word. */
  private tlbiHigh = 0;
  private decodedContext: DecodedContext | null = null;
  private translator: MmuTranslator | null = null;
  private readonly walker: PageTableWalker;
  private readonly limits: DecoderLimits;

  constructor(index: number, walker: PageTableWalker, tlb: Tlb, limits: DecoderLimits) {
    this.index = index;
    this.walker = walker;
    this.tlb = tlb;
    this.limits = limits;
  }

  /** Marks the translation registers changed: they are decoded again before the next walk. */
  invalidateDecode(): void {
    this.decodedContext = null;
  }

  /** The decoded registers (decoded on first use after a change). */
  get decoded(): DecodedContext {
    let decoded = this.decodedContext;
    if (decoded === null) {
      decoded = decodeContextBank(this, this.limits);
      if (decoded.config !== null) {
        try {
          this.walker.prepare(decoded.config);
        } catch (error) {
          if (!SocmemError.isInstance(error)) throw error;
          decoded = { ...decoded, config: null, error: error.message };
        }
      }
      if (decoded.config !== null) {
        if (this.translator === null) {
          this.translator = new MmuTranslator(this.walker, this.tlb, decoded.config, {
            asid: decoded.asid,
            vmid: decoded.vmid,
          });
        } else {
          this.translator.config = decoded.config;
          this.translator.asid = decoded.asid;
          this.translator.vmid = decoded.vmid;
        }
      }
      this.decodedContext = decoded;
    }
    return decoded;
  }

  /** Walks (or hits the TLB) for an enabled context; false with `out.fault` set on a fault. */
  walk(iova: number, access: number, out: TranslationResult): boolean {
    const decoded = this.decoded;
    if (decoded.config === null || decoded.walksDisabled) {
      resetResult(out, iova);
      out.fault = 'translation';
      out.faultLevel = decoded.config?.startLevel ?? 0;
      out.faultAccess = access;
      return false;
    }
    return this.translator!.translate(iova, access, out);
  }

  /**
   * Records a context fault: FSR (or MULTI when one is already recorded), FAR, FSYNR0 and
   * CBFRSYNRA, and the stall when SCTLR.CFCFG is set. Returns true when the caller must raise
   * the context interrupt (SCTLR.CFIE and no fault was outstanding).
   */
  recordFault(streamId: number, iova: number, access: number, out: TranslationResult): boolean {
    const kind = out.fault ?? 'translation';
    const outstanding = (this.fsr & FSR_RECORDED) !== 0;
    if (outstanding) {
      this.fsr = (this.fsr | R.ARM_SMMU_FSR_MULTI) >>> 0;
    } else {
      this.fsr = (this.fsr | FSR_BIT[kind]) >>> 0;
      this.fsrFormat = this.decoded.fsrFormat;
      this.farLo = low32(iova);
      this.farHi = high32(iova);
      let syndrome = out.faultLevel & R.ARM_SMMU_FSYNR0_PLVL_MASK;
      if ((access & ACCESS_WRITE) !== 0) syndrome |= R.ARM_SMMU_FSYNR0_WNR;
      if ((access & ACCESS_PRIV) === 0) syndrome |= R.ARM_SMMU_FSYNR0_PNU;
      if ((access & ACCESS_EXEC) !== 0) syndrome |= R.ARM_SMMU_FSYNR0_IND;
      if (kind === 'external-abort' && out.faultDescriptorAddress >= 0)
        syndrome |= R.ARM_SMMU_FSYNR0_PTWF;
      this.fsynr0 = syndrome;
      this.cbfrsynra = streamId & 0xffff;
    }
    if ((this.sctlr & R.ARM_SMMU_SCTLR_CFCFG) !== 0 && this.stallState === STALL_NONE) {
      this.fsr = (this.fsr | R.ARM_SMMU_FSR_SS) >>> 0;
      this.stallState = STALL_WAITING;
      this.stalledStreamId = streamId;
      this.stalledKind = kind;
      this.stalledLevel = out.faultLevel;
    }
    return !outstanding && (this.sctlr & R.ARM_SMMU_SCTLR_CFIE) !== 0;
  }

  /** FSR as software reads it: the recorded bits plus FORMAT [10:9] while a fault is recorded. */
  get fsrValue(): number {
    if ((this.fsr & FSR_RECORDED) === 0) return this.fsr;
    return (this.fsr | (this.fsrFormat << R.ARM_SMMU_FSR_FORMAT_SHIFT)) >>> 0;
  }

  /** Ends a terminated stall: `out` carries the original fault again. */
  takeTermination(iova: number, out: TranslationResult): void {
    resetResult(out, iova);
    out.fault = this.stalledKind;
    out.faultLevel = this.stalledLevel;
    this.clearStall();
  }

  clearStall(): void {
    this.stallState = STALL_NONE;
    this.stalledStreamId = -1;
  }

  /** SCTLR.CFRE: faults abort the master (else reads as zero, writes ignored). */
  get reportsFaults(): boolean {
    return (this.sctlr & R.ARM_SMMU_SCTLR_CFRE) !== 0;
  }

  /** RESUME: TnR=0 retries the stalled transaction, TnR=1 terminates it. Returns false when none is stalled. */
  resume(value: number): boolean {
    if (this.stallState !== STALL_WAITING) return false;
    this.stallState = (value & R.ARM_SMMU_RESUME_TERMINATE) !== 0 ? STALL_TERMINATE : STALL_RETRY;
    return true;
  }

  /** A 32-bit write to a TLB maintenance register (the low word triggers; the high word is latched). */
  tlbiWrite32(offset: number, value: number): void {
    if ((offset & 4) !== 0) {
      this.tlbiHigh = value >>> 0;
      return;
    }
    const high = this.tlbiHigh;
    this.tlbiHigh = 0;
    this.tlbi(offset, value >>> 0, high);
  }

  /**
   * TLB maintenance by register (SMMUv2 CB TLBI*): VA operands are VA[55:12] in [43:0] with the
   * ASID in [63:48] for AArch64 contexts (as arm_smmu_tlb_inv_range_s1 writes them), VA[31:12]
   * with the ASID in [7:0] for AArch32 contexts; TLBIIPAS2 takes IPA[51:12] in [39:0].
   */
  tlbi(offset: number, lo: number, hi: number): void {
    const va64 = (this.cba2r & R.ARM_SMMU_CBA2R_VA64) !== 0;
    const vmid = this.cbar & 0xff;
    // ASID width: 16 bits only for an AArch64 context with TCR2.AS = 1.
    const asidMask = va64 && (this.tcr2 & R.ARM_SMMU_TCR2_AS) !== 0 ? 0xffff : 0xff;
    switch (offset) {
      case R.ARM_SMMU_CB_S1_TLBIALL:
        this.tlb.invalidateAll();
        return;
      case R.ARM_SMMU_CB_S1_TLBIASID:
        this.tlb.invalidateAsid(lo & asidMask, vmid);
        return;
      case R.ARM_SMMU_CB_S1_TLBIVA:
      case R.ARM_SMMU_CB_S1_TLBIVAL:
      case R.ARM_SMMU_CB_S1_TLBIVAA:
      case R.ARM_SMMU_CB_S1_TLBIVAAL: {
        const va = va64 ? joinHalves(lo, hi & 0xfff) * 4096 : (lo & 0xffff_f000) >>> 0;
        const allAsids =
          offset === R.ARM_SMMU_CB_S1_TLBIVAA || offset === R.ARM_SMMU_CB_S1_TLBIVAAL;
        const asid = (va64 ? hi >>> 16 : lo) & asidMask;
        if (Number.isSafeInteger(va)) this.tlb.invalidateVa(va, allAsids ? undefined : asid, vmid);
        return;
      }
      case R.ARM_SMMU_CB_S2_TLBIIPAS2:
      case R.ARM_SMMU_CB_S2_TLBIIPAS2L:
        this.tlb.invalidateVa(joinHalves(lo, hi & 0xff) * 4096, undefined, vmid);
        return;
      default:
        return;
    }
  }
}
