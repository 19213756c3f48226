import type { SmmuContextBank } from './context-bank';
import * as R from './registers';

/** A 32-bit read of a context bank register at offset `at` in its page. */
export function readContextBank(bank: SmmuContextBank, at: number): number {
  switch (at) {
    case R.ARM_SMMU_CB_SCTLR:
      return bank.sctlr;
    case R.ARM_SMMU_CB_ACTLR:
      return bank.actlr;
    case R.ARM_SMMU_CB_TCR2:
      return bank.tcr2;
    case R.ARM_SMMU_CB_TTBR0:
      return bank.ttbr0Lo;
    case R.ARM_SMMU_CB_TTBR0 + 4:
      return bank.ttbr0Hi;
    case R.ARM_SMMU_CB_TTBR1:
      return bank.ttbr1Lo;
    case R.ARM_SMMU_CB_TTBR1 + 4:
      return bank.ttbr1Hi;
    case R.ARM_SMMU_CB_TCR:
      return bank.tcr;
    case R.ARM_SMMU_CB_CONTEXTIDR:
      return bank.contextidr;
    case R.ARM_SMMU_CB_S1_MAIR0:
      return bank.mair0;
    case R.ARM_SMMU_CB_S1_MAIR1:
      return bank.mair1;
    case R.ARM_SMMU_CB_PAR:
      return bank.parLo;
    case R.ARM_SMMU_CB_PAR + 4:
      return bank.parHi;
    case R.ARM_SMMU_CB_FSR:
      return bank.fsrValue;
    case R.ARM_SMMU_CB_FAR:
      return bank.farLo;
    case R.ARM_SMMU_CB_FAR + 4:
      return bank.farHi;
    case R.ARM_SMMU_CB_FSYNR0:
      return bank.fsynr0;
    case R.ARM_SMMU_CB_FSYNR1:
      return bank.fsynr1;
    case R.ARM_SMMU_CB_TLBSTATUS:
      return 0; // SACTIVE: TLB maintenance completes at once
    default:
      return 0;
  }
}

/**
 * A 32-bit write of a context bank register (RESUME and TLBI* are handled by the SMMU).
 * Translation registers invalidate the decoded configuration; the TLB is not flushed, as on
 * hardware: software must invalidate after changing tables or registers.
 */
export function writeContextBank(bank: SmmuContextBank, at: number, value: number): void {
  switch (at) {
    case R.ARM_SMMU_CB_SCTLR:
      bank.sctlr = value;
      break;
    case R.ARM_SMMU_CB_ACTLR:
      bank.actlr = value;
      return;
    case R.ARM_SMMU_CB_TCR2:
      bank.tcr2 = value;
      break;
    case R.ARM_SMMU_CB_TTBR0:
      bank.ttbr0Lo = value;
      break;
    case R.ARM_SMMU_CB_TTBR0 + 4:
      bank.ttbr0Hi = value;
      break;
    case R.ARM_SMMU_CB_TTBR1:
      bank.ttbr1Lo = value;
      return;
    case R.ARM_SMMU_CB_TTBR1 + 4:
      bank.ttbr1Hi = value;
      return;
    case R.ARM_SMMU_CB_TCR:
      bank.tcr = value;
      break;
    case R.ARM_SMMU_CB_CONTEXTIDR:
      bank.contextidr = value;
      break;
    case R.ARM_SMMU_CB_S1_MAIR0:
      bank.mair0 = value;
      return;
    case R.ARM_SMMU_CB_S1_MAIR1:
      bank.mair1 = value;
      return;
    case R.ARM_SMMU_CB_FSR:
      bank.fsr = (bank.fsr & ~value) >>> 0; // write 1 to clear (FORMAT is read-only)
      return;
    case R.ARM_SMMU_CB_FSRRESTORE:
      bank.fsr = (value & ~(3 << R.ARM_SMMU_FSR_FORMAT_SHIFT)) >>> 0;
      return;
    case R.ARM_SMMU_CB_FAR:
      bank.farLo = value;
      return;
    case R.ARM_SMMU_CB_FAR + 4:
      bank.farHi = value;
      return;
    case R.ARM_SMMU_CB_FSYNR0:
      bank.fsynr0 = value;
      return;
    case R.ARM_SMMU_CB_FSYNR1:
      bank.fsynr1 = value;
      return;
    default:
      return; // TLBSYNC completes at once; read-only and reserved offsets ignore writes
  }
  bank.invalidateDecode();
}
