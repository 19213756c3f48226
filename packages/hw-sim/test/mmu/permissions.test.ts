import { describe, expect, it } from 'vitest';
import {
  ACCESS_EXEC,
  ACCESS_PRIV,
  ACCESS_READ,
  ACCESS_WRITE,
  TranslationResult,
} from '../../src/mmu/translation';
import { lpaeConfig, newMachine, newWalker, put64, s1Leaf, s2Leaf } from './tables';

const T = 0x4010_0000;

/** One 1 GiB block per case at level 1 of a 39-bit 4K config; returns what each access gets. */
function matrix(stage: 1 | 2, leaves: bigint[], format: 'lpae64' | 'lpae32' = 'lpae64') {
  const m = newMachine();
  for (const [index, leaf] of leaves.entries()) put64(m, T + index * 8, leaf);
  const walker = newWalker(m);
  const config =
    format === 'lpae64'
      ? lpaeConfig({ tableBase: T, stage, inputBits: 39, outputBits: 40, startLevel: 1 })
      : lpaeConfig({ format, tableBase: T, stage, inputBits: 32, outputBits: 40, startLevel: 1 });
  const out = new TranslationResult();
  return (index: number, access: number) => walker.walk(config, index * 0x4000_0000, access, out);
}

const accesses = [
  ['priv read', ACCESS_READ | ACCESS_PRIV],
  ['priv write', ACCESS_WRITE | ACCESS_PRIV],
  ['priv exec', ACCESS_EXEC | ACCESS_PRIV],
  ['user read', ACCESS_READ],
  ['user write', ACCESS_WRITE],
  ['user exec', ACCESS_EXEC],
] as const;

describe('stage-1 permission matrix (ARM ARM D8.4.1, Table D8-47 AP[2:1]; UXN bit 54, PXN bit 53)', () => {
  // Expected [privR, privW, privX, userR, userW, userX] per AP[2:1], UXN, PXN.
  const cases: [string, bigint, bigint, boolean[]][] = [
    ['AP 00 (EL1 RW, EL0 none)', 0n, 0n, [true, true, true, false, false, true]],
    // EL0-writable memory is never executable at EL1 (implicit PXN, D8.4.1.2).
    ['AP 01 (EL1 RW, EL0 RW)', 1n, 0n, [true, true, false, true, true, true]],
    ['AP 10 (EL1 RO, EL0 none)', 2n, 0n, [true, false, true, false, false, true]],
    ['AP 11 (EL1 RO, EL0 RO)', 3n, 0n, [true, false, true, true, false, true]],
    ['AP 11 + UXN', 3n, 1n << 54n, [true, false, true, true, false, false]],
    ['AP 11 + PXN', 3n, 1n << 53n, [true, false, false, true, false, true]],
    ['AP 00 + UXN + PXN (IOMMU_NOEXEC)', 0n, 3n << 53n, [true, true, false, false, false, false]],
  ];
  const allowed = matrix(
    1,
    cases.map(([, ap, xn]) => s1Leaf(0x4000_0000, 1n, ap, xn)),
  );
  it.each(cases.map((c, i) => [c[0], i, c[3]] as const))('%s', (_name, index, expected) => {
    expect(accesses.map(([, access]) => allowed(index, access))).toEqual(expected);
  });

  it('VMSAv7 LPAE (lpae32) has no implicit PXN for PL0-writable memory (ARM ARM B3.7.2)', () => {
    const v7 = matrix(1, [s1Leaf(0x4000_0000, 1n, 1n)], 'lpae32');
    expect(v7(0, ACCESS_EXEC | ACCESS_PRIV)).toBe(true);
  });

  it('hierarchical APTable[1] (bit 62) makes everything below read-only; UXNTable (bit 60) forbids EL0 execution (D8.4.2)', () => {
    const m = newMachine();
    put64(m, T, BigInt(T + 0x1000) | 3n | (1n << 62n) | (1n << 60n));
    put64(m, T + 0x1000, s1Leaf(0x4000_0000, 1n, 1n));
    const out = new TranslationResult();
    const walker = newWalker(m);
    const config = lpaeConfig({ tableBase: T, inputBits: 39, startLevel: 1 });
    expect(walker.walk(config, 0, ACCESS_WRITE | ACCESS_PRIV, out)).toBe(false);
    expect(walker.walk(config, 0, ACCESS_READ, out)).toBe(true);
    expect(walker.walk(config, 0, ACCESS_EXEC, out)).toBe(false);
    expect(walker.walk(config, 0, ACCESS_EXEC | ACCESS_PRIV, out)).toBe(true);
  });
});

describe('stage-2 permission matrix (ARM ARM D8.4.3: S2AP bits 7:6, XN[1:0] bits 54:53 with FEAT_XNX)', () => {
  const cases: [string, bigint, bigint, boolean[]][] = [
    ['S2AP 00 (none)', 0n, 0n, [false, false, true, false, false, true]],
    ['S2AP 01 (read)', 1n, 0n, [true, false, true, true, false, true]],
    ['S2AP 10 (write only)', 2n, 0n, [false, true, true, false, true, true]],
    ['S2AP 11 (read/write)', 3n, 0n, [true, true, true, true, true, true]],
    ['XN 01: EL0 only', 3n, 1n << 53n, [true, true, false, true, true, true]],
    ['XN 10: neither', 3n, 2n << 53n, [true, true, false, true, true, false]],
    ['XN 11: EL1 only', 3n, 3n << 53n, [true, true, true, true, true, false]],
  ];
  const allowed = matrix(
    2,
    cases.map(([, s2ap, xn]) => s2Leaf(0x4000_0000, 1n, s2ap, xn)),
  );
  it.each(cases.map((c, i) => [c[0], i, c[3]] as const))('%s', (_name, index, expected) => {
    expect(accesses.map(([, access]) => allowed(index, access))).toEqual(expected);
  });
});
