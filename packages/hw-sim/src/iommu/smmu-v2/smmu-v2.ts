import type { Machine } from '../../machine';
import type { MmioDevice } from '../../memory/mmio';
import { PageTableWalker } from '../../mmu/page-table-walker';
import { Tlb } from '../../mmu/tlb';
import { ACCESS_PRIV, type TranslationResult } from '../../mmu/translation';
import { resetResult } from '../../mmu/walk-fault';
import type { TraceStream } from '../../observability/trace';
import { fillBypass } from '../bypass';
import type { Iommu, IommuOutcome, ResumeListener } from '../iommu';
import { Listeners } from '../listeners';
import { SmmuContextBank, STALL_TERMINATE, STALL_WAITING } from './context-bank';
import { readContextBank, writeContextBank } from './context-bank-mmio';
import { MATCH_CONFLICT, NO_MATCH, SmmuGlobalRegisters } from './global-registers';
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

/** Synchronous retries of a transaction resumed from inside its own fault interrupt. */
const MAX_SYNCHRONOUS_RETRIES = 8;

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
 * {@link onResume} listeners run and the master presents the transaction again. A handler that
 * writes RESUME from inside the interrupt gets the retry at once (the master sees no stall).
 */
export class ArmSmmuV2 implements MmioDevice, Iommu {
  readonly name: string;
  readonly counters = new ArmSmmuV2Counters();
  readonly contextBanks: readonly SmmuContextBank[];
  readonly global: SmmuGlobalRegisters;
  /** Bytes of the register space: 2 x NUMPAGE x 4 KiB. */
  readonly mmioSize: number;
  readonly walker: PageTableWalker;
  private readonly contextLine = new Listeners<[number]>();
  private readonly globalLine = new Listeners<[]>();
  private readonly resumeLine = new Listeners<[number]>();
  private readonly trace: TraceStream;
  /** Depth of fault-interrupt handlers running: a RESUME written there is acted on at once. */
  private raising = 0;
  /** Stream-match cache: the last stream routed to a bank, valid for one GR0 generation. */
  private cachedStreamId = -1;
  private cachedGeneration = -1;
  private cachedBank: SmmuContextBank | null = null;
  private cachedPrivcfg = 0;

  constructor(machine: Machine, options: ArmSmmuV2Options = {}) {
    this.name = options.name ?? 'smmu';
    const geometry = {
      contextBanks: options.contextBanks ?? 8,
      streamMatchGroups: options.streamMatchGroups ?? 16,
      streamIdBits: options.streamIdBits ?? 15,
      outputBits: options.outputBits ?? 48,
      coherentWalk: options.coherentWalk ?? true,
    };
    const banks: SmmuContextBank[] = [];
    this.global = new SmmuGlobalRegisters(this.name, geometry, banks);
    this.mmioSize = 2 * this.global.numPage * 4096;
    this.trace = machine.trace;
    this.walker = new PageTableWalker(machine.bus, machine.cache, this.name, machine.trace);
    const limits = {
      coherentWalkSupported: geometry.coherentWalk,
      outputBits: geometry.outputBits,
      inputBits: 48,
    };
    for (let index = 0; index < geometry.contextBanks; index++) {
      const tlbName = `${this.name}.cb${index}`;
      const tlb = new Tlb(
        { name: tlbName, sets: options.tlbSets ?? 64, ways: options.tlbWays ?? 4 },
        machine.rng.fork(tlbName),
        machine.trace,
      );
      banks.push(new SmmuContextBank(index, this.walker, tlb, limits));
    }
    this.contextBanks = banks;
  }

  /** The context interrupt lines: `listener(cbIndex)` runs when a bank with SCTLR.CFIE records a fault. */
  onContextInterrupt(listener: (contextBank: number) => void): () => void {
    return this.contextLine.add(listener);
  }

  /** The global fault interrupt (sCR0.GFIE): unmatched streams, match conflicts, bad CBNDX. */
  onGlobalInterrupt(listener: () => void): () => void {
    return this.globalLine.add(listener);
  }

  onResume(listener: ResumeListener): () => void {
    return this.resumeLine.add(listener);
  }

  translate(streamId: number, iova: number, access: number, out: TranslationResult): IommuOutcome {
    this.counters.transactions++;
    const global = this.global;
    if ((global.sCR0 & R.ARM_SMMU_sCR0_CLIENTPD) !== 0) return this.bypass(iova, out);
    if (streamId !== this.cachedStreamId || global.generation !== this.cachedGeneration) {
      const match = global.matchStream(streamId);
      if (match === MATCH_CONFLICT) {
        return this.globalFault(R.ARM_SMMU_sGFSR_SMCF, streamId, iova, access, out);
      }
      if (match === NO_MATCH) {
        if ((global.sCR0 & R.ARM_SMMU_sCR0_USFCFG) === 0) return this.bypass(iova, out);
        return this.globalFault(R.ARM_SMMU_sGFSR_USF, streamId, iova, access, out);
      }
      const s2cr = global.s2cr[match]!;
      const type = (s2cr >>> R.ARM_SMMU_S2CR_TYPE_SHIFT) & 3;
      if (type === R.S2CR_TYPE_BYPASS) return this.bypass(iova, out);
      if (type !== R.S2CR_TYPE_TRANS) {
        // S2CR.TYPE=fault: the transaction is terminated; no fault record is kept.
        resetResult(out, iova);
        out.fault = 'translation';
        return 'fault';
      }
      const bank = this.contextBanks[s2cr & 0xff];
      if (bank === undefined) {
        return this.globalFault(R.ARM_SMMU_sGFSR_ICF, streamId, iova, access, out);
      }
      this.cachedStreamId = streamId;
      this.cachedGeneration = global.generation;
      this.cachedBank = bank;
      this.cachedPrivcfg = (s2cr >>> R.ARM_SMMU_S2CR_PRIVCFG_SHIFT) & 3;
    }
    // S2CR.PRIVCFG: 2 forces unprivileged, 3 privileged, else the master's attribute.
    const privcfg = this.cachedPrivcfg;
    if (privcfg === 2) access &= ~ACCESS_PRIV;
    else if (privcfg === 3) access |= ACCESS_PRIV;
    return this.translateInBank(this.cachedBank!, streamId, iova, access, out);
  }

  read32(offset: number): number {
    const page = offset >>> 12;
    const at = offset & 0xfff;
    if (page === 0) return this.global.readGr0(at);
    if (page === 1) return this.global.readGr1(at);
    const bank = this.contextBanks[page - this.global.numPage];
    return bank === undefined ? 0 : readContextBank(bank, at);
  }

  write32(offset: number, value: number): void {
    const page = offset >>> 12;
    const at = offset & 0xfff;
    if (page === 0) this.global.writeGr0(at, value >>> 0);
    else if (page === 1) this.global.writeGr1(at, value >>> 0);
    else {
      const bank = this.contextBanks[page - this.global.numPage];
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
    const at = offset & 0xfff;
    const bank =
      page >= this.global.numPage ? this.contextBanks[page - this.global.numPage] : undefined;
    if (bank !== undefined && at >= 0x600 && at < 0x700) {
      this.writeBank(bank, at, lo, hi, true);
      return;
    }
    this.write32(offset, lo);
    this.write32(offset + 4, hi);
  }

  /** The offset of context bank `index`'s register page from the SMMU base. */
  contextBankOffset(index: number): number {
    return (this.global.numPage + index) * 4096;
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
    for (let attempt = 0; attempt < MAX_SYNCHRONOUS_RETRIES; attempt++) {
      // SCTLR.HUPCF (hit under previous context fault) lets other streams past a stalled one.
      const passes =
        (bank.sctlr & R.ARM_SMMU_SCTLR_HUPCF) !== 0 && streamId !== bank.stalledStreamId;
      if (bank.stallState === STALL_WAITING && !passes) {
        bank.waiting.add(streamId);
        return 'stalled';
      }
      if (bank.stalledStreamId === streamId && bank.stallState !== STALL_WAITING) {
        if (bank.stallState === STALL_TERMINATE) {
          bank.takeTermination(iova, out);
          return bank.reportsFaults ? 'fault' : 'ignored';
        }
        bank.clearStall(); // RESUME retry: walk again
      }
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
      if (raise) this.raise(() => this.contextLine.emit(bank.index));
      if (!stalled) return bank.reportsFaults ? 'fault' : 'ignored';
      // The handler may have written RESUME from the interrupt: loop to act on it.
    }
    bank.waiting.add(streamId);
    return 'stalled';
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

  private raise(emit: () => void): void {
    this.raising++;
    try {
      emit();
    } finally {
      this.raising--;
    }
  }

  private bypass(iova: number, out: TranslationResult): IommuOutcome {
    this.counters.bypassed++;
    fillBypass(out, iova);
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
    if (this.global.recordFault(bit, streamId, iova, access))
      this.raise(() => this.globalLine.emit());
    return (this.global.sCR0 & R.ARM_SMMU_sCR0_GFRE) !== 0 ? 'fault' : 'ignored';
  }
}
