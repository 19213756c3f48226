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
import { lpaeConfig, newMachine, newWalker, put64 } from './tables';

/**
 * Random LPAE tables decode the same through the walker and through this reference decoder,
 * written separately from the ARM ARM (D8.2 lookup, D8.3 descriptors, D8.4 permissions,
 * D8.5 fault priority) with bigint arithmetic and no shared code.
 */
type Outcome = { fault: string | null; level: number; pa?: number; size?: number };

function referenceWalk(
  read64: (pa: number) => bigint,
  c: WalkConfig,
  ia: number,
  access: number,
): Outcome {
  const g = BigInt(c.granuleShift);
  const stride = g - 3n;
  const addr = BigInt(ia);
  if (addr >= 1n << BigInt(c.inputBits)) return { fault: 'translation', level: 0 };
  let table = BigInt(c.tableBase);
  for (let level = c.startLevel; ; level++) {
    const shift = g + BigInt(3 - level) * stride;
    const width = level === c.startLevel ? BigInt(c.inputBits) - shift : stride;
    const index = (addr >> shift) & ((1n << width) - 1n);
    let d: bigint;
    try {
      d = read64(Number(table + index * 8n));
    } catch {
      return { fault: 'external-abort', level };
    }
    if ((d & 1n) === 0n) return { fault: 'translation', level };
    const addressField = (low: bigint) => d & (((1n << 48n) - 1n) ^ ((1n << low) - 1n));
    if (level < 3 && (d & 3n) === 3n) {
      table = addressField(g);
      if (table >= 1n << BigInt(c.outputBits)) return { fault: 'address-size', level };
      continue;
    }
    const blockOk = c.granuleShift === 12 ? level === 1 || level === 2 : level === 2;
    if (level === 3 ? (d & 3n) !== 3n : !blockOk) return { fault: 'translation', level };
    const oa = addressField(shift);
    if (oa >= 1n << BigInt(c.outputBits)) return { fault: 'address-size', level };
    if ((d & (1n << 10n)) === 0n) return { fault: 'access-flag', level };
    const bit = (n: bigint) => (d >> n) & 1n;
    const priv = (access & ACCESS_PRIV) !== 0;
    let r: boolean;
    let w: boolean;
    let x: boolean;
    if (c.stage === 1) {
      const el0 = bit(6n) === 1n;
      const ro = bit(7n) === 1n;
      r = priv || el0;
      w = r && !ro;
      x = priv ? bit(53n) === 0n && !(el0 && !ro) : bit(54n) === 0n;
    } else {
      r = bit(6n) === 1n;
      w = bit(7n) === 1n;
      const xn = Number((d >> 53n) & 3n);
      x = priv ? xn === 0 || xn === 3 : xn === 0 || xn === 1;
    }
    if (
      ((access & ACCESS_READ) !== 0 && !r) ||
      ((access & ACCESS_WRITE) !== 0 && !w) ||
      ((access & ACCESS_EXEC) !== 0 && !x)
    ) {
      return { fault: 'permission', level };
    }
    return {
      fault: null,
      level,
      pa: Number(oa + (addr & ((1n << shift) - 1n))),
      size: Number(1n << shift),
    };
  }
}

const POOL = 0x4100_0000; // eight 64 KiB-aligned table slots
const configs: WalkConfig[] = [
  lpaeConfig({ tableBase: POOL, granuleShift: 12, inputBits: 48, outputBits: 40, startLevel: 0 }),
  lpaeConfig({ tableBase: POOL, granuleShift: 12, inputBits: 36, outputBits: 48, startLevel: 1 }),
  lpaeConfig({ tableBase: POOL, granuleShift: 14, inputBits: 47, outputBits: 44, startLevel: 1 }),
  lpaeConfig({ tableBase: POOL, granuleShift: 16, inputBits: 42, outputBits: 40, startLevel: 2 }),
  lpaeConfig({
    tableBase: POOL,
    stage: 2,
    granuleShift: 12,
    inputBits: 40,
    outputBits: 40,
    startLevel: 1,
    concatenatedTables: 2,
  }),
];
const SLOT = 0x1_0000;

describe('walker vs reference decoder (property, seed 2024)', () => {
  const m = newMachine();
  const walker = newWalker(m);
  const read64 = (pa: number) => (BigInt(m.bus.read32(pa + 4)) << 32n) | BigInt(m.bus.read32(pa));

  // A descriptor: invalid, table -> a pool slot, or a leaf with random OA, type and attribute bits.
  const descriptor = fc.oneof(
    { weight: 1, arbitrary: fc.constant(0n) },
    {
      weight: 4,
      arbitrary: fc
        .record({ slot: fc.integer({ min: 0, max: 7 }), high: fc.boolean() })
        .map(({ slot, high }) => (BigInt(POOL + slot * SLOT) + (high ? 1n << 45n : 0n)) | 3n),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({
          oa: fc.oneof(
            fc.bigInt({ min: 0n, max: (1n << 36n) - 1n }),
            fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }),
          ),
          type: fc.constantFrom(1n, 3n),
          attrs: fc.bigInt({ min: 0n, max: (1n << 10n) - 1n }),
          af: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
          xn: fc.bigInt({ min: 0n, max: 3n }),
        })
        .map(
          ({ oa, type, attrs, af, xn }) =>
            (oa & ~0xfffn) | (xn << 53n) | (af ? 1n << 10n : 0n) | ((attrs << 2n) & 0x3fcn) | type,
        ),
    },
  );
  // Entries 0..3 of each slot (and of the concatenated second table) get a descriptor.
  const tables = fc.array(descriptor, { minLength: 8 * 4 + 4, maxLength: 8 * 4 + 4 });
  const indices = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 });

  it('decodes random tables identically for every granule and stage', () => {
    const seen = new Set<string | null>();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: configs.length - 1 }),
        tables,
        fc.array(
          fc.tuple(indices, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 15 })),
          { minLength: 1, maxLength: 8 },
        ),
        (which, descriptors, probes) => {
          const c = configs[which]!;
          m.bus.fill(POOL, 0, 8 * SLOT);
          descriptors.forEach((d, i) => {
            const slot = Math.floor(i / 4);
            const at = slot < 8 ? POOL + slot * SLOT + (i % 4) * 8 : POOL + 0x1000 + (i % 4) * 8; // second concatenated table
            put64(m, at, d);
          });
          const g = c.granuleShift;
          const out = new TranslationResult();
          for (const [idx, offset, access] of probes) {
            let ia = offset % 2 ** g;
            for (let level = c.startLevel; level < 4; level++)
              ia += idx[level]! * 2 ** (g + (3 - level) * (g - 3));
            if (c.stage === 2 && idx[1]! === 3) ia += 512 * 2 ** 30; // reach the second concatenated table
            const expected = referenceWalk(read64, c, ia, access);
            seen.add(expected.fault === null ? `ok@${expected.level}` : expected.fault);
            const ok = walker.walk(c, ia, access, out);
            expect(ok).toBe(expected.fault === null);
            expect(
              ok
                ? { fault: null, level: out.level, pa: out.pa, size: out.pageSize }
                : { fault: out.fault, level: out.faultLevel },
            ).toEqual(expected);
          }
        },
      ),
      { seed: 2024, numRuns: 300 },
    );
    // The random tables reached every outcome: pages, blocks and each fault kind.
    expect([...seen].sort()).toEqual([
      'access-flag',
      'address-size',
      'external-abort',
      'ok@1',
      'ok@2',
      'ok@3',
      'permission',
      'translation',
    ]);
  });
});
