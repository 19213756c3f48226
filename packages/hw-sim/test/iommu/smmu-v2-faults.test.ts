import {
  ARM_SMMU_CB_FAR,
  ARM_SMMU_CB_FSR,
  ARM_SMMU_CB_FSYNR0,
  ARM_SMMU_CB_RESUME,
  ARM_SMMU_FSR_AFF,
  ARM_SMMU_FSR_ASF,
  ARM_SMMU_FSR_EF,
  ARM_SMMU_FSR_MULTI,
  ARM_SMMU_FSR_PF,
  ARM_SMMU_FSR_SS,
  ARM_SMMU_FSR_TF,
  ARM_SMMU_GR1_CBFRSYNRA_BASE,
  ARM_SMMU_RESUME_TERMINATE,
  ARM_SMMU_SCTLR_CFCFG,
  BusMaster,
  DmaEngine,
} from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import {
  Lpae4kTables,
  programS1Context,
  RAM,
  S1_PAGE,
  S1_READ_ONLY,
  type SmmuRig,
  smmuRig,
} from './smmu-fixture';

/** FSR.FORMAT [10:9] = 0b10: the faulting context uses AArch64 descriptors. */
const A64 = 2 << 9;

const HIGH_RAM = 0x8_8000_0000;

interface FaultRig {
  rig: SmmuRig;
  tables: Lpae4kTables;
  master: BusMaster;
  interrupts: number[];
}

function faultRig(options: { pasize?: number; sctlrExtra?: number } = {}): FaultRig {
  const rig = smmuRig();
  const tables = new Lpae4kTables(rig.bus, 1);
  programS1Context(rig, {
    bank: 1,
    group: 0,
    streamId: 0x33,
    ttbr: tables.root,
    asid: 9,
    ...options,
  });
  const interrupts: number[] = [];
  rig.smmu.onContextInterrupt((bank) => interrupts.push(bank));
  const master = new BusMaster(rig.machine, { name: 'dev', streamId: 0x33, iommu: rig.smmu });
  return { rig, tables, master, interrupts };
}

function faultRegisters(rig: SmmuRig, bank = 1) {
  return {
    fsr: rig.cb(bank, ARM_SMMU_CB_FSR),
    far: rig.cb(bank, ARM_SMMU_CB_FAR) + rig.cb(bank, ARM_SMMU_CB_FAR + 4) * 2 ** 32,
    fsynr0: rig.cb(bank, ARM_SMMU_CB_FSYNR0),
    cbfrsynra: rig.gr1(ARM_SMMU_GR1_CBFRSYNRA_BASE + 4 * bank),
  };
}

// Each case: FSR bit per fault class (arm-smmu.h ARM_SMMU_FSR_*), FSYNR0 = PLVL[1:0] | WNR(4) |
// PNU(5, an unprivileged transaction) | PTWF(10, fault on the walk itself).
describe('SMMUv2 context faults set FSR, FAR, FSYNR0 exactly and raise the interrupt once', () => {
  it('translation fault: invalid level-3 descriptor', () => {
    const { rig, tables, master, interrupts } = faultRig();
    tables.mapPage(0x40_0000, RAM);
    const result = master.read(0x40_1010, new Uint8Array(8));
    expect(result).toMatchObject({
      bytes: 0,
      fault: { kind: 'translation', address: 0x40_1010, level: 3 },
    });
    expect(faultRegisters(rig)).toEqual({
      fsr: A64 | ARM_SMMU_FSR_TF,
      far: 0x40_1010,
      fsynr0: 3 | (1 << 5),
      cbfrsynra: 0x33,
    });
    expect(interrupts).toEqual([1]);
  });

  it('translation fault at level 1 when no table exists at all', () => {
    const { rig, master, interrupts } = faultRig();
    master.read(0x4000_0000, new Uint8Array(8));
    expect(faultRegisters(rig)).toMatchObject({
      fsr: A64 | ARM_SMMU_FSR_TF,
      far: 0x4000_0000,
      fsynr0: 1 | (1 << 5),
    });
    expect(interrupts).toEqual([1]);
  });

  it('access flag fault: AF clear in the page descriptor', () => {
    const { rig, tables, master, interrupts } = faultRig();
    tables.mapPage(0x1000, RAM, S1_PAGE & ~(1 << 10));
    expect(master.read(0x1000, new Uint8Array(4)).fault).toEqual({
      kind: 'access-flag',
      address: 0x1000,
      level: 3,
    });
    expect(faultRegisters(rig)).toMatchObject({
      fsr: A64 | ARM_SMMU_FSR_AFF,
      far: 0x1000,
      fsynr0: 3 | (1 << 5),
    });
    expect(interrupts).toEqual([1]);
  });

  it('permission fault: a write to a read-only page sets WNR', () => {
    const { rig, tables, master, interrupts } = faultRig();
    tables.mapPage(0x2000, RAM, S1_PAGE | S1_READ_ONLY);
    expect(master.read(0x2000, new Uint8Array(4)).complete).toBe(true);
    expect(master.write(0x2ff0, new Uint8Array(4)).fault).toEqual({
      kind: 'permission',
      address: 0x2ff0,
      level: 3,
    });
    expect(faultRegisters(rig)).toMatchObject({
      fsr: A64 | ARM_SMMU_FSR_PF,
      far: 0x2ff0,
      fsynr0: 3 | (1 << 4) | (1 << 5),
    });
    expect(interrupts).toEqual([1]);
  });

  it('address size fault: output address above TCR2.PASIZE (32 bits)', () => {
    const { rig, tables, master, interrupts } = faultRig({ pasize: 0 });
    tables.mapPage(0x3000, HIGH_RAM);
    expect(master.read(0x3000, new Uint8Array(4)).fault).toEqual({
      kind: 'address-size',
      address: 0x3000,
      level: 3,
    });
    expect(faultRegisters(rig)).toMatchObject({
      fsr: A64 | ARM_SMMU_FSR_ASF,
      far: 0x3000,
      fsynr0: 3 | (1 << 5),
    });
    expect(interrupts).toEqual([1]);
  });

  it('external abort on the walk: a table pointer to no memory sets EF and PTWF', () => {
    const { rig, tables, master, interrupts } = faultRig();
    const l2Slot = tables.slot(0x60_0000, 2);
    tables.write(l2Slot, 0x1000_0000, 3); // next-level table in a hole of the address map
    expect(master.read(0x60_0000, new Uint8Array(4)).fault).toEqual({
      kind: 'external-abort',
      address: 0x60_0000,
      level: 3,
    });
    expect(faultRegisters(rig)).toMatchObject({
      fsr: A64 | ARM_SMMU_FSR_EF,
      far: 0x60_0000,
      fsynr0: 3 | (1 << 5) | (1 << 10),
    });
    expect(interrupts).toEqual([1]);
  });

  it('a second fault before FSR is cleared sets MULTI only; clearing re-arms the interrupt', () => {
    const { rig, master, interrupts } = faultRig();
    master.read(0x1000, new Uint8Array(4));
    master.write(0x9000, new Uint8Array(4));
    expect(faultRegisters(rig)).toMatchObject({
      fsr: (A64 | ARM_SMMU_FSR_TF | ARM_SMMU_FSR_MULTI) >>> 0,
      far: 0x1000,
      fsynr0: 1 | (1 << 5),
    });
    expect(interrupts).toEqual([1]);
    // arm_smmu_context_fault: writes FSR back to clear it.
    rig.setCb(1, ARM_SMMU_CB_FSR, rig.cb(1, ARM_SMMU_CB_FSR));
    expect(rig.cb(1, ARM_SMMU_CB_FSR)).toBe(0);
    master.write(0x9000, new Uint8Array(4));
    expect(faultRegisters(rig)).toMatchObject({
      fsr: A64 | ARM_SMMU_FSR_TF,
      far: 0x9000,
      fsynr0: 1 | (1 << 4) | (1 << 5),
    });
    expect(interrupts).toEqual([1, 1]);
  });

  it('without SCTLR.CFIE the fault is recorded but no interrupt is raised', () => {
    const rig = smmuRig();
    const tables = new Lpae4kTables(rig.bus, 1);
    programS1Context(rig, { bank: 0, group: 0, streamId: 1, ttbr: tables.root, asid: 1 });
    rig.setCb(0, 0, rig.cb(0, 0) & ~(1 << 6));
    let interrupts = 0;
    rig.smmu.onContextInterrupt(() => interrupts++);
    new BusMaster(rig.machine, { name: 'dev', streamId: 1, iommu: rig.smmu }).read(
      0,
      new Uint8Array(1),
    );
    expect(rig.cb(0, ARM_SMMU_CB_FSR)).toBe(A64 | ARM_SMMU_FSR_TF);
    expect(interrupts).toBe(0);
  });
});

describe('SMMUv2 stall mode (SCTLR.CFCFG=1) and RESUME', () => {
  function stallRig() {
    const fault = faultRig({ sctlrExtra: ARM_SMMU_SCTLR_CFCFG });
    const { rig, tables } = fault;
    for (let page = 0; page < 4; page++)
      rig.machine.ram.fill(RAM + page * 0x1000, 0x10 + page, 0x1000);
    tables.mapPage(0x10_0000, RAM);
    tables.mapPage(0x10_1000, RAM + 0x1000);
    tables.mapPage(0x10_3000, RAM + 0x3000); // 0x10_2000 is missing for now
    for (let page = 0; page < 4; page++)
      tables.mapPage(0x20_0000 + page * 0x1000, RAM + 0x10_0000 + page * 0x1000);
    const engine = new DmaEngine(rig.machine, {
      name: 'dma',
      streamId: 0x33,
      iommu: rig.smmu,
      autoRun: true,
    });
    return { ...fault, engine };
  }

  it('stalls, then RESUME retry succeeds after software fixes the table', () => {
    const { rig, tables, engine, interrupts } = stallRig();
    let resumed = 0;
    rig.smmu.onResume(() => resumed++);
    engine.startCopy(0x10_0000, 0x20_0000, 0x4000);
    expect(engine.run()).toBe('stalled');
    expect(engine.bytesDone).toBe(0x2000);
    expect(faultRegisters(rig)).toMatchObject({
      fsr: (A64 | ARM_SMMU_FSR_TF | ARM_SMMU_FSR_SS) >>> 0,
      far: 0x10_2000,
      fsynr0: 3 | (1 << 5),
    });
    expect(interrupts).toEqual([1]);
    // Another transaction through the stalled bank waits too.
    const other = new BusMaster(rig.machine, { name: 'other', streamId: 0x33, iommu: rig.smmu });
    expect(other.read(0x10_0000, new Uint8Array(1)).stalled).toBe(true);
    other.abort();
    // The handler maps the page (a translation fault is never cached: no TLBI needed), clears FSR, resumes.
    tables.mapPage(0x10_2000, RAM + 0x2000);
    rig.setCb(1, ARM_SMMU_CB_FSR, rig.cb(1, ARM_SMMU_CB_FSR));
    rig.setCb(1, ARM_SMMU_CB_RESUME, 0);
    expect(resumed).toBe(1);
    expect(engine.state).toBe('done');
    const copied = new Uint8Array(0x4000);
    rig.machine.ram.read(RAM + 0x10_0000, copied);
    for (let page = 0; page < 4; page++) expect(copied[page * 0x1000 + 7]).toBe(0x10 + page);
    expect(rig.smmu.counters.stalls).toBe(1);
    expect(interrupts).toEqual([1]);
  });

  it('RESUME terminate aborts the stalled transaction; the job ends at the faulting page', () => {
    const { rig, engine } = stallRig();
    const errors: unknown[] = [];
    engine.onError((_engine, fault) => errors.push(fault));
    engine.startCopy(0x10_0000, 0x20_0000, 0x4000);
    expect(engine.run()).toBe('stalled');
    rig.setCb(1, ARM_SMMU_CB_RESUME, ARM_SMMU_RESUME_TERMINATE);
    expect(engine.state).toBe('error');
    expect(engine.bytesDone).toBe(0x2000);
    expect(errors).toEqual([{ kind: 'translation', address: 0x10_2000, level: 3 }]);
    // FSR still holds the record until software clears it.
    expect(rig.cb(1, ARM_SMMU_CB_FSR)).toBe((A64 | ARM_SMMU_FSR_TF | ARM_SMMU_FSR_SS) >>> 0);
  });

  it('a handler that fixes the table and resumes from the interrupt completes without a visible stall', () => {
    const { rig, tables, engine, interrupts } = stallRig();
    rig.smmu.onContextInterrupt(() => {
      tables.mapPage(0x10_2000, RAM + 0x2000);
      rig.setCb(1, ARM_SMMU_CB_FSR, rig.cb(1, ARM_SMMU_CB_FSR));
      rig.setCb(1, ARM_SMMU_CB_RESUME, 0);
    });
    engine.startCopy(0x10_0000, 0x20_0000, 0x4000);
    expect(engine.run()).toBe('done');
    expect(interrupts).toEqual([1]);
    expect(rig.cb(1, ARM_SMMU_CB_FSR)).toBe(0);
  });

  it('a bus master without autoRun continues with resume() after RESUME', () => {
    const { rig, tables, master } = stallRig();
    const buffer = new Uint8Array(0x3000);
    const result = master.read(0x10_1000, buffer);
    expect(result).toMatchObject({ bytes: 0x1000, stalled: true });
    expect(master.resume().stalled).toBe(true); // still held: software has not written RESUME
    tables.mapPage(0x10_2000, RAM + 0x2000);
    rig.setCb(1, ARM_SMMU_CB_RESUME, 0);
    expect(master.resume()).toMatchObject({ bytes: 0x3000, stalled: false, fault: null });
    expect([buffer[0], buffer[0x1000], buffer[0x2000]]).toEqual([0x11, 0x12, 0x13]);
  });

  it('RESUME with no stalled transaction is ignored', () => {
    const { rig } = stallRig();
    let resumed = 0;
    rig.smmu.onResume(() => resumed++);
    rig.setCb(1, ARM_SMMU_CB_RESUME, 0);
    expect(resumed).toBe(0);
    expect(rig.smmu.contextBanks[1]!.stallState).toBe(0);
  });
});
