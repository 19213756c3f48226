import { SocmemError } from '../errors/socmem-error';
import type { Bus } from '../memory/bus';
import type { DataCache } from './data-cache';

// Line size 64 (64) and offset mask 63 appear as literals: V8 reloads a module
// constant from the module context on every call, a measurable cost on a cache hit.

/**
 * The CPU's view of physical memory. Loads and stores to RAM go through the data cache
 * (when it is enabled); MMIO is device memory and is never cached. Cache maintenance is by
 * physical range on `cache`.
 */
export class Cpu {
  readonly bus: Bus;
  readonly cache: DataCache;

  constructor(bus: Bus, cache: DataCache) {
    this.bus = bus;
    this.cache = cache;
  }

  read8(pa: number): number {
    if (!this.cached(pa)) return this.bus.read8(pa, 'cpu');
    return this.cache.data[this.cache.slotFor(pa) * 64 + (pa & 63)]!;
  }

  read16(pa: number): number {
    if ((pa & 1) !== 0) return this.read8(pa) | (this.read8(pa + 1) << 8);
    if (!this.cached(pa)) return this.bus.read16(pa, 'cpu');
    const at = this.cache.slotFor(pa) * 64 + (pa & 63);
    return this.cache.data[at]! | (this.cache.data[at + 1]! << 8);
  }

  read32(pa: number): number {
    if ((pa & 3) !== 0) {
      return (this.read16(pa) | (this.read16(pa + 2) << 16)) >>> 0;
    }
    if (!this.cached(pa)) return this.bus.read32(pa, 'cpu');
    return this.cache.words[this.cache.slotFor(pa) * 16 + ((pa & 63) >>> 2)]!;
  }

  /** A 64-bit load, for showing a value; hot paths use two `read32`s. */
  read64(pa: number): bigint {
    if (!this.cached(pa)) return this.bus.read64(pa, 'cpu');
    return (BigInt(this.read32(pa + 4)) << 32n) | BigInt(this.read32(pa));
  }

  write8(pa: number, value: number): void {
    if (!this.cached(pa)) {
      this.bus.write8(pa, value, 'cpu');
      return;
    }
    const slot = this.cache.slotFor(pa);
    this.cache.data[slot * 64 + (pa & 63)] = value;
    this.cache.markDirty(slot);
  }

  write16(pa: number, value: number): void {
    if (!this.cached(pa)) {
      this.bus.write16(pa, value, 'cpu');
      return;
    }
    if ((pa & 1) !== 0) {
      this.write8(pa, value & 0xff);
      this.write8(pa + 1, (value >>> 8) & 0xff);
      return;
    }
    const slot = this.cache.slotFor(pa);
    const at = slot * 64 + (pa & 63);
    this.cache.data[at] = value;
    this.cache.data[at + 1] = value >>> 8;
    this.cache.markDirty(slot);
  }

  write32(pa: number, value: number): void {
    if (!this.cached(pa)) {
      this.bus.write32(pa, value, 'cpu');
      return;
    }
    if ((pa & 3) !== 0) {
      this.write16(pa, value & 0xffff);
      this.write16(pa + 2, (value >>> 16) & 0xffff);
      return;
    }
    const slot = this.cache.slotFor(pa);
    this.cache.words[slot * 16 + ((pa & 63) >>> 2)] = value;
    this.cache.markDirty(slot);
  }

  /** A 64-bit store. MMIO devices with 64-bit registers take it as one access. */
  write64(pa: number, value: bigint): void {
    const masked = BigInt.asUintN(64, value);
    if (!this.cached(pa)) {
      this.bus.write64(pa, masked, 'cpu');
      return;
    }
    this.bus.ram.requireRange(pa, 8, 'write');
    this.write32(pa, Number(masked & 0xffff_ffffn));
    this.write32(pa + 4, Number(masked >> 32n));
  }

  /** Loads `length` bytes at `pa` into `dst` at `dstOffset`. */
  read(pa: number, dst: Uint8Array, dstOffset = 0, length = dst.length - dstOffset): void {
    if (!this.cache.enabled) {
      this.bus.read(pa, dst, dstOffset, length, 'cpu');
      return;
    }
    this.bus.ram.requireRange(pa, length, 'read');
    const data = this.cache.data;
    let done = 0;
    while (done < length) {
      const at = pa + done;
      const offset = at & 63;
      const chunk = Math.min(64 - offset, length - done);
      const start = this.cache.slotFor(at) * 64 + offset;
      dst.set(data.subarray(start, start + chunk), dstOffset + done);
      done += chunk;
    }
  }

  /** Stores `length` bytes of `src` from `srcOffset` at `pa`. */
  write(pa: number, src: Uint8Array, srcOffset = 0, length = src.length - srcOffset): void {
    if (!this.cache.enabled) {
      this.bus.write(pa, src, srcOffset, length, 'cpu');
      return;
    }
    this.bus.ram.requireRange(pa, length, 'write');
    const data = this.cache.data;
    let done = 0;
    while (done < length) {
      const at = pa + done;
      const offset = at & 63;
      const chunk = Math.min(64 - offset, length - done);
      const slot = this.cache.slotFor(at, chunk === 64);
      data.set(src.subarray(srcOffset + done, srcOffset + done + chunk), slot * 64 + offset);
      this.cache.markDirty(slot);
      done += chunk;
    }
  }

  /** Stores `value` (a byte) over [pa, pa + length), as memset would. */
  fill(pa: number, value: number, length: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) {
      throw new SocmemError('EINVAL', `cpu: fill value ${value} is not a byte`);
    }
    if (!this.cache.enabled) {
      this.bus.fill(pa, value, length, 'cpu');
      return;
    }
    this.bus.ram.requireRange(pa, length, 'write');
    const data = this.cache.data;
    let done = 0;
    while (done < length) {
      const at = pa + done;
      const offset = at & 63;
      const chunk = Math.min(64 - offset, length - done);
      const slot = this.cache.slotFor(at, chunk === 64);
      data.fill(value, slot * 64 + offset, slot * 64 + offset + chunk);
      this.cache.markDirty(slot);
      done += chunk;
    }
  }

  /** RAM is cacheable normal memory; MMIO and holes are not. */
  private cached(pa: number): boolean {
    if (!this.cache.enabled) return false;
    const ram = this.bus.ram;
    const bank = ram.lastBank;
    return (pa >= bank.base && pa < bank.end) || ram.findBank(pa) !== null;
  }
}
