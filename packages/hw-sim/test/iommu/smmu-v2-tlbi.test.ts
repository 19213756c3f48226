import {
  ARM_SMMU_CB_S1_TLBIALL,
  ARM_SMMU_CB_S1_TLBIASID,
  ARM_SMMU_CB_S1_TLBIVA,
  ARM_SMMU_CB_S1_TLBIVAA,
  ARM_SMMU_CB_S1_TLBIVAL,
  ARM_SMMU_CB_TCR2,
  ARM_SMMU_CB_TLBSTATUS,
  ARM_SMMU_CB_TLBSYNC,
  ARM_SMMU_GR0_sTLBGSTATUS,
  ARM_SMMU_GR0_sTLBGSYNC,
  ARM_SMMU_GR0_TLBIALLNSNH,
  ARM_SMMU_GR0_TLBIVMID,
  ARM_SMMU_GR1_CBAR_BASE,
  BusMaster,
} from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { Lpae4kTables, programS1Context, RAM, type SmmuRig, smmuRig } from './smmu-fixture';

const OLD_PAGE = RAM + 0x1_0000;
const NEW_PAGE = RAM + 0x2_0000;
const VA = 0x12_3000;
const ASID = 0x2a;

/**
 * A context whose page at VA maps OLD_PAGE, cached in the TLB, then remapped to NEW_PAGE in
 * memory only: until a TLBI the SMMU keeps using the stale translation (like hardware, the TLB
 * is not coherent with the tables; Linux issues TLBI + TLBSYNC after unmap, arm_smmu_tlb_inv_*).
 */
function staleRig(
  asid = ASID,
  asid16 = true,
): { rig: SmmuRig; read: () => number; tables: Lpae4kTables } {
  const rig = smmuRig();
  rig.machine.ram.fill(OLD_PAGE, 0x11, 0x1000);
  rig.machine.ram.fill(NEW_PAGE, 0x22, 0x1000);
  const tables = new Lpae4kTables(rig.bus, 1);
  tables.mapPage(VA, OLD_PAGE);
  programS1Context(rig, { bank: 3, group: 0, streamId: 4, ttbr: tables.root, asid });
  if (!asid16) rig.setCb(3, ARM_SMMU_CB_TCR2, 5 | (7 << 15)); // TCR2.AS = 0: 8-bit ASIDs
  rig.setGr1(ARM_SMMU_GR1_CBAR_BASE + 4 * 3, (1 << 16) | 7); // VMID 7
  const master = new BusMaster(rig.machine, { name: 'dev', streamId: 4, iommu: rig.smmu });
  const read = (): number => {
    const buffer = new Uint8Array(1);
    master.read(VA + 0x10, buffer);
    return buffer[0]!;
  };
  expect(read()).toBe(0x11);
  tables.mapPage(VA, NEW_PAGE);
  expect(read()).toBe(0x11); // stale entry still used
  return { rig, read, tables };
}

const vaOperand = (va: number, asid: number): bigint => BigInt(va / 4096) | (BigInt(asid) << 48n);

describe('SMMUv2 TLB maintenance registers', () => {
  it('TLBIVA (AArch64 operand: VA[55:12] | ASID << 48) removes the stale entry; another ASID does not', () => {
    const { rig, read } = staleRig();
    rig.setCb64(3, ARM_SMMU_CB_S1_TLBIVA, vaOperand(VA, ASID + 1));
    expect(read()).toBe(0x11);
    rig.setCb64(3, ARM_SMMU_CB_S1_TLBIVA, vaOperand(VA + 0x1000, ASID));
    expect(read()).toBe(0x11);
    rig.setCb64(3, ARM_SMMU_CB_S1_TLBIVA, vaOperand(VA, ASID));
    rig.setCb(3, ARM_SMMU_CB_TLBSYNC, 0);
    expect(rig.cb(3, ARM_SMMU_CB_TLBSTATUS)).toBe(0);
    expect(read()).toBe(0x22);
  });

  it('TLBIVAL and TLBIVAA also remove it; a 32-bit high-then-low write pair is one operand', () => {
    for (const offset of [ARM_SMMU_CB_S1_TLBIVAL, ARM_SMMU_CB_S1_TLBIVAA]) {
      const { rig, read } = staleRig();
      rig.setCb64(3, offset, vaOperand(VA, offset === ARM_SMMU_CB_S1_TLBIVAA ? 0 : ASID));
      expect(read()).toBe(0x22);
    }
    const { rig, read } = staleRig();
    // io-64-nonatomic-hi-lo: writeq as high word first, then low word.
    rig.setCb(3, ARM_SMMU_CB_S1_TLBIVA + 4, ASID << 16);
    expect(read()).toBe(0x11);
    rig.setCb(3, ARM_SMMU_CB_S1_TLBIVA, VA / 4096);
    expect(read()).toBe(0x22);
  });

  it("TLBIASID removes the ASID's entries, TLBIALL everything of the bank", () => {
    const asid = staleRig();
    asid.rig.setCb(3, ARM_SMMU_CB_S1_TLBIASID, ASID + 1);
    expect(asid.read()).toBe(0x11);
    asid.rig.setCb(3, ARM_SMMU_CB_S1_TLBIASID, ASID);
    expect(asid.read()).toBe(0x22);
    const all = staleRig();
    all.rig.setCb(3, ARM_SMMU_CB_S1_TLBIALL, 0);
    expect(all.read()).toBe(0x22);
  });

  it('TCR2.AS selects the ASID width: with AS=0 only TTBR0[55:48] and operand ASID[7:0] count', () => {
    // SMMUv2 CB_TCR2.AS: 0 = 8-bit ASID (Linux sets AS for every AArch64 context in
    // arm_smmu_init_context_bank; without it the upper ASID byte is ignored).
    const narrow = staleRig(0x512a, false);
    expect(narrow.rig.smmu.contextBanks[3]!.decoded.asid).toBe(0x2a);
    narrow.rig.setCb64(3, ARM_SMMU_CB_S1_TLBIVA, vaOperand(VA, 0x7a2a));
    expect(narrow.read()).toBe(0x22);
    const narrowAsid = staleRig(0x512a, false);
    narrowAsid.rig.setCb(3, ARM_SMMU_CB_S1_TLBIASID, 0x2a);
    expect(narrowAsid.read()).toBe(0x22);
    // With AS=1 the full 16 bits tag the entry: ASID 0x2a is another address space.
    const wide = staleRig(0x512a, true);
    expect(wide.rig.smmu.contextBanks[3]!.decoded.asid).toBe(0x512a);
    wide.rig.setCb(3, ARM_SMMU_CB_S1_TLBIASID, 0x2a);
    expect(wide.read()).toBe(0x11);
    wide.rig.setCb(3, ARM_SMMU_CB_S1_TLBIASID, 0x512a);
    expect(wide.read()).toBe(0x22);
  });

  it('global TLBIVMID and TLBIALLNSNH reach every bank; TLBGSYNC completes at once', () => {
    const vmid = staleRig();
    vmid.rig.setGr0(ARM_SMMU_GR0_TLBIVMID, 6);
    expect(vmid.read()).toBe(0x11);
    vmid.rig.setGr0(ARM_SMMU_GR0_TLBIVMID, 7);
    expect(vmid.read()).toBe(0x22);
    const all = staleRig();
    all.rig.setGr0(ARM_SMMU_GR0_TLBIALLNSNH, 0);
    all.rig.setGr0(ARM_SMMU_GR0_sTLBGSYNC, 0);
    expect(all.rig.gr0(ARM_SMMU_GR0_sTLBGSTATUS)).toBe(0);
    expect(all.read()).toBe(0x22);
  });

  it('an unmapped page keeps translating until invalidated, then faults', () => {
    const { rig, read, tables } = staleRig();
    tables.write(tables.slot(VA, 3), 0, 0);
    expect(read()).toBe(0x11);
    rig.setCb64(3, ARM_SMMU_CB_S1_TLBIVA, vaOperand(VA, ASID));
    const master = new BusMaster(rig.machine, { name: 'again', streamId: 4, iommu: rig.smmu });
    expect(master.read(VA, new Uint8Array(1)).fault?.kind).toBe('translation');
    rig.smmu.checkInvariants();
  });
});
