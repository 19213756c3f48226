import {
  ARM_SMMU_CB_FSR,
  ARM_SMMU_CB_SCTLR,
  ARM_SMMU_GR0_ID0,
  ARM_SMMU_GR0_ID1,
  ARM_SMMU_GR0_ID2,
  ARM_SMMU_GR0_S2CR_BASE,
  ARM_SMMU_GR0_SMR_BASE,
  ARM_SMMU_GR0_sCR0,
  ARM_SMMU_GR0_sGFAR,
  ARM_SMMU_GR0_sGFSR,
  ARM_SMMU_GR0_sGFSYNR0,
  ARM_SMMU_GR0_sGFSYNR1,
  ARM_SMMU_GR0_sTLBGSTATUS,
  ARM_SMMU_GR1_CBAR_BASE,
  ARM_SMMU_sCR0_CLIENTPD,
  ARM_SMMU_sCR0_GFIE,
  ARM_SMMU_sCR0_GFRE,
  ARM_SMMU_sCR0_USFCFG,
  ARM_SMMU_sGFSR_MULTI,
  ARM_SMMU_sGFSR_SMCF,
  ARM_SMMU_sGFSR_USF,
  ARM_SMMU_sGFSYNR0_PNU,
  ARM_SMMU_sGFSYNR0_WNR,
  ArmSmmuV2,
  BusMaster,
  createMachine,
} from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { Lpae4kTables, programS1Context, RAM, SMMU_BASE, smmuRig } from './smmu-fixture';

describe('SMMUv2 identification and reset state', () => {
  it('IDR0-2 describe the model, in the fields Linux arm_smmu_device_cfg_probe reads', () => {
    const rig = smmuRig();
    // ID0: S1TS|S2TS|SMS|ATOSNS, NUMIRPT=8, CTTW, NUMSIDB=15, NUMSMRG=16; AArch32 L and S formats
    // supported (PTFS_NO_AARCH32/NO_AARCH32S clear), no nested translation (NTS clear).
    expect(rig.gr0(ARM_SMMU_GR0_ID0)).toBe(0x6c08_5e10);
    // ID1: 4 KiB pages, NUMPAGENDXB=2 (NUMPAGE 8), NUMS2CB=0, NUMCB=8.
    expect(rig.gr0(ARM_SMMU_GR0_ID1)).toBe(0x2000_0008);
    // ID2: PTFS 64K|16K|4K, UBS=48 bits (5), OAS=48 (5), IAS=48 (5).
    expect(rig.gr0(ARM_SMMU_GR0_ID2)).toBe(0x7555);
    // Linux checks that 2 x NUMPAGE x pagesize equals the region size.
    expect(rig.smmu.mmioSize).toBe(2 * 8 * 4096);
    expect(rig.smmu.contextBankOffset(0)).toBe(0x8000);
  });

  it('IDR fields follow the options (3 banks, 40-bit OAS, no coherent walks, 10-bit stream IDs)', () => {
    const machine = createMachine();
    const smmu = new ArmSmmuV2(machine, {
      contextBanks: 3,
      outputBits: 40,
      coherentWalk: false,
      streamIdBits: 10,
      streamMatchGroups: 4,
    });
    expect(smmu.read32(ARM_SMMU_GR0_ID0)).toBe((0x6c00_0000 | (3 << 16) | (10 << 9) | 4) >>> 0);
    expect(smmu.read32(ARM_SMMU_GR0_ID1)).toBe((1 << 28) | 3);
    expect(smmu.read32(ARM_SMMU_GR0_ID2)).toBe(0x7525);
    expect(smmu.mmioSize).toBe(0x8000);
    expect(() => new ArmSmmuV2(machine, { outputBits: 52 })).toThrowError(/EINVAL/);
    expect(() => new ArmSmmuV2(machine, { contextBanks: 0 })).toThrowError(/EINVAL/);
  });

  it('resets with the client port disabled, SMRs invalid, S2CRs faulting and banks off', () => {
    const rig = smmuRig();
    expect(rig.gr0(ARM_SMMU_GR0_sCR0)).toBe(ARM_SMMU_sCR0_CLIENTPD);
    expect(rig.gr0(ARM_SMMU_GR0_SMR_BASE)).toBe(0);
    expect(rig.gr0(ARM_SMMU_GR0_S2CR_BASE + 4 * 15)).toBe(0x0002_0000);
    expect(rig.gr0(ARM_SMMU_GR0_sGFSR)).toBe(0);
    expect(rig.gr0(ARM_SMMU_GR0_sTLBGSTATUS)).toBe(0);
    expect(rig.gr1(ARM_SMMU_GR1_CBAR_BASE)).toBe(0);
    for (let bank = 0; bank < 8; bank++) {
      expect(rig.cb(bank, ARM_SMMU_CB_SCTLR)).toBe(0);
      expect(rig.cb(bank, ARM_SMMU_CB_FSR)).toBe(0);
    }
  });

  it('keeps only the implemented SMR ID/MASK bits (the probe Linux does by writing all ones)', () => {
    const rig = smmuRig({ streamIdBits: 10 });
    rig.setGr0(ARM_SMMU_GR0_SMR_BASE, 0xffff_ffff);
    expect(rig.gr0(ARM_SMMU_GR0_SMR_BASE)).toBe((0x8000_0000 | (0x3ff << 16) | 0x3ff) >>> 0);
  });
});

describe('SMMUv2 client port and unmatched streams', () => {
  it('CLIENTPD=1 bypasses every stream, even a matched one', () => {
    const rig = smmuRig();
    rig.machine.ram.write(RAM + 0x1000, Uint8Array.of(1, 2, 3, 4));
    const tables = new Lpae4kTables(rig.bus, 1);
    programS1Context(rig, { bank: 0, group: 0, streamId: 5, ttbr: tables.root, asid: 1 });
    rig.setGr0(ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_CLIENTPD);
    const master = new BusMaster(rig.machine, { name: 'dev', streamId: 5, iommu: rig.smmu });
    const buffer = new Uint8Array(4);
    expect(master.read(RAM + 0x1000, buffer).complete).toBe(true);
    expect([...buffer]).toEqual([1, 2, 3, 4]);
    expect(rig.smmu.counters.bypassed).toBe(1);
  });

  it('USFCFG=0 bypasses unmatched streams; USFCFG=1 faults them into sGFSR/sGFAR/sGFSYNR', () => {
    // drivers/iommu/arm/arm-smmu/arm-smmu.c arm_smmu_device_reset: disable_bypass sets USFCFG;
    // arm_smmu_global_fault reads sGFSR, sGFSYNR0-2 and clears sGFSR by writing it back.
    const rig = smmuRig();
    const master = new BusMaster(rig.machine, { name: 'dev', streamId: 0x77, iommu: rig.smmu });
    rig.setGr0(ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_GFRE | ARM_SMMU_sCR0_GFIE);
    expect(master.fill(RAM, 0xaa, 16).complete).toBe(true);
    let interrupts = 0;
    rig.smmu.onGlobalInterrupt(() => interrupts++);
    rig.setGr0(ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_GFRE | ARM_SMMU_sCR0_GFIE | ARM_SMMU_sCR0_USFCFG);
    const result = master.fill(RAM + 0x2340, 0xbb, 16);
    expect(result).toMatchObject({
      bytes: 0,
      fault: { kind: 'translation', address: RAM + 0x2340, level: 0 },
    });
    expect(rig.gr0(ARM_SMMU_GR0_sGFSR)).toBe(ARM_SMMU_sGFSR_USF);
    expect(rig.gr0(ARM_SMMU_GR0_sGFAR)).toBe(RAM + 0x2340);
    expect(rig.gr0(ARM_SMMU_GR0_sGFAR + 4)).toBe(0);
    expect(rig.gr0(ARM_SMMU_GR0_sGFSYNR0)).toBe(ARM_SMMU_sGFSYNR0_WNR | ARM_SMMU_sGFSYNR0_PNU);
    expect(rig.gr0(ARM_SMMU_GR0_sGFSYNR1)).toBe(0x77);
    expect(interrupts).toBe(1);
    // A second fault before software clears sGFSR only sets MULTI; the first record stays.
    master.read(RAM + 0x9000, new Uint8Array(4));
    expect(rig.gr0(ARM_SMMU_GR0_sGFSR)).toBe((ARM_SMMU_sGFSR_USF | ARM_SMMU_sGFSR_MULTI) >>> 0);
    expect(rig.gr0(ARM_SMMU_GR0_sGFAR)).toBe(RAM + 0x2340);
    expect(interrupts).toBe(1);
    rig.setGr0(ARM_SMMU_GR0_sGFSR, rig.gr0(ARM_SMMU_GR0_sGFSR));
    expect(rig.gr0(ARM_SMMU_GR0_sGFSR)).toBe(0);
    expect(rig.machine.ram.read32(RAM + 0x2340)).toBe(0);
  });

  it('GFRE=0 does not abort the master: reads of the page return zeros, writes are dropped', () => {
    const rig = smmuRig();
    rig.machine.ram.fill(RAM, 0x11, 0x2000);
    rig.setGr0(ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_USFCFG);
    const master = new BusMaster(rig.machine, { name: 'dev', streamId: 1, iommu: rig.smmu });
    const buffer = new Uint8Array(0x2000).fill(0xff);
    expect(master.read(RAM, buffer)).toMatchObject({
      bytes: 0x2000,
      ignoredBytes: 0x2000,
      fault: null,
    });
    expect(buffer.every((byte) => byte === 0)).toBe(true);
    expect(rig.gr0(ARM_SMMU_GR0_sGFSR)).toBe((ARM_SMMU_sGFSR_USF | ARM_SMMU_sGFSR_MULTI) >>> 0);
  });
});

describe('SMMUv2 stream matching', () => {
  it('matches ID under MASK, and S2CR picks translate, bypass or fault', () => {
    const rig = smmuRig();
    rig.machine.ram.write(RAM + 0x5000, Uint8Array.of(0xa5));
    const tables = new Lpae4kTables(rig.bus, 1);
    tables.mapPage(0x1000, RAM + 0x5000);
    programS1Context(rig, { bank: 2, group: 0, streamId: 0x120, ttbr: tables.root, asid: 3 });
    // SMR0: ID 0x120 with MASK 0x00f -> streams 0x120..0x12f go to context bank 2.
    rig.setGr0(ARM_SMMU_GR0_SMR_BASE, (0x8000_0000 | (0x00f << 16) | 0x120) >>> 0);
    // SMR1: stream 0x200 exactly, bypass; SMR2: stream 0x300, fault.
    rig.setGr0(ARM_SMMU_GR0_SMR_BASE + 4, (0x8000_0000 | 0x200) >>> 0);
    rig.setGr0(ARM_SMMU_GR0_S2CR_BASE + 4, 1 << 16);
    rig.setGr0(ARM_SMMU_GR0_SMR_BASE + 8, (0x8000_0000 | 0x300) >>> 0);
    rig.setGr0(ARM_SMMU_GR0_S2CR_BASE + 8, 2 << 16);
    const read = (streamId: number, address: number) => {
      const master = new BusMaster(rig.machine, {
        name: `sid${streamId}`,
        streamId,
        iommu: rig.smmu,
      });
      const buffer = new Uint8Array(1);
      const result = master.read(address, buffer);
      return { result, byte: buffer[0] };
    };
    expect(read(0x125, 0x1000)).toMatchObject({ result: { bytes: 1, fault: null }, byte: 0xa5 });
    expect(read(0x12f, 0x1000).byte).toBe(0xa5);
    expect(read(0x200, RAM + 0x5000)).toMatchObject({ result: { bytes: 1 }, byte: 0xa5 });
    expect(read(0x300, RAM + 0x5000).result.fault).toEqual({
      kind: 'translation',
      address: RAM + 0x5000,
      level: 0,
    });
    // 0x135 is not covered by the mask: unmatched, and USFCFG=0 bypasses it.
    expect(read(0x135, RAM + 0x5000).byte).toBe(0xa5);
    expect(rig.gr0(ARM_SMMU_GR0_sGFSR)).toBe(0);
  });

  it('two matching SMRs are a stream match conflict (sGFSR.SMCF)', () => {
    const rig = smmuRig();
    rig.setGr0(ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_GFRE);
    rig.setGr0(ARM_SMMU_GR0_SMR_BASE, (0x8000_0000 | (0xff << 16)) >>> 0);
    rig.setGr0(ARM_SMMU_GR0_SMR_BASE + 4, (0x8000_0000 | 0x42) >>> 0);
    const master = new BusMaster(rig.machine, { name: 'dev', streamId: 0x42, iommu: rig.smmu });
    expect(master.read(RAM, new Uint8Array(4)).fault?.kind).toBe('translation');
    expect(rig.gr0(ARM_SMMU_GR0_sGFSR)).toBe(ARM_SMMU_sGFSR_SMCF);
    expect(rig.bus.read32(SMMU_BASE + ARM_SMMU_GR0_sGFSYNR1)).toBe(0x42);
  });

  it('a context bank with SCTLR.M=0 passes transactions through untranslated', () => {
    const rig = smmuRig();
    const tables = new Lpae4kTables(rig.bus, 1);
    programS1Context(rig, { bank: 0, group: 0, streamId: 1, ttbr: tables.root, asid: 1 });
    rig.setCb(0, ARM_SMMU_CB_SCTLR, 0);
    rig.machine.ram.write(RAM + 0x3000, Uint8Array.of(7));
    const master = new BusMaster(rig.machine, { name: 'dev', streamId: 1, iommu: rig.smmu });
    const buffer = new Uint8Array(1);
    expect(master.read(RAM + 0x3000, buffer).complete).toBe(true);
    expect(buffer[0]).toBe(7);
  });
});
