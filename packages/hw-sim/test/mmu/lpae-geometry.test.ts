import { describe, expect, it } from 'vitest';
import {
  lpaeConcatenatedTables,
  lpaeStage2StartLevel,
  lpaeStartLevel,
} from '../../src/mmu/lpae-geometry';

describe('LPAE geometry helpers', () => {
  // Reference io-pgtable.md §2.3 derived geometry table (same rule as Linux arm_lpae_alloc_pgtable).
  it.each([
    [12, 32, 1],
    [12, 36, 1],
    [12, 39, 1],
    [12, 40, 0],
    [12, 48, 0],
    [14, 32, 2],
    [14, 40, 1],
    [14, 47, 1],
    [14, 48, 0],
    [16, 32, 2],
    [16, 42, 2],
    [16, 48, 1],
    [16, 52, 1],
  ] as const)(
    'stage-1 start level: granule 2^%i, %i-bit input -> level %i (ARM ARM D8.2.7)',
    (granule, bits, level) => {
      expect(lpaeStartLevel(granule, bits)).toBe(level);
    },
  );

  it('rejects a 52-bit input without the 64K granule and a bad granule (EINVAL)', () => {
    expect(() => lpaeStartLevel(12, 52)).toThrow(/EINVAL/);
    expect(() => lpaeStartLevel(13 as 12, 40)).toThrow(/EINVAL/);
  });

  it('VTCR.SL0 start levels (4K: 2 - SL0; 16K/64K: 3 - SL0) and the concatenation the reference table lists', () => {
    expect([0, 1, 2].map((sl0) => lpaeStage2StartLevel(12, sl0))).toEqual([2, 1, 0]);
    expect([0, 1, 2].map((sl0) => lpaeStage2StartLevel(16, sl0))).toEqual([3, 2, 1]);
    expect(() => lpaeStage2StartLevel(12, 3)).toThrow(/EINVAL/);
    // io-pgtable.md §2.3: 4K/40 -> L1 x2 (SL0 1), 4K/42 -> L1 x8, 16K/40 -> L2 x16, 16K/48 -> L1 x2, 64K/48 -> L1 x1.
    expect(lpaeConcatenatedTables(12, 40, 1)).toBe(2);
    expect(lpaeConcatenatedTables(12, 42, 1)).toBe(8);
    expect(lpaeConcatenatedTables(14, 40, 2)).toBe(16);
    expect(lpaeConcatenatedTables(14, 48, 1)).toBe(2);
    expect(lpaeConcatenatedTables(16, 48, 1)).toBe(1);
    expect(() => lpaeConcatenatedTables(12, 48, 2)).toThrow(/EINVAL/);
  });
});
