import type { DataCache } from '../cpu/data-cache';
import type { Bus } from './bus';

/**
 * A device's untranslated window onto the bus. A coherent port snoops the CPU cache (it sees
 * dirty CPU lines, and its writes drop stale ones); a non-coherent port goes to RAM directly,
 * so software must clean before the device reads and invalidate before the CPU reads what the
 * device wrote. IOMMU-translated masters build on this.
 */
export class DevicePort {
  readonly name: string;
  readonly coherent: boolean;
  private readonly bus: Bus;
  private readonly cache: DataCache;

  constructor(bus: Bus, cache: DataCache, name: string, coherent: boolean) {
    this.bus = bus;
    this.cache = cache;
    this.name = name;
    this.coherent = coherent;
  }

  read(pa: number, dst: Uint8Array, dstOffset = 0, length = dst.length - dstOffset): void {
    this.bus.ram.requireRange(pa, length, 'read');
    if (this.coherent) this.cache.snoopRead(pa, length);
    this.bus.read(pa, dst, dstOffset, length, this.name);
  }

  write(pa: number, src: Uint8Array, srcOffset = 0, length = src.length - srcOffset): void {
    this.bus.ram.requireRange(pa, length, 'write');
    if (this.coherent) this.cache.snoopWrite(pa, length);
    this.bus.write(pa, src, srcOffset, length, this.name);
  }

  /** Sets `length` bytes at `pa` to `value`, as a device write. */
  fill(pa: number, value: number, length: number): void {
    this.bus.ram.requireRange(pa, length, 'write');
    if (this.coherent) this.cache.snoopWrite(pa, length);
    this.bus.fill(pa, value, length, this.name);
  }

  /**
   * Copies RAM to RAM as one read burst and one write burst of this device (a DMA engine's
   * FIFO): no staging buffer, counted and traced on the bus as such.
   */
  copy(dstPa: number, srcPa: number, length: number): void {
    this.bus.ram.requireRange(srcPa, length, 'read');
    this.bus.ram.requireRange(dstPa, length, 'write');
    if (this.coherent) {
      this.cache.snoopRead(srcPa, length);
      this.cache.snoopWrite(dstPa, length);
    }
    this.bus.copy(dstPa, srcPa, length, this.name);
  }

  read32(pa: number): number {
    if (this.coherent) this.cache.snoopRead(pa, 4);
    return this.bus.read32(pa, this.name);
  }

  write32(pa: number, value: number): void {
    if (this.coherent) this.cache.snoopWrite(pa, 4);
    this.bus.write32(pa, value, this.name);
  }
}
