/**
 * The `cma=` kernel command-line parameter, parsed as Linux v6.16 kernel/dma/contiguous.c
 * early_cma() does, with lib/cmdline.c memparse() for every number.
 *
 *   cma=nn[KMGTPE][@start[KMGTPE][-end[KMGTPE]]]
 *
 * - no '@': only the size; base 0 and limit 0 ("anywhere").
 * - '@start' without '-end': limit = start + size, so the area is FIXED at start.
 * - '@start-end': the area may go anywhere in [start, end); fixed only if start + size == end.
 * dma_contiguous_reserve() then decides `fixed = base + size == limit` and uses
 * min_not_zero(limit, arch limit); `cma=0` disables the default area. (Kconfig's
 * CMA_SIZE_PERCENTAGE has no command-line form in v6.16, so there is none here.)
 */
import { SocmemError } from '@socmem/hw-sim';

/** The values early_cma() stores (size_cmdline, base_cmdline, limit_cmdline) and the fixed flag. */
export interface CmaCmdline {
  /** Size in bytes; 0 means no default CMA area. */
  size: number;
  /** Base physical address; 0 when the text has no '@' part. */
  base: number;
  /** End of the allowed range (exclusive); 0 means no limit from the command line. */
  limit: number;
  /** True when base + size == limit (dma_contiguous_reserve): the area must sit exactly at base. */
  fixed: boolean;
  /** Text after the last number that early_cma() silently ignores ('' when none; only in lenient mode). */
  ignored: string;
}

/** Options of {@link parseCmaCmdline}. */
export interface CmaCmdlineOptions {
  /**
   * true (default): text Linux would silently accept but that is surely a typo (no number where
   * one is expected, characters after the last number) throws EINVAL. false: exactly
   * early_cma(): such text is ignored and reported in `ignored`.
   */
  readonly strict?: boolean;
}

/** Result of {@link memparse}: the value and the text after what was parsed. */
export interface MemparseResult {
  value: number;
  rest: string;
}

const SHIFT_BY_SUFFIX: Readonly<Record<string, number>> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

function digitValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30; // 0-9
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10; // a-f
  return 99;
}

/**
 * lib/cmdline.c memparse(): simple_strtoull(text, &end, 0) (0x.. hex, 0.. octal, else decimal;
 * no sign, no leading blanks) followed by an optional K/M/G/T/P/E suffix (either case, each a
 * further factor of 1024). Text with no digits parses as 0 with nothing consumed, as in Linux.
 *
 * Values at or above 2^53 throw ERANGE: socmem addresses are exact JS numbers (Linux would wrap
 * at 2^64 silently).
 */
export function memparse(text: string): MemparseResult {
  let at = 0;
  let base = 10;
  if (text[0] === '0') {
    const second = text.charCodeAt(1) | 0x20;
    if (second === 0x78 && digitValue(text.charCodeAt(2)) < 16) {
      base = 16;
      at = 2;
    } else {
      base = 8;
    }
  }
  let value = 0;
  for (; at < text.length; at++) {
    const digit = digitValue(text.charCodeAt(at));
    if (digit >= base) break;
    value = value * base + digit;
    if (value > Number.MAX_SAFE_INTEGER) {
      throw new SocmemError('ERANGE', `memparse: "${text}" does not fit below 2^53`);
    }
  }
  const shift = SHIFT_BY_SUFFIX[(text[at] ?? '').toLowerCase()];
  if (shift !== undefined) {
    value *= 1024 ** shift;
    at++;
    if (value > Number.MAX_SAFE_INTEGER) {
      throw new SocmemError('ERANGE', `memparse: "${text}" does not fit below 2^53`);
    }
  }
  return { value, rest: text.slice(at) };
}

/** memparse that, in strict mode, insists on at least one digit. */
function parseNumber(whole: string, text: string, what: string, strict: boolean): MemparseResult {
  const parsed = memparse(text);
  if (strict && parsed.rest.length === text.length) {
    throw new SocmemError('EINVAL', `cma=${whole}: expected a ${what} at "${text}"`);
  }
  return parsed;
}

/**
 * Parses the value of `cma=` (the text after '='), as early_cma() in kernel/dma/contiguous.c.
 * Throws EINVAL naming the text when it is missing ("Config string not provided") or, in strict
 * mode (the default), when Linux would silently ignore part of it.
 */
export function parseCmaCmdline(
  value: string | undefined,
  options: CmaCmdlineOptions = {},
): CmaCmdline {
  const strict = options.strict ?? true;
  if (value === undefined) {
    throw new SocmemError('EINVAL', 'cma: config string not provided (early_cma without "=")');
  }
  const sizePart = parseNumber(value, value, 'size', strict);
  const size = sizePart.value;
  let base = 0;
  let limit = 0;
  let rest = sizePart.rest;
  if (rest.startsWith('@')) {
    const basePart = parseNumber(value, rest.slice(1), 'base address', strict);
    base = basePart.value;
    rest = basePart.rest;
    if (rest.startsWith('-')) {
      const limitPart = parseNumber(value, rest.slice(1), 'end address', strict);
      limit = limitPart.value;
      rest = limitPart.rest;
    } else {
      limit = base + size;
    }
  }
  if (strict && rest.length > 0) {
    throw new SocmemError(
      'EINVAL',
      `cma=${value}: unexpected text "${rest}" (Linux would ignore it)`,
    );
  }
  return { size, base, limit, fixed: base + size === limit, ignored: rest };
}
