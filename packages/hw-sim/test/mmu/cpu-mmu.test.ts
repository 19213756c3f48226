import { describe, expect, it } from 'vitest';
import { SocmemError } from '../../src/errors/socmem-error';
import type { Machine } from '../../src/index';
import { CpuMmu } from '../../src/mmu/cpu-mmu';
import { decodeTcr } from '../../src/mmu/tcr';
import { Tlb } from '../../src/mmu/tlb';
import { ACCESS_PRIV, ACCESS_READ, TranslationResult } from '../../src/mmu/translation';
import { indexAt, newMachine, newWalker, s1Leaf, tableDescriptor } from './tables';

const T = 0x4010_0000;
// TCR_EL1: T0SZ 16 (48-bit VA), IRGN0/ORGN0 WBWA (cacheable walks), SH0 inner, TG0 4K, IPS 0b101 (48-bit).
const TCR = 16n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (5n << 32n);
const MAIR = 0x0000_0000_f404_ff44n; // Linux io-pgtable's MAIR (reference io-pgtable.md §2.5)

/** The CPU writes its own tables (through its cache), as a kernel does. */
function cpuPut64(m: Machine, pa: number, descriptor: bigint): void {
  m.cpu.write32(pa, Number(descriptor & 0xffff_ffffn));
  m.cpu.write32(pa + 4, Number(descriptor >> 32n));
}

/** Maps 4K pages `va -> pa` in a 4-level table at T (L1..L3 tables at T + 0x1000..0x3000, one chain). */
function map(m: Machine, va: number, pa: number, ap = 0n, extra = 1n << 11n): void {
  cpuPut64(m, T + indexAt(va, 12, 0) * 8, tableDescriptor(T + 0x1000));
  cpuPut64(m, T + 0x1000 + indexAt(va, 12, 1) * 8, tableDescriptor(T + 0x2000));
  cpuPut64(m, T + 0x2000 + indexAt(va, 12, 2) * 8, tableDescriptor(T + 0x3000));
  cpuPut64(m, T + 0x3000 + indexAt(va, 12, 3) * 8, s1Leaf(pa, 3n, ap, extra));
}

function setup(tcr = TCR) {
  const m = newMachine();
  const tlb = new Tlb({ name: 'cpu-tlb', sets: 16, ways: 4 }, m.rng.fork('cpu-tlb'), m.trace);
  const mmu = new CpuMmu(m.cpu, newWalker(m, 'cpu-ptw'), tlb);
  mmu.setTranslationRegisters({ ttbr0: (7n << 48n) | BigInt(T), tcr, mair: MAIR });
  mmu.enable();
  return { m, mmu, tlb };
}

const VA = 0xffff_0000_0000 - 0x10_0000; // high in the 48-bit TTBR0 range

describe('CpuMmu (VMSAv8-64 stage 1, EL1&0, TTBR0)', () => {
  it('decodes TTBR0 (ASID [63:48]), TCR and MAIR into a walk config', () => {
    const { mmu } = setup();
    expect(mmu.config).toMatchObject({
      format: 'lpae64',
      stage: 1,
      granuleShift: 12,
      inputBits: 48,
      outputBits: 48,
      startLevel: 0,
      tableBase: T,
      coherentWalk: true,
    });
    expect(mmu.asid).toBe(7);
    expect([mmu.memoryType(0), mmu.memoryType(1), mmu.memoryType(2), mmu.memoryType(3)]).toEqual([
      0x44, 0xff, 0x04, 0xf4,
    ]);
  });

  it('virtual loads and stores reach the mapped physical pages; a transfer crossing pages is split page by page', () => {
    const { m, mmu } = setup();
    map(m, VA, 0x4500_0000);
    map(m, VA + 0x1000, 0x4700_0000);
    mmu.write32(VA + 0x10, 0xdead_beef);
    expect(m.cpu.read32(0x4500_0010)).toBe(0xdead_beef);
    expect(mmu.read32(VA + 0x10)).toBe(0xdead_beef);
    const data = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    mmu.write(VA + 0xff0, data);
    expect(m.cpu.read32(0x4500_0ff0)).toBe(0x0403_0201);
    expect(m.cpu.read32(0x4700_0000)).toBe(0x1413_1211);
    const back = new Uint8Array(32);
    mmu.read(VA + 0xff0, back);
    expect(back).toEqual(data);
    mmu.write32(VA + 0xffe, 0x1122_3344); // an unaligned word straddling the two pages
    expect(mmu.read32(VA + 0xffe)).toBe(0x1122_3344);
    expect(m.cpu.read16(0x4700_0000)).toBe(0x1122);
  });

  it('a fault throws EFAULT naming the VA and the fault kind; a write crossing into an unmapped page stores nothing', () => {
    const { m, mmu } = setup();
    map(m, VA, 0x4500_0000);
    expect(() => mmu.read32(VA + 0x2000)).toThrow(SocmemError);
    expect(() => mmu.read32(VA + 0x2000)).toThrow(
      /EFAULT: cpu mmu: read of va 0xfffe_fff0_2000: translation fault at level 3/,
    );
    expect(() => mmu.write(VA + 0xffc, new Uint8Array(8).fill(0xaa))).toThrow(
      /EFAULT.*write of va 0xfffe_fff0_1000: translation fault/,
    );
    expect(m.cpu.read32(0x4500_0ffc)).toBe(0);
  });

  it('unprivileged accesses obey AP[1]; a read-only page refuses stores', () => {
    const { m, mmu } = setup();
    map(m, VA, 0x4500_0000, 0n); // EL1 RW, EL0 none
    mmu.privileged = false;
    expect(() => mmu.read32(VA)).toThrow(/permission fault at level 3/);
    mmu.privileged = true;
    expect(mmu.read32(VA)).toBe(0);
    map(m, VA + 0x1000, 0x4500_1000, 2n); // EL1 RO
    expect(() => mmu.write32(VA + 0x1000, 1)).toThrow(/write of va .*permission fault/);
  });

  it('the TLB keeps a stale translation after the table changes until TLBI VA, TLBI ASID or TLBI ALL', () => {
    const { m, mmu, tlb } = setup();
    m.cpu.write32(0x4500_0000, 0x1111);
    m.cpu.write32(0x4600_0000, 0x2222);
    for (const tlbi of [() => mmu.tlbiVa(VA, 7), () => mmu.tlbiAsid(7), () => mmu.tlbiAll()]) {
      map(m, VA, 0x4500_0000);
      tlb.invalidateAll();
      expect(mmu.read32(VA)).toBe(0x1111);
      map(m, VA, 0x4600_0000);
      expect(mmu.read32(VA)).toBe(0x1111); // stale
      tlbi();
      expect(mmu.read32(VA)).toBe(0x2222);
    }
  });

  it('with TCR.IRGN0 = 0 walks are non-cacheable: tables the CPU has not cleaned are not seen', () => {
    const { m, mmu } = setup(TCR & ~(3n << 8n));
    expect(mmu.config?.coherentWalk).toBe(false);
    map(m, VA, 0x4500_0000);
    expect(() => mmu.read32(VA)).toThrow(/translation fault at level 0/);
    m.cache.clean(T, 0x4000);
    expect(mmu.read32(VA)).toBe(0);
  });

  it('TCR.EPD0 = 1: a TLB miss is a translation fault without a walk', () => {
    const { m, mmu } = setup(TCR | (1n << 7n));
    map(m, VA, 0x4500_0000);
    const out = new TranslationResult();
    expect(mmu.translate(VA, ACCESS_READ | ACCESS_PRIV, out)).toBe(false);
    expect([out.fault, out.walkReads]).toEqual(['translation', 0]);
  });

  it('disabled (SCTLR.M = 0): virtual addresses are physical', () => {
    const { m, mmu } = setup();
    mmu.disable();
    m.cpu.write32(0x4500_0040, 0x77);
    expect(mmu.read32(0x4500_0040)).toBe(0x77);
  });

  it('rejects reserved TCR encodings and an unaligned table base (EINVAL); IPS 52 with 4K is 48 bits', () => {
    expect(() => decodeTcr(16 | (3 << 14))).toThrow(/EINVAL.*TG0/);
    expect(() => decodeTcr(16n | (7n << 32n))).toThrow(/EINVAL.*IPS/);
    expect(decodeTcr(16n | (6n << 32n)).outputBits).toBe(48);
    expect(decodeTcr(12n | (1n << 14n) | (6n << 32n))).toMatchObject({
      granuleShift: 16,
      inputBits: 52,
      outputBits: 52,
    });
    const { mmu } = setup();
    expect(() => mmu.setTranslationRegisters({ ttbr0: T + 0x800, tcr: TCR, mair: MAIR })).toThrow(
      /EINVAL/,
    );
    expect(mmu.config?.tableBase).toBe(T);
  });
});
