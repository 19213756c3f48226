import { BusError } from '../errors/bus-error';
import { hex, SocmemError } from '../errors/socmem-error';
import type { TraceStream } from '../observability/trace';
import type { MmioDevice, MmioRegion } from './mmio';
import { MAX_PHYS_ADDR, type Ram } from './ram';

// Slots of the bus tally for everything but RAM u32 accesses (a Float64Array: counts of bytes
// pass 2^31 quickly). RAM u32 accesses, the hot path, are counted in small-integer fields that
// roll over into a high part every 2^30 (see read32): a Float64Array increment carries a
// store-to-load dependency and cost 2.4 ns an access, a small-integer field 0.9 ns.
const OTHER_READS = 2;
const OTHER_WRITES = 3;
const OTHER_BYTES_READ = 4;
const OTHER_BYTES_WRITTEN = 5;
const MMIO_READS = 6;
const MMIO_WRITES = 7;

/** Transaction counts of a bus, read at one moment. */
export class BusCounters {
  readonly reads: number;
  readonly writes: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly mmioReads: number;
  readonly mmioWrites: number;

  constructor(tally: Float64Array, ramU32Reads: number, ramU32Writes: number) {
    this.reads = ramU32Reads + tally[OTHER_READS]!;
    this.writes = ramU32Writes + tally[OTHER_WRITES]!;
    this.bytesRead = 4 * ramU32Reads + tally[OTHER_BYTES_READ]!;
    this.bytesWritten = 4 * ramU32Writes + tally[OTHER_BYTES_WRITTEN]!;
    this.mmioReads = tally[MMIO_READS]!;
    this.mmioWrites = tally[MMIO_WRITES]!;
  }
}

/**
 * The system bus: routes each physical transaction to a RAM bank or to an MMIO region.
 * Anything else is a {@link BusError}. `initiator` names who issued the access in the trace.
 */
export class Bus {
  readonly ram: Ram;
  private readonly tally = new Float64Array(8);
  /** RAM u32 reads modulo 2^30, and how many times that wrapped. */
  private ramU32Reads = 0;
  private ramU32ReadsWrapped = 0;
  private ramU32Writes = 0;
  private ramU32WritesWrapped = 0;
  private readonly regions: MmioRegion[] = [];
  private readonly trace: TraceStream;

  constructor(ram: Ram, trace: TraceStream) {
    this.ram = ram;
    this.trace = trace;
  }

  /** A snapshot of the transaction counts. */
  get counters(): BusCounters {
    return new BusCounters(
      this.tally,
      this.ramU32ReadsWrapped * 0x4000_0000 + this.ramU32Reads,
      this.ramU32WritesWrapped * 0x4000_0000 + this.ramU32Writes,
    );
  }

  /** Maps a device's registers at [base, base + size). Both must be 4 KiB aligned. */
  mapMmio(base: number, size: number, device: MmioDevice): MmioRegion {
    if (
      !Number.isSafeInteger(base) ||
      base < 0 ||
      base % 4096 !== 0 ||
      base + size > MAX_PHYS_ADDR
    ) {
      throw new SocmemError(
        'EINVAL',
        `bus: MMIO base ${hex(base)} for ${device.name} is not a 4 KiB aligned physical address`,
      );
    }
    if (!Number.isSafeInteger(size) || size <= 0 || size % 4096 !== 0) {
      throw new SocmemError(
        'EINVAL',
        `bus: MMIO size ${size} for ${device.name} is not a positive multiple of 4 KiB`,
      );
    }
    const end = base + size;
    for (const bank of this.ram.banks) {
      if (base < bank.end && end > bank.base) {
        throw new SocmemError(
          'EBUSY',
          `bus: MMIO ${device.name} at ${hex(base)} overlaps RAM bank ${bank.name}`,
        );
      }
    }
    for (const region of this.regions) {
      if (base < region.end && end > region.base) {
        throw new SocmemError(
          'EBUSY',
          `bus: MMIO ${device.name} at ${hex(base)} overlaps ${region.device.name}`,
        );
      }
    }
    const region: MmioRegion = { base, size, end, device };
    this.regions.push(region);
    return region;
  }

  /** Removes the MMIO region mapped at `base`. */
  unmapMmio(base: number): void {
    const index = this.regions.findIndex((region) => region.base === base);
    if (index < 0) throw new SocmemError('ENOENT', `bus: no MMIO region at ${hex(base)}`);
    this.regions.splice(index, 1);
  }

  /** The MMIO regions, in mapping order. */
  get mmioRegions(): readonly MmioRegion[] {
    return this.regions;
  }

  read8(pa: number, initiator = 'cpu'): number {
    const bank = this.ram.findBank(pa);
    if (bank === null) throw this.unmapped('read', pa, 1);
    this.countRead(pa, 1, initiator);
    return bank.read8(pa);
  }

  read16(pa: number, initiator = 'cpu'): number {
    const bank = this.ram.findBank(pa);
    if (bank === null || pa + 2 > bank.end) throw this.unmapped('read', pa, 2);
    this.countRead(pa, 2, initiator);
    return bank.read16(pa);
  }

  read32(pa: number, initiator = 'cpu'): number {
    const bank = this.ram.lastBank;
    if (pa >= bank.base && pa + 4 <= bank.end) {
      const count = this.ramU32Reads + 1;
      if (count === 0x4000_0000) {
        this.ramU32Reads = 0;
        this.ramU32ReadsWrapped++;
      } else this.ramU32Reads = count;
      if (this.trace.active) this.trace.emit('bus', { op: 'read', pa, size: 4, initiator });
      return bank.read32(pa);
    }
    return this.read32Slow(pa, initiator);
  }

  private read32Slow(pa: number, initiator: string): number {
    const bank = this.ram.findBank(pa);
    if (bank !== null && pa + 4 <= bank.end) {
      this.countRead(pa, 4, initiator);
      return bank.read32(pa);
    }
    const region = this.mmioFor(pa, 4, 'read');
    this.countRead(pa, 4, initiator);
    this.tally[MMIO_READS] = this.tally[MMIO_READS]! + 1;
    return region.device.read32(pa - region.base) >>> 0;
  }

  write8(pa: number, value: number, initiator = 'cpu'): void {
    const bank = this.ram.findBank(pa);
    if (bank === null) throw this.unmapped('write', pa, 1);
    this.countWrite(pa, 1, initiator);
    bank.write8(pa, value);
  }

  write16(pa: number, value: number, initiator = 'cpu'): void {
    const bank = this.ram.findBank(pa);
    if (bank === null || pa + 2 > bank.end) throw this.unmapped('write', pa, 2);
    this.countWrite(pa, 2, initiator);
    bank.write16(pa, value);
  }

  write32(pa: number, value: number, initiator = 'cpu'): void {
    const bank = this.ram.lastBank;
    if (pa >= bank.base && pa + 4 <= bank.end) {
      const count = this.ramU32Writes + 1;
      if (count === 0x4000_0000) {
        this.ramU32Writes = 0;
        this.ramU32WritesWrapped++;
      } else this.ramU32Writes = count;
      if (this.trace.active) this.trace.emit('bus', { op: 'write', pa, size: 4, initiator });
      bank.write32(pa, value);
      return;
    }
    this.write32Slow(pa, value, initiator);
  }

  private write32Slow(pa: number, value: number, initiator: string): void {
    const bank = this.ram.findBank(pa);
    if (bank !== null && pa + 4 <= bank.end) {
      this.countWrite(pa, 4, initiator);
      bank.write32(pa, value);
      return;
    }
    const region = this.mmioFor(pa, 4, 'write');
    this.countWrite(pa, 4, initiator);
    this.tally[MMIO_WRITES] = this.tally[MMIO_WRITES]! + 1;
    region.device.write32(pa - region.base, value >>> 0);
  }

  /** A 64-bit read: two 32-bit RAM reads, or one 64-bit MMIO read where the device has them. */
  read64(pa: number, initiator = 'cpu'): bigint {
    if (this.ram.findBank(pa) !== null) {
      // Both halves must be RAM before either is read, so a failed read counts nothing.
      this.ram.requireRange(pa, 8, 'read');
      const lo = this.read32(pa, initiator);
      const hi = this.read32(pa + 4, initiator);
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    const region = this.mmioFor(pa, 8, 'read');
    if (region.device.read64 === undefined) {
      throw new BusError('read', pa, 8, `${region.device.name} has no 64-bit registers`);
    }
    this.countRead(pa, 8, initiator);
    this.tally[MMIO_READS] = this.tally[MMIO_READS]! + 1;
    return BigInt.asUintN(64, region.device.read64(pa - region.base));
  }

  /** A 64-bit write: two 32-bit RAM writes, or one 64-bit MMIO write where the device has them. */
  write64(pa: number, value: bigint, initiator = 'cpu'): void {
    const masked = BigInt.asUintN(64, value);
    if (this.ram.findBank(pa) !== null) {
      this.ram.requireRange(pa, 8, 'write');
      this.write32(pa, Number(masked & 0xffff_ffffn), initiator);
      this.write32(pa + 4, Number(masked >> 32n), initiator);
      return;
    }
    const region = this.mmioFor(pa, 8, 'write');
    if (region.device.write64 === undefined) {
      throw new BusError('write', pa, 8, `${region.device.name} has no 64-bit registers`);
    }
    this.countWrite(pa, 8, initiator);
    this.tally[MMIO_WRITES] = this.tally[MMIO_WRITES]! + 1;
    region.device.write64(pa - region.base, masked);
  }

  /** Bulk read of RAM (MMIO does not take bulk transfers). */
  read(
    pa: number,
    dst: Uint8Array,
    dstOffset = 0,
    length = dst.length - dstOffset,
    initiator = 'cpu',
  ): void {
    this.ram.read(pa, dst, dstOffset, length);
    this.countRead(pa, length, initiator);
  }

  /** Bulk write of RAM. Nothing is written when any byte of the range is not RAM. */
  write(
    pa: number,
    src: Uint8Array,
    srcOffset = 0,
    length = src.length - srcOffset,
    initiator = 'cpu',
  ): void {
    this.ram.write(pa, src, srcOffset, length);
    this.countWrite(pa, length, initiator);
  }

  /**
   * A RAM-to-RAM copy by one initiator (memmove semantics), counted and traced as a read of
   * the source and a write of the destination. Untouched frames copied onto untouched frames
   * stay untouched.
   */
  copy(dstPa: number, srcPa: number, length: number, initiator = 'cpu'): void {
    this.ram.copy(dstPa, srcPa, length);
    this.countRead(srcPa, length, initiator);
    this.countWrite(dstPa, length, initiator);
  }

  /** Bulk fill of RAM. */
  fill(pa: number, value: number, length: number, initiator = 'cpu'): void {
    this.ram.fill(pa, value, length);
    this.countWrite(pa, length, initiator);
  }

  private countRead(pa: number, size: number, initiator: string): void {
    this.tally[OTHER_READS] = this.tally[OTHER_READS]! + 1;
    this.tally[OTHER_BYTES_READ] = this.tally[OTHER_BYTES_READ]! + size;
    if (this.trace.active) this.trace.emit('bus', { op: 'read', pa, size, initiator });
  }

  private countWrite(pa: number, size: number, initiator: string): void {
    this.tally[OTHER_WRITES] = this.tally[OTHER_WRITES]! + 1;
    this.tally[OTHER_BYTES_WRITTEN] = this.tally[OTHER_BYTES_WRITTEN]! + size;
    if (this.trace.active) this.trace.emit('bus', { op: 'write', pa, size, initiator });
  }

  private mmioFor(pa: number, size: 4 | 8, access: 'read' | 'write'): MmioRegion {
    for (const region of this.regions) {
      if (pa >= region.base && pa < region.end) {
        if (pa % size !== 0 || pa + size > region.end) {
          throw new BusError(access, pa, size, `unaligned access to MMIO ${region.device.name}`);
        }
        return region;
      }
    }
    throw this.unmapped(access, pa, size);
  }

  private unmapped(access: 'read' | 'write', pa: number, size: number): BusError {
    for (const region of this.regions) {
      if (pa >= region.base && pa < region.end) {
        return new BusError(
          access,
          pa,
          size,
          `MMIO ${region.device.name} takes only aligned 32-bit accesses`,
        );
      }
    }
    return new BusError(access, pa, size, 'no RAM or MMIO at this address');
  }
}
