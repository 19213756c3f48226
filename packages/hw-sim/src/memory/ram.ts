import { BusError } from '../errors/bus-error';
import { hex, SocmemError } from '../errors/socmem-error';
import { FRAME_SIZE, ZERO_FRAME_BYTES } from './frames';
import { RamBank } from './ram-bank';

/** A RAM bank to create: physical base and size, both multiples of 4 KiB. */
export interface RamBankConfig {
  readonly name?: string;
  readonly base: number;
  readonly size: number;
}

/** The largest physical address ARM allows (52-bit output addresses). */
export const MAX_PHYS_ADDR = 2 ** 52;

/**
 * Physical memory: the set of DRAM banks. Accesses that no bank contains throw a
 * {@link BusError}; the {@link Bus} adds MMIO on top.
 */
export class Ram {
  readonly banks: readonly RamBank[];
  /**
   * The bank of the last lookup: most access streams stay in one bank, so hot paths test it
   * first (`pa >= lastBank.base && pa + size <= lastBank.end`) before calling findBank.
   */
  lastBank: RamBank;

  constructor(configs: readonly RamBankConfig[]) {
    if (configs.length === 0) throw new SocmemError('EINVAL', 'ram: at least one bank is needed');
    const banks = configs.map((config, index) => {
      const name = config.name ?? `dram${index}`;
      validateBank(name, config.base, config.size);
      return new RamBank(name, config.base, config.size);
    });
    banks.sort((a, b) => a.base - b.base);
    for (let index = 1; index < banks.length; index++) {
      const previous = banks[index - 1]!;
      const bank = banks[index]!;
      if (bank.base < previous.end) {
        throw new SocmemError(
          'EBUSY',
          `ram: bank ${bank.name} at ${hex(bank.base)} overlaps ${previous.name}`,
        );
      }
    }
    this.banks = banks;
    this.lastBank = banks[0]!;
  }

  /** The bank containing `pa`, or null. */
  findBank(pa: number): RamBank | null {
    const last = this.lastBank;
    if (pa >= last.base && pa < last.end) return last;
    for (const bank of this.banks) {
      if (pa >= bank.base && pa < bank.end) {
        this.lastBank = bank;
        return bank;
      }
    }
    return null;
  }

  /** True when every byte of [pa, pa + size) is RAM (adjacent banks count as one range). */
  contains(pa: number, size: number): boolean {
    let at = pa;
    const end = pa + size;
    while (at < end) {
      const bank = this.findBank(at);
      if (bank === null) return false;
      at = bank.end;
    }
    return true;
  }

  /** Bytes of host memory that hold simulated data (touched frames only). */
  get hostBytes(): number {
    let frames = 0;
    for (const bank of this.banks) frames += bank.touchedFrames;
    return frames * FRAME_SIZE;
  }

  read32(pa: number): number {
    const bank = this.lastBank;
    if (pa >= bank.base && pa + 4 <= bank.end) return bank.read32(pa);
    return this.bankOrThrow(pa, 4, 'read').read32(pa);
  }

  write32(pa: number, value: number): void {
    const bank = this.lastBank;
    if (pa >= bank.base && pa + 4 <= bank.end) bank.write32(pa, value);
    else this.bankOrThrow(pa, 4, 'write').write32(pa, value);
  }

  /** Copies [pa, pa + length) into `dst` at `dstOffset`; the range may span adjacent banks. */
  read(pa: number, dst: Uint8Array, dstOffset = 0, length = dst.length - dstOffset): void {
    this.requireRange(pa, length, 'read');
    this.forEachBankChunk(pa, length, (bank, at, done, chunk) =>
      bank.read(at, dst, dstOffset + done, chunk),
    );
  }

  /** Copies `length` bytes of `src` from `srcOffset` to `pa`. Nothing is written if any byte is outside RAM. */
  write(pa: number, src: Uint8Array, srcOffset = 0, length = src.length - srcOffset): void {
    this.requireRange(pa, length, 'write');
    this.forEachBankChunk(pa, length, (bank, at, done, chunk) =>
      bank.write(at, src, srcOffset + done, chunk),
    );
  }

  /** Sets [pa, pa + length) to `value`. */
  fill(pa: number, value: number, length: number): void {
    this.requireRange(pa, length, 'write');
    this.forEachBankChunk(pa, length, (bank, at, _done, chunk) =>
      bank.fill(at, value & 0xff, chunk),
    );
  }

  /**
   * Copies `length` bytes from `srcPa` to `dstPa` (memmove semantics: overlapping ranges are
   * safe). Untouched source frames copied onto untouched destination frames stay untouched.
   */
  copy(dstPa: number, srcPa: number, length: number): void {
    if (length === FRAME_SIZE && srcPa % FRAME_SIZE === 0 && dstPa % FRAME_SIZE === 0) {
      // One whole frame (a page migration, a DMA burst behind a 4 KiB IOMMU page): no range walk.
      const srcBank = this.findBank(srcPa);
      const dstBank = this.findBank(dstPa);
      if (srcBank !== null && dstBank !== null && srcPa !== dstPa) {
        const srcBytes = srcBank.frameBytes(srcPa);
        // Both untouched means both read as the shared zero frame: nothing to copy.
        if (srcBytes !== dstBank.frameBytes(dstPa)) dstBank.frameBytesForWrite(dstPa).set(srcBytes);
        return;
      }
    }
    this.requireRange(srcPa, length, 'read');
    this.requireRange(dstPa, length, 'write');
    const overlapsForward = dstPa > srcPa && dstPa < srcPa + length;
    if (overlapsForward) {
      // Copy through a bounce buffer a frame at a time, from the end, so no byte is read after it is overwritten.
      const bounce = new Uint8Array(FRAME_SIZE);
      let remaining = length;
      while (remaining > 0) {
        const chunk = Math.min(FRAME_SIZE, remaining);
        remaining -= chunk;
        this.read(srcPa + remaining, bounce, 0, chunk);
        this.write(dstPa + remaining, bounce, 0, chunk);
      }
      return;
    }
    let done = 0;
    while (done < length) {
      const src = srcPa + done;
      const dst = dstPa + done;
      const srcBank = this.findBank(src)!;
      const dstBank = this.findBank(dst)!;
      const chunk = Math.min(
        FRAME_SIZE - (src % FRAME_SIZE),
        FRAME_SIZE - (dst % FRAME_SIZE),
        length - done,
        srcBank.end - src,
        dstBank.end - dst,
      );
      const srcBytes = srcBank.frameBytes(src);
      const srcOffset = src % FRAME_SIZE;
      if (srcBytes === ZERO_FRAME_BYTES && dstBank.frameBytes(dst) === ZERO_FRAME_BYTES) {
        // Both untouched: nothing to do, and nothing is materialised.
      } else if (chunk === FRAME_SIZE) {
        dstBank.frameBytesForWrite(dst).set(srcBytes);
      } else {
        dstBank
          .frameBytesForWrite(dst)
          .set(srcBytes.subarray(srcOffset, srcOffset + chunk), dst % FRAME_SIZE);
      }
      done += chunk;
    }
  }

  /** Throws a BusError unless [pa, pa + size) is all RAM. */
  requireRange(pa: number, size: number, access: 'read' | 'write'): void {
    if (!Number.isSafeInteger(pa) || pa < 0 || !Number.isSafeInteger(size) || size < 0) {
      throw new SocmemError('EINVAL', `ram: bad ${access} range ${pa} + ${size}`);
    }
    if (size > 0 && !this.contains(pa, size)) {
      throw new BusError(access, pa, size, 'no RAM bank contains this range');
    }
  }

  /** Checks every bank's invariants. */
  checkInvariants(): void {
    for (const bank of this.banks) bank.checkInvariants();
  }

  private bankOrThrow(pa: number, size: number, access: 'read' | 'write'): RamBank {
    const bank = this.findBank(pa);
    if (bank === null || pa + size > bank.end)
      throw new BusError(access, pa, size, 'no RAM bank contains this address');
    return bank;
  }

  private forEachBankChunk(
    pa: number,
    length: number,
    body: (bank: RamBank, at: number, done: number, chunk: number) => void,
  ): void {
    let done = 0;
    while (done < length) {
      const at = pa + done;
      const bank = this.findBank(at)!;
      const chunk = Math.min(bank.end - at, length - done);
      body(bank, at, done, chunk);
      done += chunk;
    }
  }
}

function validateBank(name: string, base: number, size: number): void {
  if (!Number.isSafeInteger(base) || base < 0 || base % FRAME_SIZE !== 0) {
    throw new SocmemError('EINVAL', `ram: bank ${name} base ${hex(base)} is not 4 KiB aligned`);
  }
  if (!Number.isSafeInteger(size) || size <= 0 || size % FRAME_SIZE !== 0) {
    throw new SocmemError(
      'EINVAL',
      `ram: bank ${name} size ${size} is not a positive multiple of 4 KiB`,
    );
  }
  if (base + size > MAX_PHYS_ADDR) {
    throw new SocmemError(
      'ERANGE',
      `ram: bank ${name} ends at ${hex(base + size)}, above the 52-bit physical limit`,
    );
  }
}
