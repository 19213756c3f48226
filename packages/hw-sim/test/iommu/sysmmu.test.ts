import {
  BusMaster,
  CTRL_BLOCK,
  CTRL_ENABLE,
  createMachine,
  DmaEngine,
  type Machine,
  REG_AR_FAULT_ADDR,
  REG_AW_FAULT_ADDR,
  REG_DEFAULT_SLAVE_ADDR,
  REG_INT_CLEAR,
  REG_INT_STATUS,
  REG_MMU_CFG,
  REG_MMU_CTRL,
  REG_MMU_FLUSH,
  REG_MMU_FLUSH_ENTRY,
  REG_MMU_STATUS,
  REG_MMU_VERSION,
  REG_PAGE_FAULT_ADDR,
  REG_PT_BASE_ADDR,
  SYSMMU_AR_ACCESS,
  SYSMMU_AW_PROTECTION,
  SYSMMU_BUSERROR,
  SYSMMU_MMIO_SIZE,
  SYSMMU_PAGEFAULT,
  SysMmu,
} from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';

const SYSMMU_BASE = 0x1300_0000;
const RAM = 0x4000_0000;
const L1 = 0x4800_0000; // 16 KiB aligned level-1 table
const L2 = 0x4800_4000; // 1 KiB level-2 tables from here
/** io-pgtable-arm-v7s small page: type 0b10, AP[0] (access flag) bit 4, AP[1] (unprivileged) bit 5; AP[2] (read-only) bit 9. */
const SMALL_RW = 0x2 | (1 << 4) | (1 << 5);
const SMALL_RO = SMALL_RW | (1 << 9);

interface SysMmuRig {
  machine: Machine;
  sysmmu: SysMmu;
  reg(offset: number): number;
  set(offset: number, value: number): void;
  mapSmall(iova: number, pa: number, attrs?: number): void;
  interrupts: number[];
}

/** Builds a SysMMU, maps it and enables it the way __sysmmu_enable_nocount does. */
function sysmmuRig(): SysMmuRig {
  const machine = createMachine();
  const sysmmu = new SysMmu(machine);
  machine.bus.mapMmio(SYSMMU_BASE, SYSMMU_MMIO_SIZE, sysmmu);
  const reg = (offset: number) => machine.bus.read32(SYSMMU_BASE + offset);
  const set = (offset: number, value: number) => machine.bus.write32(SYSMMU_BASE + offset, value);
  const interrupts: number[] = [];
  sysmmu.onInterrupt((status) => interrupts.push(status));
  const mapSmall = (iova: number, pa: number, attrs = SMALL_RW) => {
    const l1Index = iova >>> 20;
    const l2 = L2 + 0x400 * (l1Index % 16);
    machine.bus.write32(L1 + 4 * l1Index, (l2 | 0x1) >>> 0);
    machine.bus.write32(l2 + 4 * ((iova >>> 12) & 0xff), (pa | attrs) >>> 0);
  };
  return { machine, sysmmu, reg, set, mapSmall, interrupts };
}

function enable(rig: SysMmuRig): void {
  rig.set(REG_MMU_CTRL, CTRL_BLOCK);
  expect(rig.reg(REG_MMU_STATUS) & 1).toBe(1); // sysmmu_block() polls STATUS bit 0
  rig.set(REG_MMU_CFG, 0x1 | (15 << 7));
  rig.set(REG_PT_BASE_ADDR, L1);
  rig.set(REG_MMU_FLUSH, 1);
  rig.set(REG_MMU_CTRL, CTRL_ENABLE);
  expect(rig.reg(REG_MMU_STATUS)).toBe(0);
}

function readByte(master: BusMaster, address: number): number | string {
  const buffer = new Uint8Array(1);
  const result = master.read(address, buffer);
  if (result.stalled) return 'stalled';
  return result.fault === null ? buffer[0]! : result.fault.kind;
}

describe('SysMMU registers (Exynos System MMU v1-v3 layout, drivers/iommu/exynos-iommu.c)', () => {
  it('resets disabled, reports version 3.3 in VERSION[31:21], and bypasses while disabled', () => {
    const rig = sysmmuRig();
    expect(rig.reg(REG_MMU_CTRL)).toBe(0);
    expect(rig.reg(REG_MMU_STATUS)).toBe(0);
    expect(rig.reg(REG_INT_STATUS)).toBe(0);
    // MMU_RAW_VER(reg) = (reg >> 21) & 0x7ff; MMU_MAJ_VER = raw >> 7; MMU_MIN_VER = raw & 0x7f.
    const raw = (rig.reg(REG_MMU_VERSION) >>> 21) & 0x7ff;
    expect([raw >>> 7, raw & 0x7f]).toEqual([3, 3]);
    rig.machine.ram.write(RAM + 0x100, Uint8Array.of(0x42));
    const master = new BusMaster(rig.machine, { name: 'fimd', iommu: rig.sysmmu });
    expect(readByte(master, RAM + 0x100)).toBe(0x42);
    expect(rig.sysmmu.counters.bypassed).toBe(1);
  });

  it('translates sections and small pages from PT_BASE_ADDR once enabled', () => {
    const rig = sysmmuRig();
    rig.machine.ram.fill(RAM + 0x20_0000, 0x77, 0x10_0000);
    rig.machine.ram.fill(RAM + 0x3000, 0x33, 0x1000);
    // L1[0x123]: section (type 0b10), AP[0] bit 10, AP[1] bit 11.
    rig.machine.bus.write32(
      L1 + 4 * 0x123,
      ((RAM + 0x20_0000) | 0x2 | (1 << 10) | (1 << 11)) >>> 0,
    );
    rig.mapSmall(0x1000_5000, RAM + 0x3000);
    enable(rig);
    const master = new BusMaster(rig.machine, { name: 'fimd', iommu: rig.sysmmu });
    expect(readByte(master, 0x1230_4567)).toBe(0x77);
    expect(readByte(master, 0x1000_5fff)).toBe(0x33);
    expect(rig.interrupts).toEqual([]);
  });

  it('a page fault sets INT_STATUS bit 0 and PAGE_FAULT_ADDR, blocks the MMU and interrupts once', () => {
    const rig = sysmmuRig();
    enable(rig);
    const master = new BusMaster(rig.machine, { name: 'fimd', iommu: rig.sysmmu });
    expect(readByte(master, 0x2000_1234)).toBe('stalled');
    expect(rig.reg(REG_INT_STATUS)).toBe(1 << SYSMMU_PAGEFAULT);
    expect(rig.reg(REG_PAGE_FAULT_ADDR)).toBe(0x2000_1234);
    expect(rig.reg(REG_MMU_STATUS)).toBe(1);
    expect(rig.interrupts).toEqual([1 << SYSMMU_PAGEFAULT]);
    // exynos_sysmmu_irq: the handler maps the page, writes INT_CLEAR = 1 << itype, unblocks.
    rig.machine.ram.fill(RAM + 0x8000, 0x88, 0x1000);
    rig.mapSmall(0x2000_1000, RAM + 0x8000);
    rig.set(REG_INT_CLEAR, 1 << SYSMMU_PAGEFAULT);
    expect(rig.reg(REG_INT_STATUS)).toBe(0);
    rig.set(REG_MMU_CTRL, CTRL_ENABLE);
    expect(rig.reg(REG_MMU_STATUS)).toBe(0);
    const buffer = new Uint8Array(1);
    expect(master.resume().complete).toBe(true);
    expect(master.read(0x2000_1234, buffer).complete).toBe(true);
    expect(buffer[0]).toBe(0x88);
    expect(rig.interrupts).toHaveLength(1);
  });

  it('write and read protection faults use AW_PROTECTION / AR_ACCESS and their address registers', () => {
    const rig = sysmmuRig();
    rig.mapSmall(0x3000_0000, RAM, SMALL_RO);
    rig.mapSmall(0x3000_1000, RAM, 0x2 | (1 << 4)); // AP[1]=0: no unprivileged access
    enable(rig);
    rig.sysmmu.onInterrupt((status) => {
      rig.set(REG_INT_CLEAR, status);
      // Grant the access that faulted (a permission fault may be cached: flush), then unblock.
      if (status === 1 << SYSMMU_AW_PROTECTION) rig.mapSmall(0x3000_0000, RAM);
      else rig.mapSmall(0x3000_1000, RAM);
      rig.set(REG_MMU_FLUSH, 1);
      rig.set(REG_MMU_CTRL, CTRL_ENABLE);
    });
    const master = new BusMaster(rig.machine, { name: 'mfc', iommu: rig.sysmmu });
    expect(master.write(0x3000_0010, Uint8Array.of(1)).complete).toBe(true);
    expect(rig.reg(REG_AW_FAULT_ADDR)).toBe(0x3000_0010);
    expect(readByte(master, 0x3000_1010)).toBe(1);
    expect(rig.reg(REG_AR_FAULT_ADDR)).toBe(0x3000_1010);
    expect(rig.interrupts).toEqual([1 << SYSMMU_AW_PROTECTION, 1 << SYSMMU_AR_ACCESS]);
    expect(rig.reg(REG_MMU_STATUS)).toBe(0);
  });

  it('a walk that reads no memory is a bus error (BUSERROR, DEFAULT_SLAVE_ADDR)', () => {
    const rig = sysmmuRig();
    rig.machine.bus.write32(L1 + 4 * 0x500, (0x1000_0000 | 0x1) >>> 0);
    enable(rig);
    const master = new BusMaster(rig.machine, { name: 'g2d', iommu: rig.sysmmu });
    expect(readByte(master, 0x5000_0000)).toBe('stalled');
    expect(rig.reg(REG_INT_STATUS)).toBe(1 << SYSMMU_BUSERROR);
    expect(rig.reg(REG_DEFAULT_SLAVE_ADDR)).toBe(0x5000_0000);
  });

  it('FLUSH_ENTRY removes one stale entry and FLUSH all of them', () => {
    const rig = sysmmuRig();
    rig.machine.ram.fill(RAM, 0x11, 0x1000);
    rig.machine.ram.fill(RAM + 0x1000, 0x22, 0x1000);
    rig.mapSmall(0x6000_0000, RAM);
    rig.mapSmall(0x6000_1000, RAM);
    enable(rig);
    const master = new BusMaster(rig.machine, { name: 'jpeg', iommu: rig.sysmmu });
    expect([readByte(master, 0x6000_0000), readByte(master, 0x6000_1000)]).toEqual([0x11, 0x11]);
    rig.mapSmall(0x6000_0000, RAM + 0x1000);
    rig.mapSmall(0x6000_1000, RAM + 0x1000);
    expect([readByte(master, 0x6000_0000), readByte(master, 0x6000_1000)]).toEqual([0x11, 0x11]);
    // __sysmmu_tlb_invalidate_entry: (iova & SPAGE_MASK) | 1.
    rig.set(REG_MMU_FLUSH_ENTRY, (0x6000_0000 | 1) >>> 0);
    expect([readByte(master, 0x6000_0000), readByte(master, 0x6000_1000)]).toEqual([0x22, 0x11]);
    rig.set(REG_MMU_FLUSH, 1);
    expect(readByte(master, 0x6000_1000)).toBe(0x22);
    rig.sysmmu.checkInvariants();
  });

  it('a DMA job stalled by a fault continues by itself once the handler unblocks the MMU', () => {
    const rig = sysmmuRig();
    rig.machine.ram.fill(RAM, 0x5a, 0x3000);
    for (let page = 0; page < 3; page++)
      rig.mapSmall(0x7000_0000 + page * 0x1000, RAM + page * 0x1000);
    rig.mapSmall(0x7010_0000, RAM + 0x10_0000);
    enable(rig);
    const engine = new DmaEngine(rig.machine, { name: 'dma', iommu: rig.sysmmu, autoRun: true });
    engine.startCopy(0x7000_0000, 0x7010_0000, 0x3000);
    expect(engine.run()).toBe('stalled');
    expect(engine.bytesDone).toBe(0x1000);
    expect(rig.reg(REG_PAGE_FAULT_ADDR)).toBe(0x7010_1000);
    rig.mapSmall(0x7010_1000, RAM + 0x10_1000);
    rig.mapSmall(0x7010_2000, RAM + 0x10_2000);
    rig.set(REG_INT_CLEAR, rig.reg(REG_INT_STATUS));
    rig.set(REG_MMU_CTRL, CTRL_ENABLE);
    expect(engine.state).toBe('done');
    const copied = new Uint8Array(0x3000);
    rig.machine.ram.read(RAM + 0x10_0000, copied);
    expect(copied.every((byte) => byte === 0x5a)).toBe(true);
  });

  it('a software block holds transactions until CTRL_ENABLE', () => {
    const rig = sysmmuRig();
    rig.mapSmall(0x1000, RAM);
    enable(rig);
    rig.set(REG_MMU_CTRL, CTRL_BLOCK);
    const master = new BusMaster(rig.machine, { name: 'dev', iommu: rig.sysmmu });
    expect(master.read(0x1000, new Uint8Array(4)).stalled).toBe(true);
    let resumed = 0;
    rig.sysmmu.onResume(() => resumed++);
    rig.set(REG_MMU_CTRL, CTRL_ENABLE);
    expect(resumed).toBe(1);
    expect(master.resume().complete).toBe(true);
    expect(() => new SysMmu(rig.machine, { version: { major: 5, minor: 0 } })).toThrowError(
      /EINVAL/,
    );
  });
});
