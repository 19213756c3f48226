import {
  ARM_SMMU_CB_CONTEXTIDR,
  ARM_SMMU_CB_FSR,
  ARM_SMMU_CB_FSYNR0,
  ARM_SMMU_CB_S1_TLBIVA,
  ARM_SMMU_CB_S2_TLBIIPAS2,
  ARM_SMMU_CB_SCTLR,
  ARM_SMMU_CB_TCR,
  ARM_SMMU_CB_TTBR0,
  ARM_SMMU_FSR_AFF,
  ARM_SMMU_FSR_TF,
  ARM_SMMU_GR0_S2CR_BASE,
  ARM_SMMU_GR0_SMR_BASE,
  ARM_SMMU_GR0_sCR0,
  ARM_SMMU_GR1_CBA2R_BASE,
  ARM_SMMU_GR1_CBAR_BASE,
  ARM_SMMU_sCR0_GFRE,
  BusMaster,
  decodeContextBank,
} from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { Lpae4kTables, RAM, S1_PAGE, S2_PAGE, type SmmuRig, smmuRig, TABLES } from './smmu-fixture';

const SCTLR_ON = (1 << 6) | (1 << 5) | (1 << 2) | (1 << 1) | 1; // CFIE|CFRE|AFE|TRE|M

function route(rig: SmmuRig, bank: number, streamId: number): BusMaster {
  rig.setGr0(ARM_SMMU_GR0_S2CR_BASE, bank);
  rig.setGr0(ARM_SMMU_GR0_SMR_BASE, (0x8000_0000 | streamId) >>> 0);
  rig.setGr0(ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_GFRE);
  return new BusMaster(rig.machine, { name: 'dev', streamId, iommu: rig.smmu });
}

function readByte(master: BusMaster, address: number): number | string {
  const buffer = new Uint8Array(1);
  const result = master.read(address, buffer);
  return result.fault === null ? buffer[0]! : result.fault.kind;
}

const LIMITS = { coherentWalkSupported: true, outputBits: 48, inputBits: 48 };
const BASE_REGS = {
  cbar: 1 << 16,
  cba2r: 1,
  sctlr: 0,
  tcr: 0,
  tcr2: 0,
  ttbr0Lo: 0,
  ttbr0Hi: 0,
  contextidr: 0,
};

describe('SMMUv2 register decode (TCR/TCR2/VTCR -> walk configuration)', () => {
  it('AArch64 stage 1: the TCR Linux packs for 4K, 48-bit, coherent (reference io-pgtable.md §2.5)', () => {
    const decoded = decodeContextBank(
      {
        ...BASE_REGS,
        tcr: 0x0080_3510,
        tcr2: 5 | (7 << 15),
        ttbr0Lo: 0x4800_0000,
        ttbr0Hi: 3 << 16,
      },
      LIMITS,
    );
    expect(decoded).toEqual({
      config: {
        format: 'lpae64',
        stage: 1,
        granuleShift: 12,
        inputBits: 48,
        outputBits: 48,
        startLevel: 0,
        concatenatedTables: 1,
        tableBase: 0x4800_0000,
        coherentWalk: true,
        mtkExtension: false,
      },
      error: null,
      walksDisabled: false,
      asid: 3,
      vmid: 0,
      fsrFormat: 2,
    });
  });

  it('TG0 selects 64K (1) and 16K (2) granules; non-cacheable walks are not coherent', () => {
    const k64 = decodeContextBank({ ...BASE_REGS, tcr: (1 << 14) | 22, tcr2: 2 }, LIMITS).config!;
    expect([
      k64.granuleShift,
      k64.inputBits,
      k64.startLevel,
      k64.outputBits,
      k64.coherentWalk,
    ]).toEqual([16, 42, 2, 40, false]);
    const k16 = decodeContextBank({ ...BASE_REGS, tcr: (2 << 14) | 17, tcr2: 5 }, LIMITS).config!;
    expect([k16.granuleShift, k16.inputBits, k16.startLevel]).toEqual([14, 47, 1]);
    expect(decodeContextBank({ ...BASE_REGS, tcr: (3 << 14) | 16 }, LIMITS).error).toMatch(/TG0/);
    expect(decodeContextBank({ ...BASE_REGS, tcr: 1 << 7 }, LIMITS).walksDisabled).toBe(true);
  });

  it('AArch64 stage 2: VTCR 0x80023558 is 40-bit IPA, SL0=1, two concatenated level-1 tables', () => {
    const decoded = decodeContextBank(
      { ...BASE_REGS, cbar: 5, tcr: 0x8002_3558, ttbr0Lo: 0x4800_2000 },
      LIMITS,
    );
    expect(decoded.config).toMatchObject({
      format: 'lpae64',
      stage: 2,
      inputBits: 40,
      outputBits: 40,
      startLevel: 1,
      concatenatedTables: 2,
      tableBase: 0x4800_2000,
    });
    expect(decoded.vmid).toBe(5);
    // SL0=2 starts a 40-bit 4K walk at level 0, where only one index bit is left.
    expect(
      decodeContextBank({ ...BASE_REGS, cbar: 5, tcr: 0x8002_3598 }, LIMITS).config,
    ).toMatchObject({ startLevel: 0, concatenatedTables: 1 });
    // SL0=0 (level 2) would need 2^10 concatenated tables: invalid.
    expect(decodeContextBank({ ...BASE_REGS, cbar: 5, tcr: 0x8002_3518 }, LIMITS).error).toMatch(
      /SL0/,
    );
  });

  it('VTCR.SL0=2 needs IDR2.OAS >= 44 bits (42 with 16K): AArch64.S2InvalidSL, QEMU check_s2_mmu_setup', () => {
    // 4K, 44-bit IPA (T0SZ 20), PS 44 bits, SL0 = 2 (level 0, 32 entries).
    const vtcr4k = (4 << 16) | (2 << 6) | 20;
    const oas = (outputBits: number) => ({ ...LIMITS, outputBits });
    expect(decodeContextBank({ ...BASE_REGS, cbar: 5, tcr: vtcr4k }, oas(44)).config).toMatchObject(
      { startLevel: 0 },
    );
    expect(decodeContextBank({ ...BASE_REGS, cbar: 5, tcr: vtcr4k }, oas(42)).error).toMatch(
      /SL0 2/,
    );
    // 16K granule, 42-bit IPA, SL0 = 2 (level 1): valid from a 42-bit PA, not with 40 bits.
    const vtcr16k = (2 << 14) | (3 << 16) | (2 << 6) | 22;
    expect(
      decodeContextBank({ ...BASE_REGS, cbar: 5, tcr: vtcr16k }, oas(42)).config,
    ).toMatchObject({ granuleShift: 14, startLevel: 1 });
    expect(decodeContextBank({ ...BASE_REGS, cbar: 5, tcr: vtcr16k }, oas(40)).config).toBeNull();
  });

  it('AArch32: TCR.EAE=1 is VMSAv7 LPAE (T0SZ[2:0]), EAE=0 short descriptors (TTBCR.N=0 only)', () => {
    const lpae = decodeContextBank(
      {
        ...BASE_REGS,
        cba2r: 0,
        tcr: (1 << 31) | (1 << 8) | 1,
        ttbr0Lo: 0x4800_0020,
        ttbr0Hi: (0x45 << 16) | 0x1,
      },
      LIMITS,
    );
    expect(lpae.config).toMatchObject({
      format: 'lpae32',
      stage: 1,
      inputBits: 31,
      outputBits: 40,
      startLevel: 1,
      tableBase: 0x1_4800_0000,
    });
    expect(lpae.asid).toBe(0x45);
    expect(lpae.fsrFormat).toBe(1);
    const short = decodeContextBank(
      { ...BASE_REGS, cba2r: 0, sctlr: 1 << 2, tcr: 0, ttbr0Lo: 0x4800_406a, contextidr: 0x1_23 },
      LIMITS,
    );
    expect(short.config).toMatchObject({
      format: 'v7s',
      inputBits: 32,
      outputBits: 32,
      startLevel: 1,
      tableBase: 0x4800_4000,
      coherentWalk: true,
      accessFlagEnable: true,
    });
    expect([short.asid, short.fsrFormat]).toEqual([0x23, 0]);
    expect(decodeContextBank({ ...BASE_REGS, cba2r: 0, tcr: 2 }, LIMITS).error).toMatch(/TTBCR.N/);
  });
});

describe('SMMUv2 context formats translate end to end', () => {
  it('AArch32 LPAE stage 1 (CBA2R.VA64=0, TCR.EAE=1): 32-bit input, 64-bit TTBR0 with the ASID in [55:48]', () => {
    const rig = smmuRig();
    rig.machine.ram.fill(RAM + 0x7000, 0x5c, 0x1000);
    const tables = new Lpae4kTables(rig.bus, 1);
    tables.mapPage(0x8000_1000, RAM + 0x7000);
    rig.setGr1(ARM_SMMU_GR1_CBA2R_BASE, 0);
    rig.setGr1(ARM_SMMU_GR1_CBAR_BASE, 1 << 16);
    rig.setCb(0, ARM_SMMU_CB_TCR, ((1 << 31) | (1 << 23) | (3 << 12) | (1 << 10) | (1 << 8)) >>> 0);
    rig.setCb64(0, ARM_SMMU_CB_TTBR0, (0x12n << 48n) | BigInt(tables.root));
    rig.setCb(0, ARM_SMMU_CB_SCTLR, SCTLR_ON);
    const master = route(rig, 0, 2);
    expect(readByte(master, 0x8000_1abc)).toBe(0x5c);
    expect(readByte(master, 0x8000_2000)).toBe('translation');
    // FSR.FORMAT [10:9] = 0b01: AArch32 long descriptors.
    expect(rig.cb(0, ARM_SMMU_CB_FSR)).toBe((1 << 9) | ARM_SMMU_FSR_TF);
    // AArch32 TLBIVA operand: VA[31:12] | ASID[7:0].
    tables.mapPage(0x8000_1000, RAM);
    expect(readByte(master, 0x8000_1000)).toBe(0x5c);
    rig.setCb(0, ARM_SMMU_CB_S1_TLBIVA, (0x8000_1000 | 0x12) >>> 0);
    expect(readByte(master, 0x8000_1000)).toBe(0);
  });

  it('short-descriptor stage 1 (TCR.EAE=0): sections and small pages; AP[0]=0 is an access flag fault', () => {
    const rig = smmuRig();
    rig.machine.ram.fill(RAM + 0x30_0000, 0x31, 0x1000);
    rig.machine.ram.fill(RAM + 0x5000, 0x55, 0x1000);
    const l1 = TABLES; // 16 KiB aligned
    const l2 = TABLES + 0x4000;
    // L1[0x100]: 1 MiB section at RAM + 0x30_0000 (bits [31:20]), type 0b10, AP[0] bit 10, AP[1] bit 11.
    rig.bus.write32(l1 + 4 * 0x100, ((RAM + 0x30_0000) | 0x2 | (1 << 10) | (1 << 11)) >>> 0);
    // L1[0x200]: page table; L2[1]: small page (type 0b1x) AP[1:0]=0b11 (bits 5:4); L2[2]: AP[0]=0.
    rig.bus.write32(l1 + 4 * 0x200, (l2 | 0x1) >>> 0);
    rig.bus.write32(l2 + 4, ((RAM + 0x5000) | 0x2 | (3 << 4)) >>> 0);
    rig.bus.write32(l2 + 8, ((RAM + 0x5000) | 0x2 | (2 << 4)) >>> 0);
    rig.setGr1(ARM_SMMU_GR1_CBA2R_BASE + 4, 0);
    rig.setGr1(ARM_SMMU_GR1_CBAR_BASE + 4, 1 << 16);
    rig.setCb(1, ARM_SMMU_CB_TCR, 0);
    rig.setCb(1, ARM_SMMU_CB_TTBR0, (l1 | 0x6a) >>> 0);
    rig.setCb(1, ARM_SMMU_CB_CONTEXTIDR, 7);
    rig.setCb(1, ARM_SMMU_CB_SCTLR, SCTLR_ON);
    const master = route(rig, 1, 3);
    expect(readByte(master, 0x1000_0123)).toBe(0x31);
    expect(readByte(master, 0x100f_ffff)).toBe(0);
    expect(readByte(master, 0x2000_1000)).toBe(0x55);
    expect(readByte(master, 0x2000_2000)).toBe('access-flag');
    expect(rig.cb(1, ARM_SMMU_CB_FSR)).toBe(ARM_SMMU_FSR_AFF); // FORMAT 0b00: short descriptors
    expect(rig.cb(1, ARM_SMMU_CB_FSYNR0)).toBe(2 | (1 << 5));
  });

  it('AArch64 stage 2 (CBAR.TYPE=0) with concatenated level-1 tables and TLBIIPAS2', () => {
    const rig = smmuRig();
    rig.machine.ram.fill(RAM + 0x9000, 0x99, 0x1000);
    const tables = new Lpae4kTables(rig.bus, 1, TABLES, 0x2000);
    const ipa = 0xc0_0000_1000; // level-1 index 768: in the second concatenated table
    tables.mapPage(ipa, RAM + 0x9000, S2_PAGE);
    expect(tables.slot(ipa, 1)).toBe(TABLES + 8 * 768);
    rig.setGr1(ARM_SMMU_GR1_CBA2R_BASE + 8, 1);
    rig.setGr1(ARM_SMMU_GR1_CBAR_BASE + 8, 5); // TYPE 0 (stage 2), VMID 5
    rig.setCb(2, ARM_SMMU_CB_TCR, 0x8002_3558);
    rig.setCb64(2, ARM_SMMU_CB_TTBR0, BigInt(tables.root));
    rig.setCb(2, ARM_SMMU_CB_SCTLR, SCTLR_ON);
    const master = route(rig, 2, 9);
    expect(readByte(master, ipa + 1)).toBe(0x99);
    tables.mapPage(ipa, RAM, S2_PAGE);
    expect(readByte(master, ipa + 1)).toBe(0x99);
    rig.setCb64(2, ARM_SMMU_CB_S2_TLBIIPAS2, BigInt(ipa / 4096));
    expect(readByte(master, ipa + 1)).toBe(0);
    // S2AP without write permission: a write is a permission fault.
    tables.mapPage(ipa + 0x1000, RAM, S2_PAGE & ~(2 << 6));
    expect(master.write(ipa + 0x1000, new Uint8Array(1)).fault).toEqual({
      kind: 'permission',
      address: ipa + 0x1000,
      level: 3,
    });
    expect(S1_PAGE).not.toBe(S2_PAGE);
  });

  it('an invalid configuration (reserved TG0) faults every transaction at once', () => {
    const rig = smmuRig();
    rig.setGr1(ARM_SMMU_GR1_CBA2R_BASE, 1);
    rig.setGr1(ARM_SMMU_GR1_CBAR_BASE, 1 << 16);
    rig.setCb(0, ARM_SMMU_CB_TCR, (3 << 14) | 25);
    rig.setCb(0, ARM_SMMU_CB_SCTLR, SCTLR_ON);
    const master = route(rig, 0, 1);
    expect(readByte(master, 0x1000)).toBe('translation');
    expect(rig.cb(0, ARM_SMMU_CB_FSR)).toBe((2 << 9) | ARM_SMMU_FSR_TF);
    expect(rig.smmu.walker.counters.walks).toBe(0);
  });
});
