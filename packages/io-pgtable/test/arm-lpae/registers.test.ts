/**
 * Register values left in the cfg by alloc (arm_64_lpae_alloc_pgtable_s1/_s2,
 * arm_mali_lpae_alloc_pgtable, Linux v6.16) and their SMMUv2 packing (arm_smmu_lpae_tcr,
 * arm_smmu_lpae_tcr2, arm_smmu_lpae_vtcr in drivers/iommu/arm/arm-smmu/arm-smmu.h).
 * Reference io-pgtable.md §2.5.
 */
import { describe, expect, test } from 'vitest';
import {
  ARM_LPAE_MAIR,
  ARM_MALI_LPAE_MEMATTR,
  armLpaePackTcr,
  armLpaePackVtcr,
  IO_PGTABLE_QUIRK_ARM_OUTER_WBWA,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IoPgtableFmt,
} from '../../src/index';
import {
  allocOps,
  lpaeCfg,
  SZ_4K,
  SZ_16K,
  SZ_32M,
  SZ_64K,
  SZ_512M,
  TEST_RAM_BASE,
  testMachine,
} from './helpers';

describe('stage 1: ttbr, tcr fields, mair', () => {
  test('4K, ias = oas = 48, coherent: the §2.5 known answer (packed TCR 0x5_0080_3510)', () => {
    const cfg = lpaeCfg(testMachine());
    allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
    const s1 = cfg.armLpaeS1Cfg!;
    expect(s1.tcr).toEqual({ ips: 5, tg: 0, sh: 3, orgn: 1, irgn: 1, tsz: 16 });
    expect(s1.mair).toBe(0xf404ff44);
    expect(ARM_LPAE_MAIR).toBe(0xf404ff44);
    // The first table of a fresh machine comes from the bottom of the allocator's range.
    expect(s1.ttbr).toBe(TEST_RAM_BASE);
    expect(armLpaePackTcr(s1)).toEqual({ tcr: 0x0080_3510, tcr2: 0x3_8005, tcr64: 0x5_0080_3510 });
  });

  test('non-coherent walk: outer-shareable, non-cacheable; ARM_OUTER_WBWA makes the outer walk WBWA', () => {
    const plain = lpaeCfg(testMachine(), { coherentWalk: false });
    allocOps(IoPgtableFmt.ARM_64_LPAE_S1, plain);
    expect(plain.armLpaeS1Cfg!.tcr).toEqual({ ips: 5, tg: 0, sh: 2, orgn: 0, irgn: 0, tsz: 16 });
    const wbwa = lpaeCfg(testMachine(), {
      coherentWalk: false,
      quirks: IO_PGTABLE_QUIRK_ARM_OUTER_WBWA,
    });
    allocOps(IoPgtableFmt.ARM_64_LPAE_S1, wbwa);
    expect(wbwa.armLpaeS1Cfg!.tcr).toEqual({ ips: 5, tg: 0, sh: 2, orgn: 1, irgn: 0, tsz: 16 });
    expect(armLpaePackTcr(wbwa.armLpaeS1Cfg!).tcr).toBe(0x0080_2410);
  });

  test('ARM_OUTER_WBWA with a coherent walk is refused (EINVAL), nothing allocated', () => {
    const machine = testMachine();
    const cfg = lpaeCfg(machine, { quirks: IO_PGTABLE_QUIRK_ARM_OUTER_WBWA });
    expect(() => allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg)).toThrow(/EINVAL.*ARM_OUTER_WBWA/);
    expect(cfg.armLpaeS1Cfg).toBeUndefined();
    expect(machine.pageAllocator.leakReport()).toEqual([]);
  });

  test.each([
    [SZ_4K, 0, 2],
    [SZ_16K | SZ_32M, 2, 1],
    [SZ_64K | SZ_512M, 1, 3],
  ])('granule bitmap %i: TG0 %i, TG1 (ARM_TTBR1) %i', (pgsizeBitmap, tg0, tg1) => {
    const cfg0 = lpaeCfg(testMachine(), { pgsizeBitmap });
    allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg0);
    expect(cfg0.armLpaeS1Cfg!.tcr.tg).toBe(tg0);
    const cfg1 = lpaeCfg(testMachine(), { pgsizeBitmap, quirks: IO_PGTABLE_QUIRK_ARM_TTBR1 });
    allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg1);
    expect(cfg1.armLpaeS1Cfg!.tcr.tg).toBe(tg1);
  });

  test('ARM_TTBR1 packing moves the fields to the TTBR1 half and sets EPD0 (arm_smmu_lpae_tcr)', () => {
    const cfg = lpaeCfg(testMachine(), { quirks: IO_PGTABLE_QUIRK_ARM_TTBR1 });
    allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
    // TG1 4K (2) << 30 | SH1 3 << 28 | ORGN1 1 << 26 | IRGN1 1 << 24 | T1SZ 16 << 16 | EPD0.
    expect(armLpaePackTcr(cfg.armLpaeS1Cfg!, cfg.quirks).tcr).toBe(0xb510_0080);
  });

  test.each([
    [32, 0],
    [36, 1],
    [40, 2],
    [42, 3],
    [44, 4],
    [48, 5],
  ])('oas %i -> IPS %i', (oas, ips) => {
    const cfg = lpaeCfg(testMachine(), { ias: 32, oas });
    allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
    expect(cfg.armLpaeS1Cfg!.tcr.ips).toBe(ips);
    expect(cfg.armLpaeS1Cfg!.tcr.tsz).toBe(32);
  });

  test('oas 52 (64K) -> IPS 6; an oas without an encoding (39) -> EINVAL', () => {
    const cfg = lpaeCfg(testMachine(), { pgsizeBitmap: SZ_64K, ias: 52, oas: 52 });
    allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
    expect(cfg.armLpaeS1Cfg!.tcr.ips).toBe(6);
    expect(() =>
      allocOps(IoPgtableFmt.ARM_64_LPAE_S1, lpaeCfg(testMachine(), { oas: 39 })),
    ).toThrow(/EINVAL.*oas 39/);
  });

  test('ARM_32_LPAE_S1 packs with EAE for an AArch32 context bank', () => {
    const cfg = lpaeCfg(testMachine(), { ias: 32, oas: 40 });
    allocOps(IoPgtableFmt.ARM_32_LPAE_S1, cfg);
    expect(cfg.armLpaeS1Cfg!.tcr).toEqual({ ips: 2, tg: 0, sh: 3, orgn: 1, irgn: 1, tsz: 32 });
    expect(armLpaePackTcr(cfg.armLpaeS1Cfg!, 0, true).tcr).toBe(0x8080_3520);
  });
});

describe('stage 2: vttbr, vtcr', () => {
  test('4K, ias = oas = 40, coherent: the §2.5 known answer (packed VTCR 0x80023558, SL0 = 1)', () => {
    const cfg = lpaeCfg(testMachine(), { ias: 40, oas: 40 });
    allocOps(IoPgtableFmt.ARM_64_LPAE_S2, cfg);
    const s2 = cfg.armLpaeS2Cfg!;
    expect(s2.vtcr).toEqual({ ps: 2, tg: 0, sh: 3, orgn: 1, irgn: 1, sl: 1, tsz: 24 });
    expect(s2.vttbr).toBe(TEST_RAM_BASE);
    expect(armLpaePackVtcr(s2.vtcr)).toBe(0x8002_3558);
  });

  test('non-coherent: outer-shareable, non-cacheable both ways', () => {
    const cfg = lpaeCfg(testMachine(), { coherentWalk: false, pgsizeBitmap: SZ_16K | SZ_32M });
    allocOps(IoPgtableFmt.ARM_64_LPAE_S2, cfg);
    expect(cfg.armLpaeS2Cfg!.vtcr).toEqual({
      ps: 5,
      tg: 2,
      sh: 2,
      orgn: 0,
      irgn: 0,
      sl: 2,
      tsz: 16,
    });
    // RES1 | PS 5 << 16 | TG0 16K (2) << 14 | SH0 OS (2) << 12 | SL0 2 << 6 | T0SZ 16.
    expect(armLpaePackVtcr(cfg.armLpaeS2Cfg!.vtcr)).toBe(0x8005_a090);
  });
});

describe('Mali: transtab, memattr', () => {
  test('coherent: pgd | SHARE_OUTER | READ_INNER | ADRMODE_TABLE; memattr 0x888d88', () => {
    const cfg = lpaeCfg(testMachine(), { ias: 48, oas: 40 });
    allocOps(IoPgtableFmt.ARM_MALI_LPAE, cfg);
    expect(cfg.armMaliLpaeCfg).toEqual({ transtab: TEST_RAM_BASE + 0x17, memattr: 0x88_8d88 });
    expect(ARM_MALI_LPAE_MEMATTR).toBe(0x88_8d88);
  });

  test('non-coherent: no SHARE_OUTER', () => {
    const cfg = lpaeCfg(testMachine(), { ias: 48, oas: 40, coherentWalk: false });
    allocOps(IoPgtableFmt.ARM_MALI_LPAE, cfg);
    expect(cfg.armMaliLpaeCfg!.transtab).toBe(TEST_RAM_BASE + 0x7);
  });
});

test('ops.cfg is a copy: editing the caller cfg afterwards does not change the ops', () => {
  const cfg = lpaeCfg(testMachine());
  const ops = allocOps(IoPgtableFmt.ARM_64_LPAE_S1, cfg);
  cfg.armLpaeS1Cfg!.tcr.tsz = 1;
  cfg.ias = 20;
  expect(ops.cfg.armLpaeS1Cfg!.tcr.tsz).toBe(16);
  expect(ops.cfg.ias).toBe(48);
});
