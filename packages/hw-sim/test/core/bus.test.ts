import { BusError, createMachine, type MmioDevice } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';

class RegisterFile implements MmioDevice {
  readonly name = 'timer';
  readonly registers = new Uint32Array(16);
  readonly writes: Array<[number, number]> = [];
  read32(offset: number): number {
    return this.registers[offset / 4] ?? 0;
  }
  write32(offset: number, value: number): void {
    this.writes.push([offset, value]);
    this.registers[offset / 4] = value;
  }
}

class WideRegisters implements MmioDevice {
  readonly name = 'smmu';
  value = 0n;
  read32(): number {
    return 0;
  }
  write32(): void {}
  read64(): bigint {
    return this.value;
  }
  write64(_offset: number, value: bigint): void {
    this.value = value;
  }
}

describe('Bus and MMIO', () => {
  it('routes aligned 32-bit accesses to a mapped device at base-relative offsets', () => {
    const machine = createMachine();
    const device = new RegisterFile();
    machine.bus.mapMmio(0x1c11_0000, 0x1000, device);
    machine.cpu.write32(0x1c11_0008, 0xcafe);
    expect(device.writes).toEqual([[8, 0xcafe]]);
    expect(machine.cpu.read32(0x1c11_0008)).toBe(0xcafe);
    expect(machine.bus.counters.mmioWrites).toBe(1);
    expect(machine.bus.counters.mmioReads).toBe(1);
    // MMIO is device memory: never cached.
    expect(machine.cache.isCached(0x1c11_0008)).toBe(false);
  });

  it('rejects unaligned, narrow and bulk MMIO accesses as bus errors', () => {
    const machine = createMachine();
    machine.bus.mapMmio(0x1c11_0000, 0x1000, new RegisterFile());
    expect(() => machine.bus.read32(0x1c11_0002)).toThrow(BusError);
    expect(() => machine.bus.read8(0x1c11_0000)).toThrow(
      /MMIO timer takes only aligned 32-bit accesses/,
    );
    expect(() => machine.bus.write16(0x1c11_0000, 1)).toThrow(BusError);
    expect(() => machine.bus.read(0x1c11_0000, new Uint8Array(8))).toThrow(BusError);
    expect(() => machine.bus.read64(0x1c11_0000)).toThrow(/timer has no 64-bit registers/);
  });

  it('passes 64-bit accesses to devices with 64-bit registers, 8-byte aligned only', () => {
    const machine = createMachine();
    const device = new WideRegisters();
    machine.bus.mapMmio(0x2b40_0000, 0x1_0000, device);
    machine.cpu.write64(0x2b40_0020, 0xffff_0000_1234_5000n);
    expect(device.value).toBe(0xffff_0000_1234_5000n);
    expect(machine.cpu.read64(0x2b40_0020)).toBe(0xffff_0000_1234_5000n);
    expect(() => machine.bus.read64(0x2b40_0024)).toThrow(BusError);
  });

  it('throws a typed BusError for holes, for every width', () => {
    const machine = createMachine();
    for (const access of [
      () => machine.cpu.read8(0x1000),
      () => machine.cpu.read32(0x1000),
      () => machine.cpu.write32(0x1000, 1),
      () => machine.bus.read64(0x1000),
      () => machine.cpu.write64(0x1000, 1n),
    ]) {
      expect(access).toThrow(BusError);
    }
    try {
      machine.bus.read32(0x2000);
    } catch (error) {
      expect(error).toBeInstanceOf(BusError);
      expect((error as BusError).code).toBe('EFAULT');
      expect((error as BusError).address).toBe(0x2000);
    }
  });

  it('refuses overlapping or misaligned MMIO regions with EBUSY / EINVAL', () => {
    const machine = createMachine();
    machine.bus.mapMmio(0x1c11_0000, 0x1000, new RegisterFile());
    expect(() => machine.bus.mapMmio(0x1c11_0000, 0x1000, new RegisterFile())).toThrow(/EBUSY/);
    expect(() => machine.bus.mapMmio(0x4000_0000, 0x1000, new RegisterFile())).toThrow(
      /EBUSY: .*overlaps RAM bank dram0/,
    );
    expect(() => machine.bus.mapMmio(0x1c12_0800, 0x1000, new RegisterFile())).toThrow(/EINVAL/);
    expect(() => machine.bus.mapMmio(0x1c12_0000, 0, new RegisterFile())).toThrow(/EINVAL/);
    machine.bus.unmapMmio(0x1c11_0000);
    expect(machine.bus.mmioRegions).toHaveLength(0);
    expect(() => machine.bus.unmapMmio(0x1c11_0000)).toThrow(/ENOENT/);
  });

  it('copies RAM to RAM as one read burst and one write burst of the initiator', () => {
    const machine = createMachine({ cache: { enabled: false } });
    machine.bus.fill(0x4000_0000, 0x3c, 0x1800);
    const events = machine.trace.record(() =>
      machine.bus.copy(0x4100_0000, 0x4000_0000, 0x1800, 'dma1'),
    );
    expect(events).toMatchObject([
      { kind: 'bus', op: 'read', pa: 0x4000_0000, size: 0x1800, initiator: 'dma1' },
      { kind: 'bus', op: 'write', pa: 0x4100_0000, size: 0x1800, initiator: 'dma1' },
    ]);
    expect(machine.ram.read32(0x4100_17fc)).toBe(0x3c3c_3c3c);
    expect(() => machine.bus.copy(0x4100_0000, 0x1000, 16)).toThrow(BusError);
  });

  it('counts RAM transactions and traces them with their initiator', () => {
    const machine = createMachine({ cache: { enabled: false } });
    const events = machine.trace.record(() => {
      machine.cpu.write32(0x4000_0000, 1);
      machine.devicePort('dma0').read(0x4000_0000, new Uint8Array(16));
    });
    expect(
      events.map((event) =>
        event.kind === 'bus' ? [event.op, event.pa, event.size, event.initiator] : null,
      ),
    ).toEqual([
      ['write', 0x4000_0000, 4, 'cpu'],
      ['read', 0x4000_0000, 16, 'dma0'],
    ]);
    expect(machine.bus.counters).toMatchObject({
      reads: 1,
      writes: 1,
      bytesRead: 16,
      bytesWritten: 4,
    });
  });
});
