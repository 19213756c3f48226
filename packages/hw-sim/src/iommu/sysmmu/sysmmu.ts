import { SocmemError } from '../../errors/socmem-error';
import type { Machine } from '../../machine';
import type { MmioDevice } from '../../memory/mmio';
import { MmuTranslator } from '../../mmu/mmu-translator';
import { PageTableWalker } from '../../mmu/page-table-walker';
import { Tlb } from '../../mmu/tlb';
import { ACCESS_WRITE, type TranslationResult, type WalkConfig } from '../../mmu/translation';
import { resetResult } from '../../mmu/walk-fault';
import type { TraceStream } from '../../observability/trace';
import { fillBypass } from '../bypass';
import type { Iommu, IommuOutcome, ResumeListener } from '../iommu';
import { Listeners } from '../listeners';
import * as R from './registers';

/** How a SysMMU instance is built. */
export interface SysMmuOptions {
  readonly name?: string;
  /** VERSION register (MAKE_MMU_VER). Default 3.3. */
  readonly version?: { readonly major: number; readonly minor: number };
  /** Walks snoop the CPU cache. Default false (the Exynos driver cleans tables to memory). */
  readonly coherentWalk?: boolean;
  /** AP[0] is an access flag (simplified AP model, as io-pgtable-arm-v7s writes tables). Default true. */
  readonly accessFlagEnable?: boolean;
  /** TLB geometry. Default 64 sets x 8 ways (the v2 TLB the Linux driver describes). */
  readonly tlbSets?: number;
  readonly tlbWays?: number;
}

/** Transaction counts of a SysMMU. */
export class SysMmuCounters {
  transactions = 0;
  bypassed = 0;
  faults = 0;
  stalls = 0;
}

export const SYSMMU_MMIO_SIZE = 0x1000;

/**
 * A Samsung Exynos-style System MMU: one translation context in front of one master, walking
 * ARMv7 short-descriptor tables (format 'v7s') from PT_BASE_ADDR. Registers as in Linux
 * exynos-iommu.c (see ./registers.ts). CTRL bit 0 enables translation (off: bypass), bit 1
 * blocks the MMU (transactions are held, STATUS bit 0 reads 1). A fault sets its INT_STATUS bit
 * and fault-address register, blocks the MMU and raises the interrupt; the faulting transaction
 * is held ('stalled'). Software clears INT_STATUS through INT_CLEAR and unblocks (CTRL =
 * CTRL_ENABLE), as exynos_sysmmu_irq does; then the {@link onResume} listeners run and the master
 * presents the transaction again (a handler that unblocks from inside the interrupt gets the
 * retry at once, without the master seeing a stall).
 */
export class SysMmu implements MmioDevice, Iommu {
  readonly name: string;
  readonly counters = new SysMmuCounters();
  readonly tlb: Tlb;
  readonly walker: PageTableWalker;
  ctrl = R.CTRL_DISABLE;
  cfg = 0;
  ptBase = 0;
  intStatus = 0;
  pageFaultAddr = 0;
  awFaultAddr = 0;
  arFaultAddr = 0;
  defaultSlaveAddr = 0;
  readonly version: number;
  /** True while a fault holds the MMU blocked. */
  private faultBlocked = false;
  /** Streams whose transactions were reported 'stalled' and wait for the MMU to unblock. */
  private readonly waiting = new Set<number>();
  private raising = 0;
  private readonly translator: MmuTranslator;
  private readonly coherentWalk: boolean;
  private readonly accessFlagEnable: boolean;
  private readonly interruptLine = new Listeners<[number]>();
  private readonly resumeLine = new Listeners<[number]>();
  private readonly trace: TraceStream;

  constructor(machine: Machine, options: SysMmuOptions = {}) {
    this.name = options.name ?? 'sysmmu';
    const version = options.version ?? { major: 3, minor: 3 };
    if (!Number.isInteger(version.major) || version.major < 1 || version.major > 3) {
      throw new SocmemError(
        'EINVAL',
        `${this.name}: version ${version.major}.${version.minor} has no v1-v3 register layout`,
      );
    }
    this.version = R.sysmmuVersionRegister(version.major, version.minor);
    this.coherentWalk = options.coherentWalk ?? false;
    this.accessFlagEnable = options.accessFlagEnable ?? true;
    this.trace = machine.trace;
    this.walker = new PageTableWalker(machine.bus, machine.cache, this.name, machine.trace);
    this.tlb = new Tlb(
      { name: `${this.name}.tlb`, sets: options.tlbSets ?? 64, ways: options.tlbWays ?? 8 },
      machine.rng.fork(`${this.name}.tlb`),
      machine.trace,
    );
    this.translator = new MmuTranslator(this.walker, this.tlb, this.walkConfig());
  }

  /** The interrupt line: `listener(INT_STATUS)` runs when a fault is recorded. */
  onInterrupt(listener: (intStatus: number) => void): () => void {
    return this.interruptLine.add(listener);
  }

  onResume(listener: ResumeListener): () => void {
    return this.resumeLine.add(listener);
  }

  /** True while transactions are held (software block or a fault). */
  get blocked(): boolean {
    return this.faultBlocked || (this.ctrl & R.SYSMMU_CTRL_BLOCK_BIT) !== 0;
  }

  translate(streamId: number, iova: number, access: number, out: TranslationResult): IommuOutcome {
    this.counters.transactions++;
    for (let attempt = 0; attempt < 8; attempt++) {
      if (this.blocked) {
        this.waiting.add(streamId);
        return 'stalled';
      }
      if ((this.ctrl & R.SYSMMU_CTRL_ENABLE_BIT) === 0) {
        this.counters.bypassed++;
        fillBypass(out, iova);
        return 'ok';
      }
      if (iova >= 0x1_0000_0000) {
        resetResult(out, iova);
        out.fault = 'translation';
        out.faultLevel = 1;
      } else if (this.translator.translate(iova, access, out)) {
        return 'ok';
      }
      this.recordFault(streamId, iova, access, out);
      // The handler may have cleared and unblocked from the interrupt: loop to retry.
    }
    this.waiting.add(streamId);
    return 'stalled';
  }

  read32(offset: number): number {
    switch (offset) {
      case R.REG_MMU_CTRL:
        return this.ctrl;
      case R.REG_MMU_CFG:
        return this.cfg;
      case R.REG_MMU_STATUS:
        return this.blocked ? R.SYSMMU_STATUS_BLOCKED : 0;
      case R.REG_PT_BASE_ADDR:
        return this.ptBase;
      case R.REG_INT_STATUS:
        return this.intStatus;
      case R.REG_PAGE_FAULT_ADDR:
        return this.pageFaultAddr;
      case R.REG_AW_FAULT_ADDR:
        return this.awFaultAddr;
      case R.REG_AR_FAULT_ADDR:
        return this.arFaultAddr;
      case R.REG_DEFAULT_SLAVE_ADDR:
        return this.defaultSlaveAddr;
      case R.REG_MMU_VERSION:
        return this.version;
      default:
        return 0;
    }
  }

  write32(offset: number, value: number): void {
    value >>>= 0;
    switch (offset) {
      case R.REG_MMU_CTRL:
        this.ctrl = value & 0x7;
        // Writing CTRL without BLOCK (sysmmu_unblock) also ends a fault's block.
        if ((value & R.SYSMMU_CTRL_BLOCK_BIT) === 0) this.faultBlocked = false;
        this.releaseWaiting();
        return;
      case R.REG_MMU_CFG:
        this.cfg = value;
        return;
      case R.REG_MMU_FLUSH:
        if ((value & 1) !== 0) this.tlb.invalidateAll();
        return;
      case R.REG_MMU_FLUSH_ENTRY:
        if ((value & R.SYSMMU_FLUSH_ENTRY_VALID) !== 0)
          this.tlb.invalidateVa((value & 0xffff_f000) >>> 0);
        return;
      case R.REG_PT_BASE_ADDR:
        this.ptBase = value;
        this.translator.config = this.walkConfig();
        return;
      case R.REG_INT_CLEAR:
        this.intStatus = (this.intStatus & ~value) >>> 0;
        return;
      default:
        return;
    }
  }

  /** Checks the TLB. */
  checkInvariants(): void {
    this.tlb.checkInvariants();
  }

  private walkConfig(): WalkConfig {
    return {
      format: 'v7s',
      stage: 1,
      granuleShift: 12,
      inputBits: 32,
      outputBits: 32,
      startLevel: 1,
      concatenatedTables: 1,
      tableBase: (this.ptBase & 0xffff_c000) >>> 0,
      coherentWalk: this.coherentWalk,
      mtkExtension: false,
      accessFlagEnable: this.accessFlagEnable,
    };
  }

  private recordFault(
    streamId: number,
    iova: number,
    access: number,
    out: TranslationResult,
  ): void {
    const write = (access & ACCESS_WRITE) !== 0;
    let type = R.SYSMMU_PAGEFAULT;
    if (out.fault === 'permission') type = write ? R.SYSMMU_AW_PROTECTION : R.SYSMMU_AR_ACCESS;
    else if (out.fault === 'external-abort') type = R.SYSMMU_BUSERROR;
    const bit = 1 << type;
    if ((this.intStatus & bit) === 0) {
      if (type === R.SYSMMU_PAGEFAULT) this.pageFaultAddr = iova >>> 0;
      else if (type === R.SYSMMU_BUSERROR) this.defaultSlaveAddr = iova >>> 0;
      else if (write) this.awFaultAddr = iova >>> 0;
      else this.arFaultAddr = iova >>> 0;
    }
    this.intStatus = (this.intStatus | bit) >>> 0;
    this.counters.faults++;
    this.counters.stalls++;
    this.faultBlocked = true;
    if (this.trace.active) {
      this.trace.emit('iommu-fault', {
        iommu: this.name,
        context: 0,
        streamId,
        iova,
        fault: out.fault ?? 'translation',
        level: out.faultLevel,
      });
    }
    this.raising++;
    try {
      this.interruptLine.emit(this.intStatus);
    } finally {
      this.raising--;
    }
  }

  /** Tells the masters of held transactions that they may present them again. */
  private releaseWaiting(): void {
    if (this.blocked || this.waiting.size === 0 || this.raising > 0) return;
    const streams = [...this.waiting];
    this.waiting.clear();
    for (const streamId of streams) this.resumeLine.emit(streamId);
  }
}
