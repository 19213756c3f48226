import {
  ARM_SMMU_CB_FSR,
  ARM_SMMU_CB_RESUME,
  ARM_SMMU_CB_TCR,
  ARM_SMMU_GR0_S2CR_BASE,
  ARM_SMMU_SCTLR_CFCFG,
  ARM_SMMU_SCTLR_HUPCF,
  BusMaster,
} from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { Lpae4kTables, programS1Context, RAM, S1_PAGE, smmuRig } from './smmu-fixture';

function readByte(master: BusMaster, address: number): number | string {
  const buffer = new Uint8Array(1);
  const result = master.read(address, buffer);
  if (result.stalled) return 'stalled';
  return result.fault === null ? buffer[0]! : result.fault.kind;
}

describe('SMMUv2 transaction attributes', () => {
  it('S2CR.PRIVCFG=3 makes a master privileged; a privileged master reaches EL1-only pages', () => {
    // Stage-1 AP[1]=0: no EL0 (unprivileged) access (ARM ARM D8.4.1, stage 1 data access permissions).
    const rig = smmuRig();
    rig.machine.ram.fill(RAM, 0x6b, 0x1000);
    const tables = new Lpae4kTables(rig.bus, 1);
    tables.mapPage(0x1000, RAM, S1_PAGE & ~(1 << 6));
    programS1Context(rig, { bank: 0, group: 0, streamId: 1, ttbr: tables.root, asid: 1 });
    const user = new BusMaster(rig.machine, { name: 'user', streamId: 1, iommu: rig.smmu });
    expect(readByte(user, 0x1000)).toBe('permission');
    const privileged = new BusMaster(rig.machine, {
      name: 'priv',
      streamId: 1,
      iommu: rig.smmu,
      privileged: true,
    });
    expect(readByte(privileged, 0x1000)).toBe(0x6b);
    rig.setGr0(ARM_SMMU_GR0_S2CR_BASE, 3 << 24); // PRIVCFG = privileged, CBNDX 0
    rig.setCb(0, ARM_SMMU_CB_FSR, 0xffff_ffff);
    expect(readByte(user, 0x1000)).toBe(0x6b);
    rig.setGr0(ARM_SMMU_GR0_S2CR_BASE, 2 << 24); // PRIVCFG = unprivileged
    expect(readByte(privileged, 0x1000)).toBe('permission');
  });

  it('SCTLR.HUPCF lets other streams hit under a stalled fault; without it they wait', () => {
    for (const hupcf of [false, true]) {
      const rig = smmuRig();
      rig.machine.ram.fill(RAM, 0x42, 0x1000);
      const tables = new Lpae4kTables(rig.bus, 1);
      tables.mapPage(0x1000, RAM);
      programS1Context(rig, {
        bank: 0,
        group: 0,
        streamId: 0x10,
        ttbr: tables.root,
        asid: 1,
        sctlrExtra: ARM_SMMU_SCTLR_CFCFG | (hupcf ? ARM_SMMU_SCTLR_HUPCF : 0),
      });
      rig.setGr0(0x800, (0x8000_0000 | (0x1 << 16) | 0x10) >>> 0); // streams 0x10 and 0x11
      const faulting = new BusMaster(rig.machine, { name: 'a', streamId: 0x10, iommu: rig.smmu });
      const other = new BusMaster(rig.machine, { name: 'b', streamId: 0x11, iommu: rig.smmu });
      expect(readByte(faulting, 0x5000)).toBe('stalled');
      expect(readByte(other, 0x1000)).toBe(hupcf ? 0x42 : 'stalled');
      let resumed: number[] = [];
      rig.smmu.onResume((streamId) => resumed.push(streamId));
      rig.setCb(0, ARM_SMMU_CB_RESUME, 1);
      expect(resumed.sort()).toEqual(hupcf ? [0x10] : [0x10, 0x11]);
      expect(faulting.resume().fault?.kind).toBe('translation');
      if (!hupcf) expect(other.resume().complete).toBe(true);
      resumed = [];
    }
  });

  it('a coherent walk sees descriptors still dirty in the CPU cache; a non-cacheable walk does not', () => {
    // Linux io-pgtable-arm: coherent_walk -> TCR IRGN0/ORGN0 = WBWA and no table cache cleaning;
    // otherwise tables are cleaned to memory (reference io-pgtable.md §2.5, §2.6).
    const rig = smmuRig();
    rig.machine.ram.fill(RAM, 0x3c, 0x1000);
    const tables = new Lpae4kTables(rig.bus, 1);
    const slot = tables.slot(0x1000, 3);
    rig.machine.cpu.write32(slot, (RAM | S1_PAGE) >>> 0); // dirty in the CPU cache only
    rig.machine.cpu.write32(slot + 4, 0);
    expect(rig.machine.cache.isDirty(slot)).toBe(true);
    programS1Context(rig, { bank: 0, group: 0, streamId: 1, ttbr: tables.root, asid: 1 });
    const master = new BusMaster(rig.machine, { name: 'dev', streamId: 1, iommu: rig.smmu });
    // Non-cacheable walk (IRGN0 = ORGN0 = 0): reads RAM, where the descriptor is still zero.
    rig.setCb(0, ARM_SMMU_CB_TCR, (1 << 23) | 25);
    expect(readByte(master, 0x1000)).toBe('translation');
    rig.setCb(0, ARM_SMMU_CB_FSR, 0xffff_ffff);
    // IRGN0 = WBWA: the walk snoops the cache and finds the descriptor.
    rig.setCb(0, ARM_SMMU_CB_TCR, (1 << 23) | (3 << 12) | (1 << 10) | (1 << 8) | 25);
    expect(readByte(master, 0x1000)).toBe(0x3c);
    expect(rig.machine.cache.isDirty(slot)).toBe(false);
  });
});

describe('SMMUv2 register file', () => {
  it('context bank translation registers read back, 64-bit ones whole or in halves', async () => {
    const {
      ARM_SMMU_CB_TTBR0,
      ARM_SMMU_CB_TTBR1,
      ARM_SMMU_CB_S1_MAIR0,
      ARM_SMMU_CB_S1_MAIR1,
      ARM_SMMU_CB_CONTEXTIDR,
      ARM_SMMU_CB_TCR2,
      ARM_SMMU_CB_FAR,
    } = await import('@socmem/hw-sim');
    const rig = smmuRig();
    const base = 0x2000_0000 + rig.smmu.contextBankOffset(5);
    rig.bus.write64(base + ARM_SMMU_CB_TTBR0, 0x0012_0000_4800_0000n);
    rig.bus.write64(base + ARM_SMMU_CB_TTBR1, 0x0012_0000_0000_0000n);
    rig.setCb(5, ARM_SMMU_CB_TCR, 0x0080_3510);
    rig.setCb(5, ARM_SMMU_CB_TCR2, 0x0003_8005);
    // Short-descriptor contexts use MAIR0/1 as PRRR/NMRR (io-pgtable-arm-v7s values).
    rig.setCb(5, ARM_SMMU_CB_S1_MAIR0, 0x800b_8204);
    rig.setCb(5, ARM_SMMU_CB_S1_MAIR1, 0x4000_4000);
    rig.setCb(5, ARM_SMMU_CB_CONTEXTIDR, 0x12);
    expect(rig.bus.read64(base + ARM_SMMU_CB_TTBR0)).toBe(0x0012_0000_4800_0000n);
    expect([rig.cb(5, ARM_SMMU_CB_TTBR0), rig.cb(5, ARM_SMMU_CB_TTBR0 + 4)]).toEqual([
      0x4800_0000, 0x0012_0000,
    ]);
    expect(rig.bus.read64(base + ARM_SMMU_CB_TTBR1)).toBe(0x0012_0000_0000_0000n);
    expect([rig.cb(5, ARM_SMMU_CB_TCR), rig.cb(5, ARM_SMMU_CB_TCR2)]).toEqual([
      0x0080_3510, 0x0003_8005,
    ]);
    expect([
      rig.cb(5, ARM_SMMU_CB_S1_MAIR0),
      rig.cb(5, ARM_SMMU_CB_S1_MAIR1),
      rig.cb(5, ARM_SMMU_CB_CONTEXTIDR),
    ]).toEqual([0x800b_8204, 0x4000_4000, 0x12]);
    expect(rig.bus.read64(base + ARM_SMMU_CB_FAR)).toBe(0n);
    // Offsets past the last context bank and reserved global pages read as zero.
    expect(rig.bus.read32(0x2000_0000 + 0x2000)).toBe(0);
  });

  it('faults appear on the trace stream as iommu-fault events', () => {
    const rig = smmuRig();
    const tables = new Lpae4kTables(rig.bus, 1);
    programS1Context(rig, { bank: 4, group: 0, streamId: 6, ttbr: tables.root, asid: 1 });
    const master = new BusMaster(rig.machine, { name: 'dev', streamId: 6, iommu: rig.smmu });
    const events = rig.machine.trace.record(() => master.write(0x7000, new Uint8Array(4)));
    const faults = events.filter((event) => event.kind === 'iommu-fault');
    expect(faults).toMatchObject([
      { iommu: 'smmu', context: 4, streamId: 6, iova: 0x7000, fault: 'translation', level: 1 },
    ]);
  });

  it('SCTLR.CFRE=0: a faulting source page reads as zeros, the DMA job completes, FSR records it', async () => {
    const { DmaEngine, ARM_SMMU_CB_SCTLR, ARM_SMMU_FSR_TF } = await import('@socmem/hw-sim');
    const rig = smmuRig();
    rig.machine.ram.fill(RAM, 0x99, 0x3000);
    rig.machine.ram.fill(RAM + 0x10_0000, 0x55, 0x3000);
    const tables = new Lpae4kTables(rig.bus, 1);
    tables.mapPage(0x1000, RAM);
    tables.mapPage(0x3000, RAM + 0x2000); // 0x2000 unmapped
    for (let page = 0; page < 3; page++)
      tables.mapPage(0x10_0000 + page * 0x1000, RAM + 0x10_0000 + page * 0x1000);
    programS1Context(rig, { bank: 0, group: 0, streamId: 1, ttbr: tables.root, asid: 1 });
    rig.setCb(0, ARM_SMMU_CB_SCTLR, rig.cb(0, ARM_SMMU_CB_SCTLR) & ~(1 << 5));
    const engine = new DmaEngine(rig.machine, { name: 'dma', streamId: 1, iommu: rig.smmu });
    engine.startCopy(0x1000, 0x10_0000, 0x3000);
    expect(engine.run()).toBe('done');
    const copied = new Uint8Array(0x3000);
    rig.machine.ram.read(RAM + 0x10_0000, copied);
    expect([copied[0], copied[0x1000], copied[0x1fff], copied[0x2000]]).toEqual([0x99, 0, 0, 0x99]);
    expect(rig.cb(0, ARM_SMMU_CB_FSR)).toBe((2 << 9) | ARM_SMMU_FSR_TF);
  });
});

describe('SMMUv2 block translations', () => {
  it('a transfer inside a 2 MiB block needs one translation; it stops at the block end on a fault', () => {
    const rig = smmuRig();
    const tables = new Lpae4kTables(rig.bus, 1);
    // Level-2 block descriptor: type 0b01 (ARM ARM D8.3.1), same attributes as a page.
    tables.write(tables.slot(0x20_0000, 2), RAM + 0x20_0000, (S1_PAGE & ~3) | 1);
    programS1Context(rig, { bank: 0, group: 0, streamId: 1, ttbr: tables.root, asid: 1 });
    const data = new Uint8Array(0x10_0000).map((_, index) => index & 0xff);
    rig.machine.ram.write(RAM + 0x20_1000, data);
    const master = new BusMaster(rig.machine, { name: 'dev', streamId: 1, iommu: rig.smmu });
    const buffer = new Uint8Array(0x10_0000);
    expect(master.read(0x20_1000, buffer).complete).toBe(true);
    expect(Buffer.from(buffer).equals(Buffer.from(data))).toBe(true);
    expect(master.counters.translations).toBe(1);
    const crossing = master.read(0x3f_f000, new Uint8Array(0x2000));
    expect(crossing).toMatchObject({
      bytes: 0x1000,
      fault: { kind: 'translation', address: 0x40_0000, level: 2 },
    });
    expect(master.counters.translations).toBe(3);
  });
});
