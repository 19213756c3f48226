import { high32, low32 } from '../../bits';
import { SocmemError } from '../../errors/socmem-error';
import type { Machine } from '../../machine';
import type { MmioDevice } from '../../memory/mmio';
import { PageTableWalker } from '../../mmu/page-table-walker';
import { Tlb } from '../../mmu/tlb';
import {
  ACCESS_EXEC,
  ACCESS_PRIV,
  ACCESS_WRITE,
  type TranslationResult,
} from '../../mmu/translation';
import { resetResult } from '../../mmu/walk-fault';
import type { TraceStream } from '../../observability/trace';
import type { Iommu, IommuOutcome, ResumeListener } from '../iommu';
import { Listeners } from '../listeners';
import { SmmuContextBank, STALL_RETRY, STALL_TERMINATE, STALL_WAITING } from './context-bank';
import { readContextBank, writeContextBank } from './context-bank-mmio';
import * as R from './registers';

/** Geometry and capabilities of an SMMUv2 instance (reflected in IDR0-2). */
export interface ArmSmmuV2Options {
  readonly name?: string;
  /** Context banks (IDR1.NUMCB), 1..128. Default 8. */
  readonly contextBanks?: number;
  /** Stream match register groups (IDR0.NUMSMRG), 1..128. Default 16. */
  readonly streamMatchGroups?: number;
  /** Stream ID bits (IDR0.NUMSIDB), 1..15. Default 15. */
  readonly streamIdBits?: number;
  /** IDR0.CTTW: walks can snoop the CPU cache (when TCR asks for cacheable walks). Default true. */
  readonly coherentWalk?: boolean;
  /** IDR2.OAS in bits (32, 36, 40, 42, 44 or 48). Default 48. */
  readonly outputBits?: number;
  /** Geometry of each context bank's TLB. Default 64 sets x 4 ways. */
  readonly tlbSets?: number;
  readonly tlbWays?: number;
}

/** Transaction counts of an SMMU. */
export class ArmSmmuV2Counters {
  transactions = 0;
  bypassed = 0;
  contextFaults = 0;
  globalFaults = 0;
  stalls = 0;
}

/** Bytes a bypassed translation covers (the master may move this much per step). */
const BYPASS_SPAN = 2 ** 30;

/**
 * An Arm SMMU architecture v2 model: a faithful subset, with register offsets and bits as the
 * specification gives them (Linux drivers/iommu/arm/arm-smmu names them). Map it on the bus with
 * `machine.bus.mapMmio(base, smmu.mmioSize, smmu)`; bus masters send it transactions through the
 * {@link Iommu} interface.
 *
 * Transaction flow: sCR0.CLIENTPD bypasses everything; otherwise the stream ID is matched
 * against the valid SMRs (ID/MASK); no match follows sCR0.USFCFG (global USF fault, or bypass);
 * the S2CR of the match says translate (to context bank CBNDX), bypass or fault. A context bank
 * with SCTLR.M=0 bypasses; otherwise its TLB and walker translate (stage 1 AArch64/AArch32 LPAE,
 * short descriptors, or stage 2 per CBAR.TYPE/CBA2R.VA64/TCR.EAE). Faults fill FSR/FAR/FSYNR0/
 * CBFRSYNRA and raise the context interrupt (SCTLR.CFIE); with SCTLR.CFCFG=1 the transaction
 * stalls ('stalled') until software writes RESUME (TnR 0 retry, 1 terminate), after which the
 * {@link onResume} listeners run and the master presents the transaction again.
 */
export class ArmSmmuV2 implements MmioDevice, Iommu {
  readonly name: string;
  readonly counters = new ArmSmmuV2Counters();
  readonly contextBanks: readonly SmmuContextBank[];
  /** Bytes of the register space: 2 x NUMPAGE x 4 KiB. */
  readonly mmioSize: number;
  /** NUMPAGE: pages of global space; context bank n is page NUMPAGE + n. */
  readonly numPage: number;
  readonly streamMatchGroups: number;
  readonly streamIdMask: number;
  readonly walker: PageTableWalker;
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
  private readonly id0: number;
  private readonly id1: number;
  private readonly id2: number;
  private readonly contextLine = new Listeners<[number]>();
  private readonly globalLine = new Listeners<[]>();
  private readonly resumeLine = new Listeners<[number]>();
  private readonly trace: TraceStream;
  /** Depth of recordFault -> interrupt handlers: a RESUME written there is acted on synchronously. */
  private raising = 0;
  /** The last stream routed to a context bank (-1: none), its bank and S2CR.PRIVCFG. */
  private cachedStreamId = -1;
  private cachedBank: SmmuContextBank | null = null;
  private cachedPrivcfg = 0;

  constructor(machine: Machine, options: ArmSmmuV2Options = {}) {
    this.name = options.name ?? 'smmu';
    const banks = options.contextBanks ?? 8;
    const groups = options.streamMatchGroups ?? 16;
    const sidBits = options.streamIdBits ?? 15;
    const outputBits = options.outputBits ?? 48;
    const coherentWalk = options.coherentWalk ?? true;
    checkRange(this.name, 'contextBanks', banks, 1, 128);
    checkRange(this.name, 'streamMatchGroups', groups, 1, 128);
    checkRange(this.name, 'streamIdBits', sidBits, 1, 15);
    const oas = R.smmuSizeEncoding(outputBits);
    if (oas < 0 || oas > 5)
      throw new SocmemError(
        'EINVAL',
        `${this.name}: outputBits ${outputBits} is not 32/36/40/42/44/48`,
      );
    const numPageNdxb = Math.max(0, Math.ceil(Math.log2(banks)) - 1);
    this.numPage = 2 ** (numPageNdxb + 1);
    this.mmioSize = 2 * this.numPage * 4096;
    this.streamMatchGroups = groups;
    this.streamIdMask = (1 << sidBits) - 1;
    this.smr = new Uint32Array(groups);
    this.s2cr = new Uint32Array(groups).fill(R.ARM_SMMU_S2CR_RESET);
    this.id0 =
      (R.ARM_SMMU_ID0_S1TS |
        R.ARM_SMMU_ID0_S2TS |
        R.ARM_SMMU_ID0_SMS |
        R.ARM_SMMU_ID0_ATOSNS |
        (banks << R.ARM_SMMU_ID0_NUMIRPT_SHIFT) |
        (coherentWalk ? R.ARM_SMMU_ID0_CTTW : 0) |
        (sidBits << R.ARM_SMMU_ID0_NUMSIDB_SHIFT) |
        groups) >>>
      0;
    this.id1 = ((numPageNdxb << R.ARM_SMMU_ID1_NUMPAGENDXB_SHIFT) | banks) >>> 0;
    this.id2 =
      R.ARM_SMMU_ID2_PTFS_64K |
      R.ARM_SMMU_ID2_PTFS_16K |
      R.ARM_SMMU_ID2_PTFS_4K |
      (5 << R.ARM_SMMU_ID2_UBS_SHIFT) |
      (oas << R.ARM_SMMU_ID2_OAS_SHIFT) |
      (5 << R.ARM_SMMU_ID2_IAS_SHIFT);
    this.trace = machine.trace;
    this.walker = new PageTableWalker(machine.bus, machine.cache, this.name, machine.trace);
    const limits = { coherentWalkSupported: coherentWalk, outputBits, inputBits: 48 };
    const list: SmmuContextBank[] = [];
    for (let index = 0; index < banks; index++) {
      const tlbName = `${this.name}.cb${index}`;
      const tlb = new Tlb(
        { name: tlbName, sets: options.tlbSets ?? 64, ways: options.tlbWays ?? 4 },
        machine.rng.fork(tlbName),
        machine.trace,
      );
      list.push(new SmmuContextBank(index, this.walker, tlb, limits));
    }
    this.contextBanks = list;
  }

  /** The context interrupt lines: `listener(cbIndex)` runs when a bank with SCTLR.CFIE records a fault. */
  onContextInterrupt(listener: (contextBank: number) => void): () => void {
    return this.contextLine.add(listener);
  }

  /** The global fault interrupt (sCR0.GFIE): unmatched streams and stream-match conflicts. */
  onGlobalInterrupt(listener: () => void): () => void {
    return this.globalLine.add(listener);
  }

  onResume(listener: ResumeListener): () => void {
    return this.resumeLine.add(listener);
  }

  translate(streamId: number, iova: number, access: number, out: TranslationResult): IommuOutcome {
    this.counters.transactions++;
    if ((this.sCR0 & R.ARM_SMMU_sCR0_CLIENTPD) !== 0) return this.bypass(iova, out);
    if (streamId === this.cachedStreamId) {
      return this.translateInBank(this.cachedBank!, streamId, iova, this.cachedAccess(access), out);
    }
    let match = -1;
    const sid = streamId & this.streamIdMask;
    for (let group = 0; group < this.streamMatchGroups; group++) {
      const smr = this.smr[group]!;
      if ((smr & R.ARM_SMMU_SMR_VALID) === 0) continue;
      const mask = (smr >>> R.ARM_SMMU_SMR_MASK_SHIFT) & 0x7fff;
      if (((sid ^ smr) & ~mask & this.streamIdMask) !== 0) continue;
      if (match >= 0) return this.globalFault(R.ARM_SMMU_sGFSR_SMCF, streamId, iova, access, out);
      match = group;
    }
    if (match < 0) {
      if ((this.sCR0 & R.ARM_SMMU_sCR0_USFCFG) !== 0) {
        return this.globalFault(R.ARM_SMMU_sGFSR_USF, streamId, iova, access, out);
      }
      return this.bypass(iova, out);
    }
    const s2cr = this.s2cr[match]!;
    const type = (s2cr >>> R.ARM_SMMU_S2CR_TYPE_SHIFT) & 3;
    if (type === R.S2CR_TYPE_BYPASS) return this.bypass(iova, out);
    if (type !== R.S2CR_TYPE_TRANS) {
      // S2CR.TYPE=fault: the transaction is terminated; nothing is recorded.
      resetResult(out, iova);
      out.fault = 'translation';
      return 'fault';
    }
    const bank = this.contextBanks[s2cr & 0xff];
    if (bank === undefined)
      return this.globalFault(R.ARM_SMMU_sGFSR_ICF, streamId, iova, access, out);
    // Remember the routing of this stream until SMR/S2CR/sCR0 change (a stream-match cache).
    this.cachedStreamId = streamId;
    this.cachedBank = bank;
    this.cachedPrivcfg = (s2cr >>> R.ARM_SMMU_S2CR_PRIVCFG_SHIFT) & 3;
    return this.translateInBank(bank, streamId, iova, this.cachedAccess(access), out);
  }

  read32(offset: number): number {
    const page = offset >>> 12;
    const at = offset & 0xfff;
    if (page === 0) return this.readGr0(at);
    if (page === 1) return this.readGr1(at);
    const bank = this.contextBanks[page - this.numPage];
    return bank === undefined ? 0 : readContextBank(bank, at);
  }

  write32(offset: number, value: number): void {
    const page = offset >>> 12;
    const at = offset & 0xfff;
    if (page === 0) this.writeGr0(at, value >>> 0);
    else if (page === 1) this.writeGr1(at, value >>> 0);
    else {
      const bank = this.contextBanks[page - this.numPage];
      if (bank !== undefined) this.writeBank(bank, at, value >>> 0, 0, false);
    }
  }

  read64(offset: number): bigint {
    return (BigInt(this.read32(offset + 4)) << 32n) | BigInt(this.read32(offset));
  }

  /** 64-bit registers (TTBRn, FAR, TLBIVA* ...) take one access; TLBI operands arrive whole. */
  write64(offset: number, value: bigint): void {
    const lo = Number(value & 0xffff_ffffn);
    const hi = Number(value >> 32n);
    const page = offset >>> 12;
    const bank = page >= this.numPage ? this.contextBanks[page - this.numPage] : undefined;
    if (bank !== undefined && (offset & 0xfff) >= 0x600 && (offset & 0xfff) < 0x700) {
      this.writeBank(bank, offset & 0xfff, lo, hi, true);
      return;
    }
    this.write32(offset, lo);
    this.write32(offset + 4, hi);
  }

  /** The physical page of context bank `index`'s registers, relative to the SMMU base. */
  contextBankOffset(index: number): number {
    return (this.numPage + index) * 4096;
  }

  /** Checks every context bank's TLB. */
  checkInvariants(): void {
    for (const bank of this.contextBanks) bank.tlb.checkInvariants();
  }

  private translateInBank(
    bank: SmmuContextBank,
    streamId: number,
    iova: number,
    access: number,
    out: TranslationResult,
  ): IommuOutcome {
    // A stalled transaction blocks its context bank until software resumes it (HUPCF=0).
    for (let attempt = 0; attempt < 8; attempt++) {
      // SCTLR.HUPCF (hit under previous context fault) lets other streams through a stalled bank.
      const passes =
        (bank.sctlr & R.ARM_SMMU_SCTLR_HUPCF) !== 0 && streamId !== bank.stalledStreamId;
      if (bank.stallState === STALL_WAITING && !passes) {
        bank.waiting.add(streamId);
        return 'stalled';
      }
      if (bank.stallState === STALL_TERMINATE && bank.stalledStreamId === streamId) {
        bank.takeTermination(iova, out);
        return bank.reportsFaults ? 'fault' : 'ignored';
      }
      if (bank.stallState === STALL_RETRY && bank.stalledStreamId === streamId) bank.clearStall();
      if ((bank.sctlr & R.ARM_SMMU_SCTLR_M) === 0) return this.bypass(iova, out);
      if (bank.walk(iova, access, out)) return 'ok';
      this.counters.contextFaults++;
      if (this.trace.active) {
        this.trace.emit('iommu-fault', {
          iommu: this.name,
          context: bank.index,
          streamId,
          iova,
          fault: out.fault ?? 'translation',
          level: out.faultLevel,
        });
      }
      const raise = bank.recordFault(streamId, iova, access, out);
      const stalled = bank.stallState === STALL_WAITING && bank.stalledStreamId === streamId;
      if (stalled) this.counters.stalls++;
      if (raise) {
        this.raising++;
        try {
          this.contextLine.emit(bank.index);
        } finally {
          this.raising--;
        }
      }
      if (!stalled) return bank.reportsFaults ? 'fault' : 'ignored';
      // A handler may have written RESUME from the interrupt: loop to act on it.
    }
    bank.waiting.add(streamId);
    return 'stalled';
  }

  /** S2CR.PRIVCFG: 2 forces unprivileged, 3 privileged, else the master's attribute. */
  private cachedAccess(access: number): number {
    const privcfg = this.cachedPrivcfg;
    if (privcfg === 2) return access & ~ACCESS_PRIV;
    if (privcfg === 3) return access | ACCESS_PRIV;
    return access;
  }

  private writeBank(
    bank: SmmuContextBank,
    at: number,
    lo: number,
    hi: number,
    whole: boolean,
  ): void {
    if (at === R.ARM_SMMU_CB_RESUME) {
      if (bank.resume(lo) && this.raising === 0 && bank.waiting.size > 0) {
        const streams = [...bank.waiting];
        bank.waiting.clear();
        for (const streamId of streams) this.resumeLine.emit(streamId);
      }
      return;
    }
    if (at >= 0x600 && at < 0x700) {
      if (whole) bank.tlbi(at, lo, hi);
      else bank.tlbiWrite32(at, lo);
      return;
    }
    writeContextBank(bank, at, lo);
  }

  private bypass(iova: number, out: TranslationResult): IommuOutcome {
    this.counters.bypassed++;
    resetResult(out, iova);
    out.pa = iova;
    out.pageSize = BYPASS_SPAN;
    out.readable = true;
    out.writable = true;
    out.executable = true;
    out.permissions = 63;
    return 'ok';
  }

  private globalFault(
    bit: number,
    streamId: number,
    iova: number,
    access: number,
    out: TranslationResult,
  ): IommuOutcome {
    this.counters.globalFaults++;
    resetResult(out, iova);
    out.fault = 'translation';
    out.faultAccess = access;
    if (this.trace.active) {
      this.trace.emit('iommu-fault', {
        iommu: this.name,
        context: -1,
        streamId,
        iova,
        fault: 'translation',
        level: 0,
      });
    }
    const outstanding = (this.sGFSR & ~R.ARM_SMMU_sGFSR_MULTI) !== 0;
    if (outstanding) {
      this.sGFSR = (this.sGFSR | R.ARM_SMMU_sGFSR_MULTI) >>> 0;
    } else {
      this.sGFSR = bit;
      this.sGFARLo = low32(iova);
      this.sGFARHi = high32(iova);
      this.sGFSYNR0 =
        ((access & ACCESS_WRITE) !== 0 ? R.ARM_SMMU_sGFSYNR0_WNR : 0) |
        ((access & ACCESS_PRIV) === 0 ? R.ARM_SMMU_sGFSYNR0_PNU : 0) |
        ((access & ACCESS_EXEC) !== 0 ? R.ARM_SMMU_sGFSYNR0_IND : 0);
      this.sGFSYNR1 = streamId & 0xffff;
      this.sGFSYNR2 = 0;
      if ((this.sCR0 & R.ARM_SMMU_sCR0_GFIE) !== 0) this.globalLine.emit();
    }
    return (this.sCR0 & R.ARM_SMMU_sCR0_GFRE) !== 0 ? 'fault' : 'ignored';
  }

  private readGr0(at: number): number {
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
      default:
        if (
          at >= R.ARM_SMMU_GR0_SMR_BASE &&
          at < R.ARM_SMMU_GR0_SMR_BASE + 4 * this.streamMatchGroups
        ) {
          return this.smr[(at - R.ARM_SMMU_GR0_SMR_BASE) >>> 2]!;
        }
        if (
          at >= R.ARM_SMMU_GR0_S2CR_BASE &&
          at < R.ARM_SMMU_GR0_S2CR_BASE + 4 * this.streamMatchGroups
        ) {
          return this.s2cr[(at - R.ARM_SMMU_GR0_S2CR_BASE) >>> 2]!;
        }
        return 0;
    }
  }

  private writeGr0(at: number, value: number): void {
    this.cachedStreamId = -1;
    switch (at) {
      case R.ARM_SMMU_GR0_sCR0:
        this.sCR0 = value;
        return;
      case R.ARM_SMMU_GR0_sACR:
        this.sACR = value;
        return;
      case R.ARM_SMMU_GR0_sGFSR:
        this.sGFSR = (this.sGFSR & ~value) >>> 0;
        return;
      case R.ARM_SMMU_GR0_sGFSRRESTORE:
        this.sGFSR = value;
        return;
      case R.ARM_SMMU_GR0_TLBIVMID:
        for (const bank of this.contextBanks) bank.tlb.invalidateVmid(value & 0xffff);
        return;
      case R.ARM_SMMU_GR0_TLBIALLNSNH:
        for (const bank of this.contextBanks) bank.tlb.invalidateAll();
        return;
      default:
        break;
    }
    const idMask = this.streamIdMask;
    if (
      at >= R.ARM_SMMU_GR0_SMR_BASE &&
      at < R.ARM_SMMU_GR0_SMR_BASE + 4 * this.streamMatchGroups
    ) {
      // Only implemented ID/MASK bits stick (Linux probes them by writing all ones).
      const kept = R.ARM_SMMU_SMR_VALID | (idMask << R.ARM_SMMU_SMR_MASK_SHIFT) | idMask;
      this.smr[(at - R.ARM_SMMU_GR0_SMR_BASE) >>> 2] = (value & kept) >>> 0;
    } else if (
      at >= R.ARM_SMMU_GR0_S2CR_BASE &&
      at < R.ARM_SMMU_GR0_S2CR_BASE + 4 * this.streamMatchGroups
    ) {
      this.s2cr[(at - R.ARM_SMMU_GR0_S2CR_BASE) >>> 2] = value;
    }
    // TLBIALLH (no hypervisor contexts), sTLBGSYNC (completes at once) and read-only registers: ignored.
  }

  private readGr1(at: number): number {
    const n = (at & 0x3ff) >>> 2;
    const bank = this.contextBanks[n];
    if (bank === undefined) return 0;
    if (at < 0x400) return bank.cbar;
    if (at < 0x800) return bank.cbfrsynra;
    if (at < 0xc00) return bank.cba2r;
    return 0;
  }

  private writeGr1(at: number, value: number): void {
    const bank = this.contextBanks[(at & 0x3ff) >>> 2];
    if (bank === undefined) return;
    if (at < 0x400) bank.cbar = value;
    else if (at >= 0x800 && at < 0xc00) bank.cba2r = value & (R.ARM_SMMU_CBA2R_VA64 | 0xffff_0000);
    else return;
    bank.invalidateDecode();
  }
}

function checkRange(name: string, what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SocmemError('EINVAL', `${name}: ${what} ${value} is outside ${min}..${max}`);
  }
}
