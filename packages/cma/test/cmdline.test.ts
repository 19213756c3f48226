import { SocmemError } from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memparse, parseCmaCmdline } from '../src/contiguous/cmdline';

const K = 1024;
const M = K * K;
const G = K * M;

describe('memparse (lib/cmdline.c)', () => {
  it('parses decimal, hex and octal like simple_strtoull(base 0)', () => {
    expect(memparse('64')).toEqual({ value: 64, rest: '' });
    expect(memparse('0x1000')).toEqual({ value: 0x1000, rest: '' });
    expect(memparse('0X1aB')).toEqual({ value: 0x1ab, rest: '' });
    expect(memparse('010')).toEqual({ value: 8, rest: '' }); // leading 0 is octal
    expect(memparse('08')).toEqual({ value: 0, rest: '8' }); // 8 is not an octal digit
    expect(memparse('0x')).toEqual({ value: 0, rest: 'x' }); // "0x" needs a hex digit after it
    expect(memparse('0xg')).toEqual({ value: 0, rest: 'xg' });
  });

  it('applies K/M/G/T/P/E in either case, each a factor of 1024, and consumes the suffix', () => {
    expect(memparse('4k')).toEqual({ value: 4 * K, rest: '' });
    expect(memparse('64M@x')).toEqual({ value: 64 * M, rest: '@x' });
    expect(memparse('4G')).toEqual({ value: 4 * G, rest: '' });
    expect(memparse('2t').value).toBe(2 * 1024 * G);
    expect(memparse('3P').value).toBe(3 * 1024 ** 5);
    expect(memparse('0e')).toEqual({ value: 0, rest: '' }); // 1E = 2^60 is beyond 2^53, see below
    expect(memparse('0x1e')).toEqual({ value: 0x1e, rest: '' }); // in hex, e is a digit
    expect(memparse('0x10M')).toEqual({ value: 16 * M, rest: '' });
    expect(memparse('5MB')).toEqual({ value: 5 * M, rest: 'B' }); // only one suffix letter
  });

  it('returns 0 and consumes nothing without digits (no sign, no blanks)', () => {
    expect(memparse('')).toEqual({ value: 0, rest: '' });
    expect(memparse('abc')).toEqual({ value: 0, rest: 'abc' });
    expect(memparse(' 12')).toEqual({ value: 0, rest: ' 12' });
    expect(memparse('-1')).toEqual({ value: 0, rest: '-1' });
    expect(memparse('M')).toEqual({ value: 0, rest: '' }); // a bare suffix is still consumed
  });

  it('throws ERANGE at or above 2^53 instead of wrapping at 2^64', () => {
    expect(() => memparse('16E')).toThrowError(/ERANGE: memparse: "16E"/);
    expect(() => memparse('1e')).toThrowError(/ERANGE/);
    expect(() => memparse('99999999999999999999')).toThrowError(SocmemError);
    expect(memparse('7P').value).toBe(7 * 1024 ** 5);
  });

  it('round-trips every safe value printed in decimal and hex (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.constantFrom('', 'K', 'M', 'G'),
        (n, suffix) => {
          const factor = { '': 1, K, M, G }[suffix] ?? 1;
          if (n * factor > Number.MAX_SAFE_INTEGER) return;
          expect(memparse(`${n}${suffix}`).value).toBe(n * factor);
          expect(memparse(`0x${n.toString(16)}${suffix}`).value).toBe(n * factor);
        },
      ),
      { seed: 0xc0de, numRuns: 500 },
    );
  });
});

describe('parseCmaCmdline (kernel/dma/contiguous.c early_cma, dma_contiguous_reserve)', () => {
  it('cma=64M: size only, base 0, no limit, not fixed', () => {
    expect(parseCmaCmdline('64M')).toEqual({
      size: 64 * M,
      base: 0,
      limit: 0,
      fixed: false,
      ignored: '',
    });
  });

  it('cma=64M@0-4G: anywhere below 4 GiB, not fixed (cma.md §2)', () => {
    expect(parseCmaCmdline('64M@0-4G')).toEqual({
      size: 64 * M,
      base: 0,
      limit: 4 * G,
      fixed: false,
      ignored: '',
    });
  });

  it("'@start' without '-end' sets limit = start + size, which makes the area fixed", () => {
    expect(parseCmaCmdline('256M@0x30000000')).toEqual({
      size: 256 * M,
      base: 0x3000_0000,
      limit: 0x4000_0000,
      fixed: true,
      ignored: '',
    });
  });

  it("'@start-end' is fixed only when end == start + size", () => {
    expect(parseCmaCmdline('16M@512M-528M').fixed).toBe(true);
    expect(parseCmaCmdline('16M@512M-1G')).toMatchObject({ base: 512 * M, limit: G, fixed: false });
  });

  it('cma=0 parses to size 0 (no default area)', () => {
    expect(parseCmaCmdline('0')).toMatchObject({ size: 0, base: 0, limit: 0 });
  });

  it('is EINVAL without a value, as early_cma("Config string not provided")', () => {
    expect(() => parseCmaCmdline(undefined)).toThrowError(
      /EINVAL: cma: config string not provided/,
    );
  });

  it('strict mode (default) rejects text Linux would silently drop, naming it', () => {
    expect(() => parseCmaCmdline('64Q')).toThrowError(/EINVAL: cma=64Q: unexpected text "Q"/);
    expect(() => parseCmaCmdline('M64')).toThrowError(/unexpected text "64"/);
    expect(() => parseCmaCmdline('lots')).toThrowError(
      /EINVAL: cma=lots: expected a size at "lots"/,
    );
    expect(() => parseCmaCmdline('64M@')).toThrowError(/expected a base address at ""/);
    expect(() => parseCmaCmdline('64M@0-')).toThrowError(/expected a end address at ""/);
    expect(() => parseCmaCmdline('64M@0-4G,x')).toThrowError(/unexpected text ",x"/);
  });

  it('lenient mode is exactly early_cma(): ignored text is reported, never an error', () => {
    expect(parseCmaCmdline('64Q', { strict: false })).toEqual({
      size: 64,
      base: 0,
      limit: 0,
      fixed: false,
      ignored: 'Q',
    });
    // No digits: memparse returns 0, so Linux silently disables the default area.
    expect(parseCmaCmdline('lots', { strict: false })).toMatchObject({ size: 0, ignored: 'lots' });
    // '@' with no number: base 0 and limit = 0 + size, i.e. fixed at 0 (later cma_declare_contiguous
    // turns base 0 into "not fixed").
    expect(parseCmaCmdline('64M@', { strict: false })).toMatchObject({
      base: 0,
      limit: 64 * M,
      fixed: true,
    });
    expect(parseCmaCmdline('64M@1G-2Gjunk', { strict: false })).toMatchObject({
      limit: 2 * G,
      ignored: 'junk',
    });
  });
});
