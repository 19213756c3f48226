import { high32, low32 } from '../../bits';
import { SocmemError } from '../../errors/socmem-error';
import { ACCESS_EXEC, ACCESS_PRIV, ACCESS_WRITE } from '../../mmu/translation';
import type { SmmuContextBank } from './context-bank';
import * as R from './registers';

/** What an SMMUv2 instance implements, as IDR0-2 report it. */
export interface SmmuGeometry {
  readonly contextBanks: number;
  readonly streamMatchGroups: number;
  readonly streamIdBits: number;
  readonly outputBits: number;
  readonly coherentWalk: boolean;
}

/** Stream match result: a group index, or one of these. */
export const NO_MATCH = -1;
export const MATCH_CONFLICT = -2;

/**
 * The SMMUv2 global register spaces: GR0 (sCR0, IDR0-2, global fault record, global TLBI,
 * SMRs and S2CRs) and GR1 (CBAR, CBFRSYNRA, CBA2R of each context bank).
 */
export class SmmuGlobalRegisters {
  sCR0 = R.ARM_SMMU_sCR0_CLIENTPD;
  sACR = 0;
  sGFSR = 0;
  sGFARLo = 0;
  sGFARHi = 0;
  sGFSYNR0 = 0;
  sGFSYNR1 = 0;
  sGFSYNR2 = 0;
  readonly smr: Uint32Array;
  readonly s2cr: Uint32Array;
  readonly id0: number;
  readonly id1: number;
  readonly id2: number;
  /** NUMPAGE: pages of global space; context bank n is page NUMPAGE + n. */
  readonly numPage: number;
  readonly streamIdMask: number;
  /** Incremented by every GR0 write, so cached stream routing knows when to look again. */
  generation = 0;
  private readonly banks: readonly SmmuContextBank[];

  constructor(name: string, geometry: SmmuGeometry, banks: readonly SmmuContextBank[]) {
    const { contextBanks, streamMatchGroups, streamIdBits, outputBits, coherentWalk } = geometry;
    checkRange(name, 'contextBanks', contextBanks, 1, 128);
    checkRange(name, 'streamMatchGroups', streamMatchGroups, 1, 128);
    checkRange(name, 'streamIdBits', streamIdBits, 1, 15);
    const oas = R.smmuSizeEncoding(outputBits);
    if (oas < 0 || oas > 5) {
      throw new SocmemError('EINVAL', `${name}: outputBits ${outputBits} is not 32/36/40/42/44/48`);
    }
    const numPageNdxb = Math.max(0, Math.ceil(Math.log2(contextBanks)) - 1);
    this.numPage = 2 ** (numPageNdxb + 1);
    this.streamIdMask = (1 << streamIdBits) - 1;
    this.smr = new Uint32Array(streamMatchGroups);
    this.s2cr = new Uint32Array(streamMatchGroups).fill(R.ARM_SMMU_S2CR_RESET);
    this.banks = banks;
    this.id0 =
      (R.ARM_SMMU_ID0_S1TS |
        R.ARM_SMMU_ID0_S2TS |
        R.ARM_SMMU_ID0_SMS |
        R.ARM_SMMU_ID0_ATOSNS |
        (contextBanks << R.ARM_SMMU_ID0_NUMIRPT_SHIFT) |
        (coherentWalk ? R.ARM_SMMU_ID0_CTTW : 0) |
        (streamIdBits << R.ARM_SMMU_ID0_NUMSIDB_SHIFT) |
        streamMatchGroups) >>>
      0;
    this.id1 = ((numPageNdxb << R.ARM_SMMU_ID1_NUMPAGENDXB_SHIFT) | contextBanks) >>> 0;
    this.id2 =
      R.ARM_SMMU_ID2_PTFS_64K |
      R.ARM_SMMU_ID2_PTFS_16K |
      R.ARM_SMMU_ID2_PTFS_4K |
      (5 << R.ARM_SMMU_ID2_UBS_SHIFT) |
      (oas << R.ARM_SMMU_ID2_OAS_SHIFT) |
      (5 << R.ARM_SMMU_ID2_IAS_SHIFT);
  }

  /** The SMR group matching `streamId` (ID equal outside MASK), NO_MATCH or MATCH_CONFLICT. */
  matchStream(streamId: number): number {
    const sid = streamId & this.streamIdMask;
    let match = NO_MATCH;
    for (let group = 0; group < this.smr.length; group++) {
      const smr = this.smr[group]!;
      if ((smr & R.ARM_SMMU_SMR_VALID) === 0) continue;
      const mask = (smr >>> R.ARM_SMMU_SMR_MASK_SHIFT) & 0x7fff;
      if (((sid ^ smr) & ~mask & this.streamIdMask) !== 0) continue;
      if (match !== NO_MATCH) return MATCH_CONFLICT;
      match = group;
    }
    return match;
  }

  /**
   * Records a global fault (sGFSR bit, sGFAR, sGFSYNR0-2), or only MULTI when one is already
   * recorded. Returns true when the global interrupt must be raised (sCR0.GFIE, first fault).
   */
  recordFault(bit: number, streamId: number, iova: number, access: number): boolean {
    if ((this.sGFSR & ~R.ARM_SMMU_sGFSR_MULTI) !== 0) {
      this.sGFSR = (this.sGFSR | R.ARM_SMMU_sGFSR_MULTI) >>> 0;
      return false;
    }
    this.sGFSR = bit;
    this.sGFARLo = low32(iova);
    this.sGFARHi = high32(iova);
    this.sGFSYNR0 =
      ((access & ACCESS_WRITE) !== 0 ? R.ARM_SMMU_sGFSYNR0_WNR : 0) |
      ((access & ACCESS_PRIV) === 0 ? R.ARM_SMMU_sGFSYNR0_PNU : 0) |
      ((access & ACCESS_EXEC) !== 0 ? R.ARM_SMMU_sGFSYNR0_IND : 0);
    this.sGFSYNR1 = streamId & 0xffff;
    this.sGFSYNR2 = 0;
    return (this.sCR0 & R.ARM_SMMU_sCR0_GFIE) !== 0;
  }

  readGr0(at: number): number {
    switch (at) {
      case R.ARM_SMMU_GR0_sCR0:
        return this.sCR0;
      case R.ARM_SMMU_GR0_sACR:
        return this.sACR;
      case R.ARM_SMMU_GR0_ID0:
        return this.id0;
      case R.ARM_SMMU_GR0_ID1:
        return this.id1;
      case R.ARM_SMMU_GR0_ID2:
        return this.id2;
      case R.ARM_SMMU_GR0_sGFAR:
        return this.sGFARLo;
      case R.ARM_SMMU_GR0_sGFAR + 4:
        return this.sGFARHi;
      case R.ARM_SMMU_GR0_sGFSR:
        return this.sGFSR;
      case R.ARM_SMMU_GR0_sGFSYNR0:
        return this.sGFSYNR0;
      case R.ARM_SMMU_GR0_sGFSYNR1:
        return this.sGFSYNR1;
      case R.ARM_SMMU_GR0_sGFSYNR2:
        return this.sGFSYNR2;
      case R.ARM_SMMU_GR0_sTLBGSTATUS:
        return 0; // GSACTIVE: every invalidation completes at once
      default: {
        const group = this.groupOf(at, R.ARM_SMMU_GR0_SMR_BASE);
        if (group >= 0) return this.smr[group]!;
        const s2cr = this.groupOf(at, R.ARM_SMMU_GR0_S2CR_BASE);
        return s2cr >= 0 ? this.s2cr[s2cr]! : 0;
      }
    }
  }

  writeGr0(at: number, value: number): void {
    this.generation++;
    switch (at) {
      case R.ARM_SMMU_GR0_sCR0:
        this.sCR0 = value;
        return;
      case R.ARM_SMMU_GR0_sACR:
        this.sACR = value;
        return;
      case R.ARM_SMMU_GR0_sGFSR:
        this.sGFSR = (this.sGFSR & ~value) >>> 0; // write 1 to clear
        return;
      case R.ARM_SMMU_GR0_sGFSRRESTORE:
        this.sGFSR = value;
        return;
      case R.ARM_SMMU_GR0_TLBIVMID:
        for (const bank of this.banks) bank.tlb.invalidateVmid(value & 0xffff);
        return;
      case R.ARM_SMMU_GR0_TLBIALLNSNH:
        for (const bank of this.banks) bank.tlb.invalidateAll();
        return;
      default:
        break;
    }
    const group = this.groupOf(at, R.ARM_SMMU_GR0_SMR_BASE);
    if (group >= 0) {
      // Only implemented ID/MASK bits stick (Linux probes them by writing all ones).
      const idMask = this.streamIdMask;
      const kept = R.ARM_SMMU_SMR_VALID | (idMask << R.ARM_SMMU_SMR_MASK_SHIFT) | idMask;
      this.smr[group] = (value & kept) >>> 0;
      return;
    }
    const s2cr = this.groupOf(at, R.ARM_SMMU_GR0_S2CR_BASE);
    if (s2cr >= 0) this.s2cr[s2cr] = value;
    // TLBIALLH (no hypervisor contexts), sTLBGSYNC (completes at once), read-only registers: ignored.
  }

  readGr1(at: number): number {
    const bank = this.banks[(at & 0x3ff) >>> 2];
    if (bank === undefined) return 0;
    if (at < R.ARM_SMMU_GR1_CBFRSYNRA_BASE) return bank.cbar;
    if (at < R.ARM_SMMU_GR1_CBA2R_BASE) return bank.cbfrsynra;
    if (at < 0xc00) return bank.cba2r;
    return 0;
  }

  writeGr1(at: number, value: number): void {
    const bank = this.banks[(at & 0x3ff) >>> 2];
    if (bank === undefined) return;
    if (at < R.ARM_SMMU_GR1_CBFRSYNRA_BASE) bank.cbar = value;
    else if (at >= R.ARM_SMMU_GR1_CBA2R_BASE && at < 0xc00) {
      bank.cba2r = value & (R.ARM_SMMU_CBA2R_VA64 | 0xffff_0000);
    } else return;
    bank.invalidateDecode();
  }

  private groupOf(at: number, base: number): number {
    const group = (at - base) >> 2;
    return at >= base && group < this.smr.length ? group : -1;
  }
}

function checkRange(name: string, what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SocmemError('EINVAL', `${name}: ${what} ${value} is outside ${min}..${max}`);
  }
}
