import {
  ACCESS_READ,
  ACCESS_WRITE,
  BusMaster,
  createMachine,
  type Machine,
  SocmemError,
} from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { FakeIommu } from './fake-iommu';

const RAM = 0x4000_0000;

function pattern(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 7 + seed) & 0xff;
  return bytes;
}

function ramBytes(machine: Machine, pa: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  machine.ram.read(pa, bytes, 0, length);
  return bytes;
}

describe('BusMaster without an IOMMU', () => {
  it('reads and writes physical addresses across banks of pages', () => {
    const machine = createMachine();
    const master = new BusMaster(machine, { name: 'dev' });
    const data = pattern(3 * 4096 + 100);
    const written = master.write(RAM + 0x800, data);
    expect(written).toMatchObject({ bytes: data.length, fault: null, stalled: false });
    expect(written.complete).toBe(true);
    const back = new Uint8Array(data.length);
    expect(master.read(RAM + 0x800, back).bytes).toBe(data.length);
    expect(back).toEqual(data);
    expect(machine.bus.counters.bytesWritten).toBeGreaterThanOrEqual(data.length);
  });

  it('a non-coherent master reads RAM under a dirty CPU line; a coherent one sees the CPU data', () => {
    // Arm ARM: a non-coherent (non-snooping) agent observes memory, not the CPU's caches.
    const machine = createMachine();
    machine.cpu.write32(RAM, 0xcafe_f00d);
    expect(machine.cache.isDirty(RAM)).toBe(true);
    const plain = new BusMaster(machine, { name: 'plain', coherent: false });
    const snooping = new BusMaster(machine, { name: 'snooping', coherent: true });
    const buffer = new Uint8Array(4);
    plain.read(RAM, buffer);
    expect(new DataView(buffer.buffer).getUint32(0, true)).toBe(0);
    snooping.read(RAM, buffer);
    expect(new DataView(buffer.buffer).getUint32(0, true)).toBe(0xcafe_f00d);
    expect(machine.cache.isDirty(RAM)).toBe(false);
  });

  it('a non-coherent write leaves a stale CPU line; a coherent write drops it', () => {
    const machine = createMachine();
    expect(machine.cpu.read32(RAM)).toBe(0);
    const plain = new BusMaster(machine, { name: 'plain' });
    plain.write(RAM, Uint8Array.of(1, 2, 3, 4));
    expect(machine.cpu.read32(RAM)).toBe(0); // stale line still cached
    machine.cache.invalidate(RAM, 64);
    expect(machine.cpu.read32(RAM)).toBe(0x0403_0201);
    const snooping = new BusMaster(machine, { name: 'snooping', coherent: true });
    snooping.write(RAM, Uint8Array.of(9, 9, 9, 9));
    expect(machine.cache.isCached(RAM)).toBe(false);
    expect(machine.cpu.read32(RAM)).toBe(0x0909_0909);
  });

  it('addresses at or above 2^addressBits never reach the bus', () => {
    const machine = createMachine({ ram: [{ base: 0x8000_0000, size: 0x1_0000_0000 }] });
    const master = new BusMaster(machine, { name: 'dma32', addressBits: 32 });
    const readsBefore = machine.bus.counters.reads;
    const result = master.write(0xffff_f000, pattern(0x2000));
    expect(result.bytes).toBe(0x1000);
    expect(result.fault).toEqual({ kind: 'address-limit', address: 0x1_0000_0000, level: 0 });
    expect(ramBytes(machine, 0x1_0000_0000, 16)).toEqual(new Uint8Array(16));
    expect(machine.bus.counters.reads).toBe(readsBefore);
    const above = master.read(0x1_0000_0000, new Uint8Array(8));
    expect(above).toMatchObject({
      bytes: 0,
      fault: { kind: 'address-limit', address: 0x1_0000_0000 },
    });
  });

  it('stops with an external abort at the first page that is not RAM', () => {
    const machine = createMachine({ ram: [{ base: RAM, size: 0x10_0000 }], pageAllocator: false });
    const master = new BusMaster(machine, { name: 'dev' });
    const result = master.fill(RAM + 0x10_0000 - 0x1800, 0xab, 0x4000);
    expect(result.bytes).toBe(0x1800);
    expect(result.fault).toEqual({ kind: 'external-abort', address: RAM + 0x10_0000, level: 0 });
    expect(ramBytes(machine, RAM + 0x10_0000 - 0x1800, 0x1800).every((byte) => byte === 0xab)).toBe(
      true,
    );
  });

  it('rejects bad arguments with EINVAL and changes nothing', () => {
    const machine = createMachine();
    const master = new BusMaster(machine, { name: 'dev' });
    expect(() => master.read(RAM, new Uint8Array(4), 2, 4)).toThrowError(/exceeds the buffer/);
    expect(() => master.write(-1, new Uint8Array(4))).toThrow(SocmemError);
    expect(() => master.fill(RAM, 256, 1)).toThrowError(/EINVAL/);
    expect(() => new BusMaster(machine, { name: 'bad', addressBits: 8 })).toThrowError(
      /addressBits/,
    );
    expect(machine.bus.counters.writes).toBe(0);
  });
});

describe('BusMaster behind an IOMMU', () => {
  it('translates page by page and stops before the faulting page (nothing after it)', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    // IOVA pages 0x10..0x12 map to scattered physical pages; page 0x13 is unmapped.
    iommu.map(0x10000, RAM + 0x5000, 0x1000);
    iommu.map(0x11000, RAM + 0x2000, 0x1000);
    iommu.map(0x12000, RAM + 0x9000, 0x1000);
    iommu.map(0x14000, RAM + 0xa000, 0x1000);
    const master = new BusMaster(machine, { name: 'dev', streamId: 7, iommu });
    const data = pattern(0x4000);
    const result = master.write(0x10800, data);
    expect(result.bytes).toBe(0x13000 - 0x10800);
    expect(result.fault).toEqual({ kind: 'translation', address: 0x13000, level: 3 });
    expect(ramBytes(machine, RAM + 0x5800, 0x800)).toEqual(data.subarray(0, 0x800));
    expect(ramBytes(machine, RAM + 0x2000, 0x1000)).toEqual(data.subarray(0x800, 0x1800));
    expect(ramBytes(machine, RAM + 0x9000, 0x1000)).toEqual(data.subarray(0x1800, 0x2800));
    // The page after the hole was never touched.
    expect(ramBytes(machine, RAM + 0xa000, 0x1000)).toEqual(new Uint8Array(0x1000));
    expect(iommu.calls.map((call) => call.iova)).toEqual([0x10800, 0x11000, 0x12000, 0x13000]);
    expect(iommu.calls.every((call) => call.streamId === 7 && call.access === ACCESS_WRITE)).toBe(
      true,
    );
  });

  it('a read stops at a permission fault and leaves the rest of the buffer alone', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    iommu.map(0x0, RAM, 0x3000);
    iommu.faults.set(1, 'permission');
    machine.ram.write(RAM, pattern(0x3000), 0, 0x3000);
    const master = new BusMaster(machine, { name: 'dev', iommu });
    const dst = new Uint8Array(0x3000).fill(0xee);
    const result = master.read(0x100, dst, 0, 0x2f00);
    expect(result.bytes).toBe(0xf00);
    expect(result.fault).toEqual({ kind: 'permission', address: 0x1000, level: 3 });
    expect(dst.subarray(0, 0xf00)).toEqual(pattern(0x3000).subarray(0x100, 0x1000));
    expect(dst.subarray(0xf00).every((byte) => byte === 0xee)).toBe(true);
    expect(iommu.calls[0]!.access).toBe(ACCESS_READ);
  });

  it('a stalled transfer waits, continues after the IOMMU resumes, and completes', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    iommu.map(0x0, RAM, 0x4000);
    iommu.stallPages.add(2);
    const master = new BusMaster(machine, { name: 'dev', iommu });
    const data = pattern(0x4000, 3);
    const result = master.write(0x0, data);
    expect(result).toMatchObject({ bytes: 0x2000, stalled: true, fault: null });
    expect(master.stalled).toBe(true);
    expect(() => master.read(0, new Uint8Array(4))).toThrowError(/EBUSY/);
    expect(master.resume()).toBe(result);
    expect(result.stalled).toBe(true); // software has not resumed the IOMMU yet
    iommu.release(0);
    expect(master.resume()).toMatchObject({ bytes: 0x4000, stalled: false, fault: null });
    expect(master.stalled).toBe(false);
    expect(ramBytes(machine, RAM, 0x4000)).toEqual(data);
    expect(() => master.resume()).toThrowError(/no stalled transfer/);
  });

  it('pages whose fault the IOMMU ignores read as zeros and drop writes (RAZ/WI)', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    iommu.map(0x0, RAM, 0x3000);
    iommu.ignoredPages.add(1);
    machine.ram.fill(RAM, 0x55, 0x3000);
    const master = new BusMaster(machine, { name: 'dev', iommu });
    const dst = new Uint8Array(0x3000);
    const result = master.read(0, dst);
    expect(result).toMatchObject({ bytes: 0x3000, ignoredBytes: 0x1000, fault: null });
    expect(dst.subarray(0x1000, 0x2000).every((byte) => byte === 0)).toBe(true);
    expect(dst[0]).toBe(0x55);
    expect(dst[0x2000]).toBe(0x55);
  });

  it('an output address outside RAM is an external abort', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    iommu.map(0x0, RAM, 0x1000);
    iommu.map(0x1000, 0x1000_0000, 0x1000);
    const master = new BusMaster(machine, { name: 'dev', iommu });
    const result = master.read(0x0, new Uint8Array(0x2000));
    expect(result).toMatchObject({
      bytes: 0x1000,
      fault: { kind: 'external-abort', address: 0x1000, level: 0 },
    });
  });
});
