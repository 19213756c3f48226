/**
 * The driver side of an Exynos-style System MMU, as Linux's exynos-iommu.c programs a v1-v3
 * instance (__sysmmu_set_ptbase, __sysmmu_enable, sysmmu_tlb_invalidate_entry), through its MMIO
 * registers only. The SysMMU walks ARMv7 short-descriptor (ARM_V7S) tables.
 */
import {
  CTRL_BLOCK,
  CTRL_ENABLE,
  type Machine,
  REG_INT_CLEAR,
  REG_INT_STATUS,
  REG_MMU_CTRL,
  REG_MMU_FLUSH,
  REG_MMU_FLUSH_ENTRY,
  REG_PAGE_FAULT_ADDR,
  REG_PT_BASE_ADDR,
  SYSMMU_FLUSH_ENTRY_VALID,
} from '@socmem/hw-sim';
import type { IommuFlushOps, IoPgtableCfg } from '@socmem/io-pgtable';

/** The SysMMU at `base`: its TLB maintenance, attach to a v7s table, and fault handling. */
export class SysMmuContext {
  private readonly machine: Machine;
  private readonly base: number;

  constructor(machine: Machine, base: number) {
    this.machine = machine;
    this.base = base;
  }

  /** TLB maintenance for the page-table code: one FLUSH_ENTRY per 4 KiB page, FLUSH for all. */
  readonly flushOps: IommuFlushOps = {
    tlbFlushAll: () => this.write(REG_MMU_FLUSH, 1),
    tlbFlushWalk: (iova, size) => this.flushRange(iova, size),
    tlbAddPage: (_gather, iova, granule) => this.flushRange(iova, granule),
  };

  /** Blocks, sets PT_BASE from the v7s TTBR, flushes, and enables translation. */
  attach(cfg: IoPgtableCfg): void {
    const v7s = cfg.armV7sCfg;
    if (v7s === undefined) throw new Error('attach: the cfg has no v7s registers');
    this.write(REG_MMU_CTRL, CTRL_BLOCK);
    // PT_BASE takes the 16 KiB-aligned level-1 table only; the TTBR's walk attributes are dropped.
    this.write(REG_PT_BASE_ADDR, (v7s.ttbr & 0xffff_c000) >>> 0);
    this.write(REG_MMU_FLUSH, 1);
    this.write(REG_MMU_CTRL, CTRL_ENABLE);
  }

  /** INT_STATUS and PAGE_FAULT_ADDR, as exynos_sysmmu_irq reads them. */
  faultRegisters(): { intStatus: number; pageFaultAddr: number } {
    return { intStatus: this.read(REG_INT_STATUS), pageFaultAddr: this.read(REG_PAGE_FAULT_ADDR) };
  }

  /** What exynos_sysmmu_irq does once the fault is handled: clear the interrupt, unblock. */
  clearFaultAndResume(intStatus: number): void {
    this.write(REG_INT_CLEAR, intStatus);
    this.write(REG_MMU_CTRL, CTRL_ENABLE);
  }

  private flushRange(iova: number, size: number): void {
    for (let at = iova; at < iova + size; at += 4096) {
      this.write(REG_MMU_FLUSH_ENTRY, ((at & 0xffff_f000) | SYSMMU_FLUSH_ENTRY_VALID) >>> 0);
    }
  }

  private write(offset: number, value: number): void {
    this.machine.cpu.write32(this.base + offset, value >>> 0);
  }

  private read(offset: number): number {
    return this.machine.cpu.read32(this.base + offset);
  }
}
