import { joinHalves } from '../../bits';
import { lpaeStage2StartLevel, lpaeStartLevel } from '../../mmu/lpae-geometry';
import type { PageTableFormat, WalkConfig } from '../../mmu/translation';
import {
  ARM_SMMU_CBA2R_VA64,
  ARM_SMMU_CBAR_TYPE_SHIFT,
  ARM_SMMU_SCTLR_AFE,
  ARM_SMMU_SIZE_BITS,
  ARM_SMMU_TCR_EAE,
  ARM_SMMU_TCR_EPD0,
  ARM_SMMU_TCR2_AS,
  ARM_SMMU_TCR2_PASIZE_MASK,
  CBAR_TYPE_S2_TRANS,
} from './registers';

/** The translation registers of one context bank, as software wrote them. */
export interface ContextBankRegisters {
  readonly cbar: number;
  readonly cba2r: number;
  readonly sctlr: number;
  readonly tcr: number;
  readonly tcr2: number;
  readonly ttbr0Lo: number;
  readonly ttbr0Hi: number;
  readonly contextidr: number;
}

/** What the hardware makes of a context bank's registers. */
export interface DecodedContext {
  /** The walk to perform, or null when the registers describe no valid walk (see `error`). */
  readonly config: WalkConfig | null;
  /** Why the configuration is unusable (every translation then takes a translation fault). */
  readonly error: string | null;
  /** TCR.EPD0: walks through TTBR0 are disabled (translation fault without a walk). */
  readonly walksDisabled: boolean;
  /** Stage-1 ASID (TTBR0[63:48] AArch64, TTBR0[55:48] AArch32 LPAE, CONTEXTIDR[7:0] short). */
  readonly asid: number;
  /** CBAR.VMID. */
  readonly vmid: number;
  /** FSR.FORMAT of faults in this context: 0 short descriptor, 1 AArch32 LPAE, 2 AArch64. */
  readonly fsrFormat: number;
}

/** Hardware properties the decoder needs. */
export interface DecoderLimits {
  /** IDR0.CTTW: the SMMU can snoop the CPU cache on walks. */
  readonly coherentWalkSupported: boolean;
  /** IDR2.OAS in bits. */
  readonly outputBits: number;
  /** IDR2.IAS / UBS in bits (largest input address). */
  readonly inputBits: number;
}

/**
 * Decodes CBAR/CBA2R/TCR/TCR2/TTBR0/CONTEXTIDR into a WalkConfig, as the SMMU does before a walk:
 * - CBA2R.VA64=1: VMSAv8-64 (TCR T0SZ[5:0], TG0[15:14], IRGN0[9:8]; stage 1 PA size from
 *   TCR2.PASIZE, stage 2 from VTCR.PS[18:16] and start level from VTCR.SL0[7:6]);
 * - VA64=0 and stage 2, or stage 1 with TCR.EAE=1: VMSAv7 LPAE (T0SZ[2:0] stage 1, signed
 *   T0SZ[3:0] stage 2; 40-bit output);
 * - VA64=0, stage 1, TCR.EAE=0: short descriptors (TTBCR.N must be 0; 32-bit input and output;
 *   SCTLR.AFE selects the simplified AP model with AP[0] as access flag).
 */
export function decodeContextBank(
  regs: ContextBankRegisters,
  limits: DecoderLimits,
): DecodedContext {
  const stage: 1 | 2 =
    ((regs.cbar >>> ARM_SMMU_CBAR_TYPE_SHIFT) & 3) === CBAR_TYPE_S2_TRANS ? 2 : 1;
  const vmid = regs.cbar & 0xff;
  const va64 = (regs.cba2r & ARM_SMMU_CBA2R_VA64) !== 0;
  if (!va64 && stage === 1 && (regs.tcr & ARM_SMMU_TCR_EAE) === 0)
    return decodeShort(regs, vmid, limits);
  const format: PageTableFormat = va64 ? 'lpae64' : 'lpae32';
  const fsrFormat = va64 ? 2 : 1;
  const walksDisabled = stage === 1 && (regs.tcr & ARM_SMMU_TCR_EPD0) !== 0;
  // TTBR0.ASID [63:48]; only [55:48] count for AArch32 LPAE and for AArch64 with TCR2.AS = 0.
  const asid =
    stage === 2
      ? 0
      : (regs.ttbr0Hi >>> 16) & (va64 && (regs.tcr2 & ARM_SMMU_TCR2_AS) !== 0 ? 0xffff : 0xff);
  const fail = (error: string): DecodedContext => ({
    config: null,
    error,
    walksDisabled,
    asid,
    vmid,
    fsrFormat,
  });

  let granuleShift: 12 | 14 | 16 = 12;
  let inputBits: number;
  let outputBits: number;
  if (va64) {
    const tg0 = (regs.tcr >>> 14) & 3;
    if (tg0 === 3) return fail('TCR.TG0 is the reserved value 3');
    granuleShift = tg0 === 0 ? 12 : tg0 === 1 ? 16 : 14;
    inputBits = 64 - (regs.tcr & 0x3f);
    const sizeField = stage === 1 ? regs.tcr2 & ARM_SMMU_TCR2_PASIZE_MASK : (regs.tcr >>> 16) & 7;
    outputBits = Math.min(ARM_SMMU_SIZE_BITS[sizeField] ?? limits.outputBits, limits.outputBits);
  } else {
    const t0sz = stage === 1 ? regs.tcr & 7 : (regs.tcr << 28) >> 28;
    inputBits = 32 - t0sz;
    outputBits = Math.min(40, limits.outputBits);
  }
  const maxInput = va64 ? limits.inputBits : stage === 2 ? 40 : 32;
  if (inputBits > maxInput || inputBits < 25) {
    return fail(`input size ${inputBits} bits (T0SZ) is outside 25..${maxInput}`);
  }

  const bitsPerLevel = granuleShift - 3;
  // VTCR.SL0 [7:6] (stage 2 only).
  const sl0 = (regs.tcr >>> 6) & 3;
  let startLevel: number;
  if (stage === 1) {
    startLevel = lpaeStartLevel(granuleShift, inputBits);
  } else {
    if (sl0 === 3 || (!va64 && sl0 > 1)) return fail(`VTCR.SL0 ${sl0} is reserved`);
    // AArch64.S2InvalidSL (ARM ARM VTCR_EL2.SL0; QEMU check_s2_mmu_setup): SL0 = 2 is only
    // valid when the implemented PA size (IDR2.OAS here) is at least 44 bits (4K, 64K) or
    // 42 bits (16K); otherwise every walk takes a level-0 translation fault.
    if (va64 && sl0 === 2 && limits.outputBits < (granuleShift === 14 ? 42 : 44)) {
      return fail(
        `VTCR.SL0 2 needs an output size of 44 bits (42 with 16K), IDR2.OAS is ${limits.outputBits}`,
      );
    }
    startLevel = lpaeStage2StartLevel(granuleShift, sl0);
  }
  // Index bits the start level resolves: wider than a table only with stage-2 concatenation.
  const topIndexBits = inputBits - (granuleShift + (3 - startLevel) * bitsPerLevel);
  let concatenatedTables = 1;
  if (stage === 2) {
    if (topIndexBits < 1 || topIndexBits > bitsPerLevel + 4) {
      return fail(
        `VTCR.SL0 ${sl0} does not fit a ${inputBits}-bit input (would need ${topIndexBits} index bits)`,
      );
    }
    if (topIndexBits > bitsPerLevel) concatenatedTables = 2 ** (topIndexBits - bitsPerLevel);
  }
  const tableBytes = Math.max(64, 8 * 2 ** topIndexBits);
  const addressHi = va64 ? regs.ttbr0Hi & 0xffff : regs.ttbr0Hi & 0xff;
  const base = joinHalves(regs.ttbr0Lo, addressHi);
  const tableBase = base - (base % tableBytes);
  const cacheableWalk = ((regs.tcr >>> 8) & 3) !== 0;
  return {
    config: {
      format,
      stage,
      granuleShift,
      inputBits,
      outputBits,
      startLevel,
      concatenatedTables,
      tableBase,
      coherentWalk: limits.coherentWalkSupported && cacheableWalk,
      mtkExtension: false,
    },
    error: null,
    walksDisabled,
    asid,
    vmid,
    fsrFormat,
  };
}

function decodeShort(
  regs: ContextBankRegisters,
  vmid: number,
  limits: DecoderLimits,
): DecodedContext {
  const asid = regs.contextidr & 0xff;
  const ttbcrN = regs.tcr & 7;
  if (ttbcrN !== 0) {
    return {
      config: null,
      error: `TTBCR.N ${ttbcrN} is not supported (only N=0)`,
      walksDisabled: false,
      asid,
      vmid,
      fsrFormat: 0,
    };
  }
  // TTBR0[6] is IRGN[0] and TTBR0[0] IRGN[1] (the multiprocessing-extensions layout).
  const cacheableWalk = (regs.ttbr0Lo & 0x41) !== 0;
  return {
    config: {
      format: 'v7s',
      stage: 1,
      granuleShift: 12,
      inputBits: 32,
      outputBits: 32,
      startLevel: 1,
      concatenatedTables: 1,
      tableBase: (regs.ttbr0Lo & 0xffff_c000) >>> 0,
      coherentWalk: limits.coherentWalkSupported && cacheableWalk,
      mtkExtension: false,
      accessFlagEnable: (regs.sctlr & ARM_SMMU_SCTLR_AFE) !== 0,
    },
    error: null,
    walksDisabled: false,
    asid,
    vmid,
    fsrFormat: 0,
  };
}
