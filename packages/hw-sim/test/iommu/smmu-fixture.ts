import {
  ARM_SMMU_CB_S1_MAIR0,
  ARM_SMMU_CB_SCTLR,
  ARM_SMMU_CB_TCR,
  ARM_SMMU_CB_TCR2,
  ARM_SMMU_CB_TTBR0,
  ARM_SMMU_CBA2R_VA64,
  ARM_SMMU_GR0_S2CR_BASE,
  ARM_SMMU_GR0_SMR_BASE,
  ARM_SMMU_GR0_sCR0,
  ARM_SMMU_GR1_CBA2R_BASE,
  ARM_SMMU_GR1_CBAR_BASE,
  ARM_SMMU_SCTLR_AFE,
  ARM_SMMU_SCTLR_CFIE,
  ARM_SMMU_SCTLR_CFRE,
  ARM_SMMU_SCTLR_M,
  ARM_SMMU_SCTLR_TRE,
  ARM_SMMU_SMR_VALID,
  ARM_SMMU_sCR0_GFIE,
  ARM_SMMU_sCR0_GFRE,
  ARM_SMMU_TCR2_AS,
  ArmSmmuV2,
  type ArmSmmuV2Options,
  type Bus,
  createMachine,
  type Machine,
  type MachineConfig,
} from '@socmem/hw-sim';

export const SMMU_BASE = 0x2000_0000;
export const RAM = 0x4000_0000;
/** Where test page tables live (bump-allocated, 4 KiB each). */
export const TABLES = 0x4800_0000;

/** Stage-1 LPAE page descriptor bits: valid page (0b11), AF (bit 10), AP[1] EL0 access (bit 6), nG (bit 11). */
export const S1_PAGE = 0x3 | (1 << 10) | (1 << 6) | (1 << 11);
/** AP[2]: read-only. */
export const S1_READ_ONLY = 1 << 7;
/** Stage-2 page: valid page, AF, S2AP read+write (bits 7:6), MemAttr normal WB (0xf << 2). */
export const S2_PAGE = 0x3 | (1 << 10) | (3 << 6) | (0xf << 2);

export interface SmmuRig {
  machine: Machine;
  smmu: ArmSmmuV2;
  bus: Bus;
  gr0(offset: number): number;
  setGr0(offset: number, value: number): void;
  gr1(offset: number): number;
  setGr1(offset: number, value: number): void;
  cb(bank: number, offset: number): number;
  setCb(bank: number, offset: number, value: number): void;
  setCb64(bank: number, offset: number, value: bigint): void;
}

export function smmuRig(
  options: ArmSmmuV2Options = {},
  machineConfig: MachineConfig = {},
): SmmuRig {
  const machine = createMachine(machineConfig);
  const smmu = new ArmSmmuV2(machine, options);
  machine.bus.mapMmio(SMMU_BASE, smmu.mmioSize, smmu);
  const bus = machine.bus;
  const cbBase = (bank: number): number => SMMU_BASE + smmu.contextBankOffset(bank);
  return {
    machine,
    smmu,
    bus,
    gr0: (offset) => bus.read32(SMMU_BASE + offset),
    setGr0: (offset, value) => bus.write32(SMMU_BASE + offset, value),
    gr1: (offset) => bus.read32(SMMU_BASE + 0x1000 + offset),
    setGr1: (offset, value) => bus.write32(SMMU_BASE + 0x1000 + offset, value),
    cb: (bank, offset) => bus.read32(cbBase(bank) + offset),
    setCb: (bank, offset, value) => bus.write32(cbBase(bank) + offset, value),
    setCb64: (bank, offset, value) => bus.write64(cbBase(bank) + offset, value),
  };
}

/**
 * Hand-built LPAE tables (4 KiB granule), written descriptor by descriptor with bus.write32
 * (low word, high word), as the walker reads them.
 */
export class Lpae4kTables {
  readonly root: number;
  private next: number;
  constructor(
    private readonly bus: Bus,
    readonly startLevel: number,
    base = TABLES,
    rootBytes = 4096,
  ) {
    this.root = base;
    this.next = base + Math.max(rootBytes, 4096);
  }

  /** The descriptor address for `va` at `level`, creating table descriptors above it. */
  slot(va: number, level: number): number {
    let table = this.root;
    for (let current = this.startLevel; ; current++) {
      const shift = 12 + 9 * (3 - current);
      const width = current === this.startLevel ? 2 ** 20 : 512;
      const index = Math.floor(va / 2 ** shift) % width;
      const at = table + 8 * index;
      if (current === level) return at;
      let lo = this.bus.read32(at);
      if ((lo & 3) !== 3) {
        const fresh = this.next;
        this.next += 4096;
        lo = fresh | 3;
        this.bus.write32(at, lo);
        this.bus.write32(at + 4, 0);
      }
      table = lo & 0xffff_f000;
    }
  }

  /** Writes a level-3 page descriptor for `va` -> `pa` with low attribute bits `attrs`. */
  mapPage(va: number, pa: number, attrs = S1_PAGE, attrsHi = 0): number {
    const at = this.slot(va, 3);
    this.write(at, pa, attrs, attrsHi);
    return at;
  }

  write(at: number, pa: number, attrs: number, attrsHi = 0): void {
    this.bus.write32(at, ((pa % 0x1_0000_0000) | attrs) >>> 0);
    this.bus.write32(at + 4, (Math.floor(pa / 0x1_0000_0000) | attrsHi) >>> 0);
  }
}

/**
 * Programs context bank `bank` for AArch64 stage 1 the way Linux's arm_smmu_write_context_bank
 * does (CBA2R.VA64, CBAR type S1-trans-S2-bypass, TCR2.PASIZE, TCR, TTBR0 with the ASID, MAIR0,
 * SCTLR = CFIE|CFRE|AFE|TRE|M, plus `sctlrExtra`), and routes `streamId` to it through SMR/S2CR
 * group `group`. The client port is enabled with global fault reporting.
 */
export function programS1Context(
  rig: SmmuRig,
  options: {
    bank: number;
    group: number;
    streamId: number;
    ttbr: number;
    asid: number;
    t0sz?: number;
    pasize?: number;
    sctlrExtra?: number;
  },
): void {
  const { bank, group, streamId, ttbr, asid } = options;
  rig.setGr1(ARM_SMMU_GR1_CBA2R_BASE + 4 * bank, ARM_SMMU_CBA2R_VA64);
  rig.setGr1(ARM_SMMU_GR1_CBAR_BASE + 4 * bank, (1 << 16) | (3 << 8) | (0xf << 12));
  // TCR2: PASIZE | SEP upstream | AS (arm_smmu_init_context_bank sets AS for AArch64 contexts).
  rig.setCb(bank, ARM_SMMU_CB_TCR2, (options.pasize ?? 5) | (7 << 15) | ARM_SMMU_TCR2_AS);
  // EPD1 | SH0 inner | ORGN0/IRGN0 WBWA | T0SZ
  rig.setCb(
    bank,
    ARM_SMMU_CB_TCR,
    (1 << 23) | (3 << 12) | (1 << 10) | (1 << 8) | (options.t0sz ?? 25),
  );
  rig.setCb64(bank, ARM_SMMU_CB_TTBR0, (BigInt(asid) << 48n) | BigInt(ttbr));
  rig.setCb(bank, ARM_SMMU_CB_S1_MAIR0, 0xf404_ff44);
  rig.setCb(
    bank,
    ARM_SMMU_CB_SCTLR,
    ARM_SMMU_SCTLR_CFIE |
      ARM_SMMU_SCTLR_CFRE |
      ARM_SMMU_SCTLR_AFE |
      ARM_SMMU_SCTLR_TRE |
      ARM_SMMU_SCTLR_M |
      (options.sctlrExtra ?? 0),
  );
  rig.setGr0(ARM_SMMU_GR0_S2CR_BASE + 4 * group, bank);
  rig.setGr0(ARM_SMMU_GR0_SMR_BASE + 4 * group, (ARM_SMMU_SMR_VALID | streamId) >>> 0);
  rig.setGr0(ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_GFRE | ARM_SMMU_sCR0_GFIE);
}
