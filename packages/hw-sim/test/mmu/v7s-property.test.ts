import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_EXEC,
  ACCESS_PRIV,
  ACCESS_READ,
  ACCESS_WRITE,
  TranslationResult,
  type WalkConfig,
} from '../../src/mmu/translation';
import { newMachine, newWalker, put32 } from './tables';

/**
 * Random short-descriptor tables decode the same through the walker and through this
 * reference decoder, written separately from ARM ARM B3.5.1 (formats), B3.7.1 (AP[2:1] with
 * AFE = 1), B3.7.2 (XN/PXN) and B3.7.3 (AP[0] access flag), with no shared code.
 */
type Outcome = { fault: string | null; level: number; pa?: number; size?: number };

function referenceWalk(
  read32: (pa: number) => number,
  c: WalkConfig,
  va: number,
  access: number,
): Outcome {
  const bits = (d: number, hi: number, lo: number) => Math.floor(d / 2 ** lo) % 2 ** (hi - lo + 1);
  let d1: number;
  try {
    d1 = read32(c.tableBase + bits(va, 31, 20) * 4);
  } catch {
    return { fault: 'external-abort', level: 1 };
  }
  const type1 = bits(d1, 1, 0);
  if (type1 === 0) return { fault: 'translation', level: 1 };
  let level = 1;
  let base: number;
  let size: number;
  let ap: number; // AP[2]:AP[1]:AP[0]
  let xn: boolean;
  let pxn: boolean;
  if (type1 === 1) {
    level = 2;
    let d2: number;
    try {
      d2 = read32(bits(d1, 31, 10) * 1024 + bits(va, 19, 12) * 4);
    } catch {
      return { fault: 'external-abort', level: 2 };
    }
    const type2 = bits(d2, 1, 0);
    if (type2 === 0) return { fault: 'translation', level: 2 };
    pxn = bits(d1, 2, 2) === 1;
    ap = bits(d2, 9, 9) * 4 + bits(d2, 5, 4);
    if (type2 === 1) {
      size = 0x1_0000;
      base = bits(d2, 31, 16) * size;
      xn = bits(d2, 15, 15) === 1;
    } else {
      size = 0x1000;
      base = bits(d2, 31, 12) * size;
      xn = bits(d2, 0, 0) === 1;
    }
  } else {
    pxn = type1 === 3;
    xn = bits(d1, 4, 4) === 1;
    ap = bits(d1, 15, 15) * 4 + bits(d1, 11, 10);
    if (bits(d1, 18, 18) === 1) {
      size = 0x100_0000;
      // PA[39:32] = bits [8:5]:[23:20]; bits at or above outputBits are not implemented
      // (ignored: the short-descriptor format has no address-size fault).
      const extended = (bits(d1, 8, 5) * 16 + bits(d1, 23, 20)) % 2 ** (c.outputBits - 32);
      base = bits(d1, 31, 24) * size + extended * 2 ** 32;
    } else {
      size = 0x10_0000;
      base = bits(d1, 31, 20) * size;
    }
  }
  if (ap % 2 === 0) return { fault: 'access-flag', level };
  const priv = (access & ACCESS_PRIV) !== 0;
  const readable = priv || (ap & 2) !== 0;
  const writable = readable && (ap & 4) === 0;
  const executable = readable && !xn && !(priv && pxn);
  const denied =
    ((access & ACCESS_READ) !== 0 && !readable) ||
    ((access & ACCESS_WRITE) !== 0 && !writable) ||
    ((access & ACCESS_EXEC) !== 0 && !executable);
  if (denied) return { fault: 'permission', level };
  return { fault: null, level, pa: base + (va % size), size };
}

const L1 = 0x4100_0000;
const L2 = 0x4104_0000; // four 1 KiB second-level tables
const baseConfig: WalkConfig = {
  format: 'v7s',
  stage: 1,
  granuleShift: 12,
  inputBits: 32,
  outputBits: 36,
  startLevel: 1,
  concatenatedTables: 1,
  tableBase: L1,
  coherentWalk: true,
  mtkExtension: false,
};

// 32: no extended supersection address; 36: PA[35:32] only; 40: all of PA[39:32] (LPAE cores).
describe.each([32, 36, 40])(
  'v7s walker vs reference decoder, %i-bit output (property, seed 77)',
  (outputBits) => {
    const config: WalkConfig = { ...baseConfig, outputBits };
    const m = newMachine();
    const walker = newWalker(m);
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    const l1 = fc.oneof(
      fc.constant(0),
      fc
        .integer({ min: 0, max: 3 })
        .chain((t) => u32.map((bits) => ((L2 + t * 0x400) | (bits & 0x3fc & ~0x3e0) | 1) >>> 0)),
      u32.map((bits) => (bits & 0x4000_0000 ? (bits | 2) & ~0xf000_0000 : bits | 2) >>> 0),
      fc.constant(0x2000_0001), // a page table in a hole
    );
    const l2 = fc.oneof(
      fc.constant(0),
      u32.map((bits) => (bits | 1) >>> 0),
      u32.map((bits) => (bits | 2) >>> 0),
    );

    it('decodes sections, supersections, large and small pages identically', () => {
      const seen = new Set<string>();
      fc.assert(
        fc.property(
          fc.array(l1, { minLength: 8, maxLength: 8 }),
          fc.array(l2, { minLength: 16, maxLength: 16 }),
          fc.array(
            fc.tuple(
              fc.integer({ min: 0, max: 7 }),
              fc.integer({ min: 0, max: 3 }),
              fc.integer({ min: 0, max: 0xfff }),
              fc.integer({ min: 0, max: 15 }),
            ),
            { maxLength: 8 },
          ),
          (l1s, l2s, probes) => {
            l1s.forEach((d, i) => {
              put32(m, L1 + i * 4, d);
            });
            for (let t = 0; t < 4; t++)
              for (let i = 0; i < 4; i++) put32(m, L2 + t * 0x400 + i * 4, l2s[t * 4 + i]!);
            const out = new TranslationResult();
            for (const [section, page, offset, access] of probes) {
              const va = section * 0x10_0000 + page * 0x1000 + offset;
              const expected = referenceWalk((pa) => m.bus.read32(pa), config, va, access);
              seen.add(expected.fault ?? `ok@${expected.level}`);
              const ok = walker.walk(config, va, access, out);
              expect(
                ok
                  ? { fault: null, level: out.level, pa: out.pa, size: out.pageSize }
                  : { fault: out.fault, level: out.faultLevel },
              ).toEqual(expected);
            }
          },
        ),
        { seed: 77, numRuns: 300 },
      );
      expect([...seen].sort()).toEqual([
        'access-flag',
        'external-abort',
        'ok@1',
        'ok@2',
        'permission',
        'translation',
      ]);
    });
  },
);
