import { hex, SocmemError } from '../errors/socmem-error';
import type { Iommu, IommuOutcome } from '../iommu/iommu';
import type { Machine } from '../machine';
import type { Bus } from '../memory/bus';
import type { DevicePort } from '../memory/device-port';
import { ACCESS_PRIV, ACCESS_READ, ACCESS_WRITE, TranslationResult } from '../mmu/translation';
import { type TransferFault, TransferResult } from './transfer-result';

/** The smallest translation granule: the unit in which ignored faults and bus errors are cut. */
const MIN_PAGE = 4096;

const OP_READ = 0;
const OP_WRITE = 1;
const OP_FILL = 2;

/** How a bus master is wired into the SoC. */
export interface BusMasterOptions {
  /** The initiator name on the bus trace. */
  readonly name: string;
  /** The stream ID the IOMMU sees on this master's transactions. Default 0. */
  readonly streamId?: number;
  /**
   * Width of the master's address bus: addresses at or above 2^addressBits never reach the
   * bus (the transfer stops with an 'address-limit' fault). Default 64 (no limit).
   */
  readonly addressBits?: number;
  /** Coherent masters snoop the CPU cache; non-coherent ones go to RAM directly. Default false. */
  readonly coherent?: boolean;
  /** The IOMMU in front of the master; without one, addresses are physical. */
  readonly iommu?: Iommu | null;
  /** Present transactions as privileged (ACCESS_PRIV). Default false. */
  readonly privileged?: boolean;
}

/** Transfer counts of a bus master. */
export class BusMasterCounters {
  transfers = 0;
  bytes = 0;
  faults = 0;
  stalls = 0;
  /** Translations asked of the IOMMU. */
  translations = 0;
}

interface PendingTransfer {
  op: number;
  address: number;
  buffer: Uint8Array | null;
  offset: number;
  length: number;
  value: number;
  result: TransferResult;
}

/**
 * The hardware side of a device: it reads and writes byte ranges at bus addresses, through an
 * IOMMU when it has one. A transfer is cut at page boundaries and each page is translated on its
 * own; on a fault the pages before the faulting one are done and nothing after it. When the
 * IOMMU stalls a transaction the transfer is parked: `stalled` is set on the result and
 * {@link BusMaster.resume} continues it (same result object) once software has resumed the IOMMU.
 */
export class BusMaster {
  readonly name: string;
  readonly streamId: number;
  readonly addressBits: number;
  /** First address the master cannot drive: 2^addressBits (Infinity from 53 bits up). */
  readonly addressLimit: number;
  readonly coherent: boolean;
  readonly iommu: Iommu | null;
  /** After {@link resolve} returned 'ok': the output address of the span and its length. */
  resolvedPa = 0;
  resolvedLength = 0;
  /** After {@link resolve} returned 'fault': what stopped it. */
  resolvedFault: TransferFault | null = null;
  /** The IOMMU's last translation (valid after a resolve through an IOMMU). */
  readonly translation = new TranslationResult();
  readonly counters = new BusMasterCounters();
  private readonly bus: Bus;
  /** The untranslated port: owns the snoop-then-bus coherence policy. */
  private readonly port: DevicePort;
  private readonly privilege: number;
  private pending: PendingTransfer | null = null;

  constructor(machine: Machine, options: BusMasterOptions) {
    const streamId = options.streamId ?? 0;
    const addressBits = options.addressBits ?? 64;
    if (!Number.isInteger(streamId) || streamId < 0 || streamId > 0xffff) {
      throw new SocmemError(
        'EINVAL',
        `bus master ${options.name}: stream ID ${streamId} is not a 16-bit value`,
      );
    }
    if (!Number.isInteger(addressBits) || addressBits < 12 || addressBits > 64) {
      throw new SocmemError(
        'EINVAL',
        `bus master ${options.name}: addressBits ${addressBits} is outside 12..64`,
      );
    }
    this.name = options.name;
    this.streamId = streamId;
    this.addressBits = addressBits;
    this.addressLimit = addressBits >= 53 ? Number.POSITIVE_INFINITY : 2 ** addressBits;
    this.coherent = options.coherent ?? false;
    this.iommu = options.iommu ?? null;
    this.privilege = options.privileged === true ? ACCESS_PRIV : 0;
    this.bus = machine.bus;
    this.port = machine.devicePort(options.name, { coherent: this.coherent });
  }

  /** True while a transfer waits on a stalled IOMMU transaction. */
  get stalled(): boolean {
    return this.pending !== null;
  }

  /** Reads [address, address + length) into `dst` from `dstOffset`. */
  read(
    address: number,
    dst: Uint8Array,
    dstOffset = 0,
    length = dst.length - dstOffset,
  ): TransferResult {
    this.checkRange('read', address, dst.length, dstOffset, length);
    return this.start(OP_READ, address, dst, dstOffset, length, 0);
  }

  /** Writes `length` bytes of `src` from `srcOffset` to [address, address + length). */
  write(
    address: number,
    src: Uint8Array,
    srcOffset = 0,
    length = src.length - srcOffset,
  ): TransferResult {
    this.checkRange('write', address, src.length, srcOffset, length);
    return this.start(OP_WRITE, address, src, srcOffset, length, 0);
  }

  /** Writes the byte `value` over [address, address + length). */
  fill(address: number, value: number, length: number): TransferResult {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) {
      throw new SocmemError('EINVAL', `bus master ${this.name}: fill value ${value} is not a byte`);
    }
    this.checkRange('fill', address, length, 0, length);
    return this.start(OP_FILL, address, null, 0, length, value);
  }

  /**
   * Continues the stalled transfer after software resumed the IOMMU, and returns its (same)
   * result object. Still `stalled` when the IOMMU keeps holding the transaction.
   */
  resume(): TransferResult {
    const pending = this.pending;
    if (pending === null)
      throw new SocmemError('EINVAL', `bus master ${this.name}: no stalled transfer to resume`);
    this.pending = null;
    pending.result.stalled = false;
    return this.transfer(pending);
  }

  /** Drops a stalled transfer; what was transferred stays transferred. */
  abort(): void {
    this.pending = null;
  }

  /**
   * Resolves the bus-master address `address` for `access` into a physical span of at most
   * `maxLength` bytes that is contiguous RAM under one translation. On 'ok' the span is in
   * `resolvedPa`/`resolvedLength`; on 'ignored' `resolvedLength` bytes are to be skipped
   * (zeros on read, dropped on write); on 'fault' `resolvedFault` says why. Allocates nothing
   * unless it faults.
   */
  resolve(address: number, maxLength: number, access: number): IommuOutcome {
    const limitSpan = this.addressLimit - address;
    if (!(limitSpan > 0)) {
      this.resolvedFault = { kind: 'address-limit', address, level: 0 };
      return 'fault';
    }
    let pa = address;
    let span = maxLength;
    if (this.iommu !== null) {
      const out = this.translation;
      this.counters.translations++;
      const outcome = this.iommu.translate(this.streamId, address, access | this.privilege, out);
      if (outcome === 'fault') {
        this.resolvedFault = { kind: out.fault ?? 'translation', address, level: out.faultLevel };
        return 'fault';
      }
      if (outcome === 'stalled') return 'stalled';
      if (outcome === 'ignored') {
        this.resolvedLength = Math.min(maxLength, MIN_PAGE - (address % MIN_PAGE), limitSpan);
        return 'ignored';
      }
      pa = out.pa;
      const pageSize = out.pageSize > 0 ? out.pageSize : MIN_PAGE;
      span = pageSize - (address % pageSize);
    }
    let length = Math.min(span, maxLength, limitSpan);
    const ram = this.bus.ram;
    if (!ram.contains(pa, length)) {
      length = Math.min(length, MIN_PAGE - (pa % MIN_PAGE));
      if (!ram.contains(pa, length)) {
        this.resolvedFault = { kind: 'external-abort', address, level: 0 };
        return 'fault';
      }
    }
    this.resolvedPa = pa;
    this.resolvedLength = length;
    return 'ok';
  }

  // The *Physical methods act on spans from resolve(); the port applies the coherence policy.

  /** Reads a resolved physical span (snooping the CPU cache when coherent). */
  readPhysical(pa: number, dst: Uint8Array, dstOffset: number, length: number): void {
    this.port.read(pa, dst, dstOffset, length);
  }

  /** Writes a resolved physical span (coherent writes drop stale CPU cache lines). */
  writePhysical(pa: number, src: Uint8Array, srcOffset: number, length: number): void {
    this.port.write(pa, src, srcOffset, length);
  }

  /** Fills a resolved physical span with a byte. */
  fillPhysical(pa: number, value: number, length: number): void {
    this.port.fill(pa, value, length);
  }

  /** Copies between two resolved physical spans without a staging buffer (see DevicePort.copy). */
  copyPhysical(dstPa: number, srcPa: number, length: number): void {
    this.port.copy(dstPa, srcPa, length);
  }

  private start(
    op: number,
    address: number,
    buffer: Uint8Array | null,
    offset: number,
    length: number,
    value: number,
  ): TransferResult {
    if (this.pending !== null) {
      throw new SocmemError(
        'EBUSY',
        `bus master ${this.name}: a stalled transfer at ${hex(this.pending.address)} is pending`,
      );
    }
    this.counters.transfers++;
    const result = new TransferResult();
    return this.transfer({ op, address, buffer, offset, length, value, result });
  }

  private transfer(job: PendingTransfer): TransferResult {
    const result = job.result;
    const access = job.op === OP_READ ? ACCESS_READ : ACCESS_WRITE;
    while (result.bytes < job.length) {
      const done = result.bytes;
      const outcome = this.resolve(job.address + done, job.length - done, access);
      if (outcome === 'stalled') {
        this.counters.stalls++;
        result.stalled = true;
        this.pending = job;
        return result;
      }
      if (outcome === 'fault') {
        this.counters.faults++;
        result.fault = this.resolvedFault;
        return result;
      }
      const chunk = this.resolvedLength;
      if (outcome === 'ignored') {
        if (job.op === OP_READ) job.buffer!.fill(0, job.offset + done, job.offset + done + chunk);
        result.ignoredBytes += chunk;
      } else if (job.op === OP_READ) {
        this.readPhysical(this.resolvedPa, job.buffer!, job.offset + done, chunk);
      } else if (job.op === OP_WRITE) {
        this.writePhysical(this.resolvedPa, job.buffer!, job.offset + done, chunk);
      } else {
        this.fillPhysical(this.resolvedPa, job.value, chunk);
      }
      result.bytes = done + chunk;
      this.counters.bytes += chunk;
    }
    return result;
  }

  private checkRange(
    what: string,
    address: number,
    bufferLength: number,
    offset: number,
    length: number,
  ): void {
    if (!Number.isSafeInteger(address) || address < 0) {
      throw new SocmemError(
        'EINVAL',
        `bus master ${this.name}: ${what} address ${address} is not a bus address`,
      );
    }
    if (
      !Number.isSafeInteger(length) ||
      length < 0 ||
      !Number.isSafeInteger(offset) ||
      offset < 0 ||
      offset + length > bufferLength
    ) {
      throw new SocmemError(
        'EINVAL',
        `bus master ${this.name}: ${what} of ${length} bytes at buffer offset ${offset} exceeds the buffer (${bufferLength})`,
      );
    }
  }
}
