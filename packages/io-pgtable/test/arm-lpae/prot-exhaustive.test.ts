/**
 * Every IOMMU prot value (0..63 with READ or WRITE) × every quirk a format accepts, for the five
 * LPAE formats, at level 3 and as a 2M block: the leaf written to RAM must carry exactly the
 * fields arm_lpae_prot_to_pte + __arm_lpae_init_pte (Linux v6.16 io-pgtable-arm.c) produce,
 * expressed here field by field in the ARM ARM VMSAv8-64 descriptor layout (D8.3: AttrIndx[4:2]
 * / MemAttr[5:2], NS[5], AP[7:6] / S2AP[7:6], SH[9:8], AF[10], nG[11], DBM[51], PXN/UXN or
 * XN[54:53]) and reference io-pgtable.md §2.1/§2.2.
 */
import { describe, expect, test } from 'vitest';
import { ArmLpaeIoPgtable } from '../../src/arm-lpae/pgtable';
import {
  IO_PGTABLE_QUIRK_ARM_HD,
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_ARM_OUTER_WBWA,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_NO_WARN,
  IOMMU_CACHE,
  IOMMU_MMIO,
  IOMMU_NOEXEC,
  IOMMU_PRIV,
  IOMMU_READ,
  IOMMU_WRITE,
  IoPgtableFmt,
} from '../../src/io-pgtable';
import { allocOps, lpaeCfg, pteAddress, readPte, SZ_2M, SZ_4K, testMachine } from './helpers';

type Kind = 'stage1' | 'stage2' | 'mali';

const FORMATS: readonly { fmt: IoPgtableFmt; kind: Kind; ias: number; oas: number }[] = [
  { fmt: IoPgtableFmt.ARM_64_LPAE_S1, kind: 'stage1', ias: 48, oas: 48 },
  { fmt: IoPgtableFmt.ARM_32_LPAE_S1, kind: 'stage1', ias: 32, oas: 40 },
  { fmt: IoPgtableFmt.ARM_64_LPAE_S2, kind: 'stage2', ias: 48, oas: 48 },
  { fmt: IoPgtableFmt.ARM_32_LPAE_S2, kind: 'stage2', ias: 40, oas: 40 },
  { fmt: IoPgtableFmt.ARM_MALI_LPAE, kind: 'mali', ias: 48, oas: 40 },
];

/** Quirk sets each kind accepts (arm_64_lpae_alloc_pgtable_s1/_s2, Mali: none). */
const QUIRK_SETS: Readonly<Record<Kind, readonly number[]>> = {
  stage1: [
    0,
    IO_PGTABLE_QUIRK_ARM_NS,
    IO_PGTABLE_QUIRK_ARM_HD,
    IO_PGTABLE_QUIRK_ARM_NS | IO_PGTABLE_QUIRK_ARM_HD | IO_PGTABLE_QUIRK_ARM_TTBR1,
    IO_PGTABLE_QUIRK_ARM_OUTER_WBWA | IO_PGTABLE_QUIRK_NO_WARN,
  ],
  stage2: [0, IO_PGTABLE_QUIRK_ARM_S2FWB, IO_PGTABLE_QUIRK_NO_WARN],
  mali: [0],
};

const bit = (on: boolean, position: number): bigint => (on ? 1n << BigInt(position) : 0n);
const field = (value: number, low: number): bigint => BigInt(value) << BigInt(low);

/** The attribute fields of a leaf, from the architecture's point of view. */
function expectedAttributes(kind: Kind, quirks: number, prot: number): bigint {
  const read = (prot & IOMMU_READ) !== 0;
  const write = (prot & IOMMU_WRITE) !== 0;
  const cache = (prot & IOMMU_CACHE) !== 0;
  const mmio = (prot & IOMMU_MMIO) !== 0;
  const attrIndx = mmio ? 2 : cache ? 1 : 0; // MAIR index: 0 NC, 1 WBRWA, 2 device
  const xn = bit((prot & IOMMU_NOEXEC) !== 0, 53) | bit((prot & IOMMU_NOEXEC) !== 0, 54);
  const ns = bit((quirks & IO_PGTABLE_QUIRK_ARM_NS) !== 0, 5);
  if (kind === 'stage1') {
    const readOnly = read && !write; // a write-only request still gets a writable mapping
    return (
      field(attrIndx, 2) |
      ns |
      bit((prot & IOMMU_PRIV) === 0, 6) | // AP[1]: EL0 (unprivileged) access
      bit(readOnly, 7) | // AP[2]: read-only
      field(cache ? 3 : 2, 8) | // inner or outer shareable
      bit(true, 10) | // AF
      bit(true, 11) | // nG
      bit(!readOnly && (quirks & IO_PGTABLE_QUIRK_ARM_HD) !== 0, 51) | // DBM
      xn
    );
  }
  const s2ap = bit(read, 6) | bit(write, 7);
  if (kind === 'mali') return field(attrIndx, 2) | s2ap | field(2, 8) | xn;
  const fwb = (quirks & IO_PGTABLE_QUIRK_ARM_S2FWB) !== 0;
  const memAttr = mmio ? 0b0001 : cache ? (fwb ? 0b0110 : 0b1111) : 0b0101;
  return field(memAttr, 2) | s2ap | field(cache ? 3 : 2, 8) | bit(true, 10) | xn;
}

describe('arm_lpae_prot_to_pte for every prot and quirk', () => {
  for (const format of FORMATS) {
    for (const quirks of QUIRK_SETS[format.kind]) {
      test(`${format.fmt}, quirks 0x${quirks.toString(16)}: 4K pages and 2M blocks`, () => {
        const machine = testMachine();
        const ttbr1 = (quirks & IO_PGTABLE_QUIRK_ARM_TTBR1) !== 0;
        const ops = allocOps(
          format.fmt,
          lpaeCfg(machine, {
            ias: format.ias,
            oas: format.oas,
            quirks,
            coherentWalk: (quirks & IO_PGTABLE_QUIRK_ARM_OUTER_WBWA) === 0,
          }),
        );
        if (!(ops instanceof ArmLpaeIoPgtable)) throw new Error('not LPAE');
        const base = ttbr1 ? -(2 ** format.ias) : 0;
        for (let prot = 0; prot < 64; prot++) {
          if ((prot & (IOMMU_READ | IOMMU_WRITE)) === 0) continue;
          const attributes = expectedAttributes(format.kind, quirks, prot);
          for (const [size, level, type] of [
            [SZ_4K, 3, format.kind === 'mali' ? 1n : 3n],
            [SZ_2M, 2, 1n],
          ] as const) {
            const iova = base + prot * SZ_2M * 2 + (size === SZ_4K ? 0 : SZ_2M);
            const pa = 0x8_4000_0000 % 2 ** format.oas;
            expect(ops.mapPages(iova, pa, size, 1, prot)).toBe(size);
            const ptep = pteAddress(
              machine,
              ops.pgdPa,
              iova - base,
              ops.startLevel,
              level,
              ops.bitsPerLevel,
              ops.pgdBits,
            );
            expect([prot, size, readPte(machine, ptep)]).toEqual([
              prot,
              size,
              attributes | BigInt(pa) | type,
            ]);
          }
        }
      });
    }
  }
});
