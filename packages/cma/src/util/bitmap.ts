import { isPowerOfTwo, SocmemError } from '@socmem/hw-sim';

/** Largest bitmap we accept (2^30 bits): word indices shifted by 5 stay positive int32s. */
const MAX_BITS = 0x4000_0000;

function isCount(value: number): boolean {
  return Number.isInteger(value) && value >= 0;
}

/** True for 2^k - 1 (k >= 0), the only masks __ALIGN_MASK rounds up with. */
function isMask(value: number): boolean {
  if (!isCount(value)) return false;
  return value < MAX_BITS ? (value & (value + 1)) === 0 : isPowerOfTwo(value + 1);
}

/** Index (0..31) of the lowest set bit of a non-zero int32 (the kernel's __ffs). */
function lowestSetBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

/**
 * A fixed-size bitmap stored 32 bits per `Uint32Array` word, with the searches of Linux
 * lib/find_bit.c and lib/bitmap.c done a word at a time. Bit `i` lives in word `i >>> 5` at
 * position `i & 31` (the kernel's BIT_WORD/BIT_MASK layout on little-endian), so `copyWords()`
 * reads like debugfs `cma/<name>/bitmap`. Bits past `size` in the last word are always zero.
 *
 * The search methods allocate nothing: they are the hot path of `cma_alloc`.
 */
export class Bitmap {
  /** Number of bits. */
  readonly size: number;
  private readonly words: Uint32Array;

  constructor(bits: number) {
    if (!isCount(bits) || bits > MAX_BITS) {
      throw new SocmemError('EINVAL', `Bitmap: size ${bits} is not an integer in [0, ${MAX_BITS}]`);
    }
    this.size = bits;
    this.words = new Uint32Array((bits + 31) >>> 5);
  }

  /** True when bit `bit` is set (test_bit). */
  test(bit: number): boolean {
    if (!isCount(bit) || bit >= this.size) {
      throw new SocmemError('EINVAL', `Bitmap: bit ${bit} outside [0, ${this.size})`);
    }
    return ((this.words[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  /** Sets bits [start, start + count) (bitmap_set). */
  set(start: number, count: number): void {
    this.checkRange('set', start, count);
    this.fill(start, count, true);
  }

  /** Clears bits [start, start + count) (bitmap_clear). */
  clear(start: number, count: number): void {
    this.checkRange('clear', start, count);
    this.fill(start, count, false);
  }

  /**
   * find_next_zero_bit: the first clear bit in [start, end), or `end` when there is none.
   * `end` is clamped to `size`.
   */
  findNextZeroBit(start: number, end: number = this.size): number {
    const limit = Math.min(end, this.size);
    this.checkSearch(start, limit);
    return this.scanZero(start, limit);
  }

  /** find_next_bit: the first set bit in [start, end), or `end` when there is none. */
  findNextBit(start: number, end: number = this.size): number {
    const limit = Math.min(end, this.size);
    this.checkSearch(start, limit);
    return this.scanSet(start, limit);
  }

  /** findNextZeroBit without argument checks; `limit <= size`. */
  private scanZero(start: number, limit: number): number {
    if (start >= limit) return limit;
    const words = this.words;
    let index = start >>> 5;
    let word = ~(words[index] as number) & (-1 << (start & 31));
    while (word === 0) {
      index++;
      if (index << 5 >= limit) return limit;
      word = ~(words[index] as number);
    }
    const found = (index << 5) + lowestSetBit(word);
    return Math.min(found, limit);
  }

  /** findNextBit without argument checks; `limit <= size`. */
  private scanSet(start: number, limit: number): number {
    if (start >= limit) return limit;
    const words = this.words;
    let index = start >>> 5;
    let word = (words[index] as number) & (-1 << (start & 31));
    while (word === 0) {
      index++;
      if (index << 5 >= limit) return limit;
      word = words[index] as number;
    }
    const found = (index << 5) + lowestSetBit(word);
    return Math.min(found, limit);
  }

  /**
   * lib/bitmap.c bitmap_find_next_zero_area_off: the first index >= `start` of `count` clear
   * bits such that `(index + alignOffset) & alignMask` is 0. Returns a value >= `size` when no
   * such area exists (the kernel returns `index + nr`, which callers compare with the size).
   *
   * `alignMask` must be 2^k - 1. Like the kernel, the search restarts one bit past the first
   * set bit found inside a candidate area.
   */
  findNextZeroAreaOff(
    start: number,
    count: number,
    alignMask: number,
    alignOffset: number,
  ): number {
    if (!isCount(start) || !isCount(count) || !isCount(alignOffset)) {
      throw new SocmemError(
        'EINVAL',
        `Bitmap: findNextZeroAreaOff(start ${start}, count ${count}, alignOffset ${alignOffset}) needs non-negative integers`,
      );
    }
    if (!isMask(alignMask)) {
      throw new SocmemError('EINVAL', `Bitmap: alignMask ${alignMask} is not 2^k - 1`);
    }
    // The arguments are checked once here; the loop uses the unchecked scans (every bound
    // below is an integer in [0, size]).
    const size = this.size;
    let from = start;
    for (;;) {
      let index = this.scanZero(from, size);
      // __ALIGN_MASK(index + align_offset, align_mask) - align_offset, exact beyond int32 too.
      // 0x7fff_ffff (INT32_MAX) is a literal: V8 reloads a module const on every access.
      const raised = index + alignOffset + alignMask;
      const aligned =
        raised <= 0x7fff_ffff ? raised & ~alignMask : raised - (raised % (alignMask + 1));
      index = aligned - alignOffset;
      const end = index + count;
      if (end > size) return end;
      const busy = this.scanSet(index, end);
      if (busy >= end) return index;
      from = busy + 1;
    }
  }

  /** bitmap_find_next_zero_area: findNextZeroAreaOff with no offset. */
  findNextZeroArea(start: number, count: number, alignMask: number): number {
    return this.findNextZeroAreaOff(start, count, alignMask, 0);
  }

  /** Number of set bits (bitmap_weight). */
  weight(): number {
    const words = this.words;
    let total = 0;
    for (let i = 0; i < words.length; i++) {
      let v = words[i] as number;
      v -= (v >>> 1) & 0x5555_5555;
      v = (v & 0x3333_3333) + ((v >>> 2) & 0x3333_3333);
      total += (Math.imul((v + (v >>> 4)) & 0x0f0f_0f0f, 0x0101_0101) >>> 24) as number;
    }
    return total;
  }

  /** The longest run of clear bits, as mm/cma_debug.c cma_maxchunk_get scans it (in bits). */
  longestZeroRun(): number {
    let longest = 0;
    let end = 0;
    for (;;) {
      const start = this.findNextZeroBit(end);
      if (start >= this.size) return longest;
      end = this.findNextBit(start);
      if (end - start > longest) longest = end - start;
    }
  }

  /** A copy of the backing words (32 bits each, bit 0 = lowest), as debugfs shows the bitmap. */
  copyWords(): Uint32Array {
    return this.words.slice();
  }

  /** Set-bit runs, e.g. `Bitmap(64 bits, 5 set: 0-3,9)`; for debugging and test messages. */
  toString(): string {
    const runs: string[] = [];
    let at = 0;
    for (;;) {
      const first = this.findNextBit(at);
      if (first >= this.size) break;
      const after = this.findNextZeroBit(first);
      runs.push(after - first === 1 ? `${first}` : `${first}-${after - 1}`);
      at = after;
    }
    return `Bitmap(${this.size} bits, ${this.weight()} set${runs.length > 0 ? `: ${runs.join(',')}` : ''})`;
  }

  /** Integer, non-negative bounds for the find_next_* searches (start may be past the end). */
  private checkSearch(start: number, limit: number): void {
    if (
      !(limit >= 0) ||
      (limit | 0) !== limit ||
      !(start >= 0) ||
      (start < limit && (start | 0) !== start)
    ) {
      throw new SocmemError(
        'EINVAL',
        `Bitmap: search from ${start} to ${limit} needs non-negative integers`,
      );
    }
  }

  private checkRange(operation: string, start: number, count: number): void {
    if (!isCount(start) || !isCount(count) || start + count > this.size) {
      throw new SocmemError(
        'EINVAL',
        `Bitmap: ${operation}(start ${start}, count ${count}) outside [0, ${this.size})`,
      );
    }
  }

  /** Sets or clears [start, start + count) a word at a time (bitmap_set/bitmap_clear). */
  private fill(start: number, count: number, value: boolean): void {
    if (count === 0) return;
    const words = this.words;
    const last = start + count - 1;
    const firstWord = start >>> 5;
    const lastWord = last >>> 5;
    for (let w = firstWord; w <= lastWord; w++) {
      const lowBit = w === firstWord ? start & 31 : 0;
      const highBit = w === lastWord ? last & 31 : 31;
      // Bits lowBit..highBit inclusive.
      const mask = (-1 << lowBit) & (-1 >>> (31 - highBit));
      const current = words[w] as number;
      words[w] = value ? current | mask : current & ~mask;
    }
  }
}
