import {
  createMachine,
  DMA_CTRL_ABORT,
  DMA_CTRL_OP_FILL,
  DMA_CTRL_START,
  DMA_ENGINE_ID_VALUE,
  DMA_ENGINE_MMIO_SIZE,
  DMA_ERROR_ABORTED,
  DMA_ERROR_PERMISSION,
  DMA_ERROR_TRANSLATION,
  DMA_INT_DONE,
  DMA_REG_BYTES_DONE,
  DMA_REG_CTRL,
  DMA_REG_DST_HI,
  DMA_REG_DST_LO,
  DMA_REG_ERROR_INFO,
  DMA_REG_FAULT_ADDR_HI,
  DMA_REG_FAULT_ADDR_LO,
  DMA_REG_FILL,
  DMA_REG_ID,
  DMA_REG_INT_ENABLE,
  DMA_REG_LEN,
  DMA_REG_SRC_HI,
  DMA_REG_SRC_LO,
  DMA_REG_STATUS,
  DMA_STATUS_BUSY,
  DMA_STATUS_DONE,
  DMA_STATUS_ERROR,
  DMA_STATUS_STALLED,
  DmaEngine,
  type Machine,
  type TransferFault,
} from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { FakeIommu } from './fake-iommu';

const RAM = 0x4000_0000;
const MMIO = 0x1000_0000;

function pattern(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 13 + 5) & 0xff;
  return bytes;
}

function ramBytes(machine: Machine, pa: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  machine.ram.read(pa, bytes, 0, length);
  return bytes;
}

function withInterrupts(engine: DmaEngine): { completions: number; errors: TransferFault[] } {
  const seen = { completions: 0, errors: [] as TransferFault[] };
  engine.onComplete(() => seen.completions++);
  engine.onError((_engine, fault) => seen.errors.push(fault));
  return seen;
}

describe('DmaEngine direct API', () => {
  it('copies, completes once, and advances simulated time by one tick per 64 bytes', () => {
    const machine = createMachine();
    const engine = new DmaEngine(machine, { name: 'dma0' });
    const seen = withInterrupts(engine);
    const data = pattern(0x3100);
    machine.ram.write(RAM, data);
    const before = machine.clock.now;
    engine.startCopy(RAM, RAM + 0x10_0000, data.length);
    expect(engine.state).toBe('busy');
    expect(engine.status).toBe(DMA_STATUS_BUSY);
    expect(engine.run()).toBe('done');
    expect(ramBytes(machine, RAM + 0x10_0000, data.length)).toEqual(data);
    expect(engine.status).toBe(DMA_STATUS_DONE);
    expect(engine.bytesDone).toBe(0x3100);
    expect(seen).toEqual({ completions: 1, errors: [] });
    expect(machine.clock.now - before).toBe(0x3100 / 64);
    expect(engine.run()).toBe('done'); // nothing queued: no second interrupt
    expect(seen.completions).toBe(1);
    expect(engine.counters).toMatchObject({ jobs: 1, completed: 1, errors: 0, bytes: 0x3100 });
  });

  it('fills, and refuses a second job while one is queued (EBUSY)', () => {
    const machine = createMachine();
    const engine = new DmaEngine(machine, { name: 'dma0' });
    engine.startFill(RAM + 0x123, 0x5a, 0x2000);
    expect(() => engine.startCopy(RAM, RAM, 1)).toThrowError(/EBUSY/);
    expect(() => engine.startFill(RAM, 300, 1)).toThrowError(/EINVAL/);
    engine.run();
    expect(ramBytes(machine, RAM + 0x123, 0x2000).every((byte) => byte === 0x5a)).toBe(true);
    expect(ramBytes(machine, RAM + 0x122, 1)[0]).toBe(0);
    expect(ramBytes(machine, RAM + 0x2123, 1)[0]).toBe(0);
  });

  it('stops at a fault with the fault address, bytes done and one error interrupt', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    iommu.map(0x0, RAM, 0x4000); // source
    iommu.map(0x10_0000, RAM + 0x10_0000, 0x2000); // destination, third page missing
    const engine = new DmaEngine(machine, { name: 'dma0', iommu, streamId: 3 });
    const seen = withInterrupts(engine);
    machine.ram.write(RAM, pattern(0x4000));
    engine.startCopy(0x0, 0x10_0000, 0x4000);
    expect(engine.run()).toBe('error');
    expect(engine.bytesDone).toBe(0x2000);
    expect(seen.completions).toBe(0);
    expect(seen.errors).toEqual([{ kind: 'translation', address: 0x10_2000, level: 3 }]);
    expect(engine.read32(DMA_REG_STATUS)).toBe(DMA_STATUS_ERROR);
    expect(engine.read32(DMA_REG_FAULT_ADDR_LO)).toBe(0x10_2000);
    expect(engine.read32(DMA_REG_ERROR_INFO)).toBe(DMA_ERROR_TRANSLATION | (3 << 8) | (1 << 12));
    expect(ramBytes(machine, RAM + 0x10_0000, 0x2000)).toEqual(pattern(0x2000));
  });

  it('stalls behind the IOMMU and, with autoRun, continues when the IOMMU resumes', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    iommu.map(0x0, RAM, 0x8000);
    iommu.stallPages.add(5);
    const engine = new DmaEngine(machine, { name: 'dma0', iommu, streamId: 9, autoRun: true });
    const seen = withInterrupts(engine);
    machine.ram.write(RAM, pattern(0x3000));
    engine.startCopy(0x0, 0x4000, 0x3000);
    expect(engine.run()).toBe('stalled');
    expect(engine.status).toBe(DMA_STATUS_BUSY | DMA_STATUS_STALLED);
    expect(engine.bytesDone).toBe(0x1000);
    iommu.release(8); // another stream: not ours
    expect(engine.state).toBe('stalled');
    iommu.stallPages.add(5);
    iommu.release(9);
    expect(engine.state).toBe('done');
    expect(seen.completions).toBe(1);
    expect(engine.counters.stalls).toBe(1);
    expect(ramBytes(machine, RAM + 0x4000, 0x3000)).toEqual(pattern(0x3000));
  });

  it('a disposed engine no longer listens to the IOMMU', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    iommu.map(0x0, RAM, 0x2000);
    iommu.stallPages.add(1);
    const engine = new DmaEngine(machine, { name: 'dma0', iommu, autoRun: true });
    engine.startFill(0x0, 7, 0x2000);
    expect(engine.run()).toBe('stalled');
    engine.dispose();
    iommu.release(0);
    expect(engine.state).toBe('stalled');
    expect(engine.run()).toBe('done');
  });

  it('abort ends a stalled job with the ABORTED error', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    iommu.map(0x0, RAM, 0x2000);
    iommu.stallPages.add(1);
    const engine = new DmaEngine(machine, { name: 'dma0', iommu });
    const seen = withInterrupts(engine);
    engine.startFill(0x0, 1, 0x2000);
    expect(engine.run()).toBe('stalled');
    engine.write32(DMA_REG_CTRL, DMA_CTRL_ABORT);
    expect(engine.state).toBe('error');
    expect(engine.read32(DMA_REG_ERROR_INFO) & 0xff).toBe(DMA_ERROR_ABORTED);
    expect(seen.errors).toHaveLength(1);
    expect(engine.master.stalled).toBe(false);
  });
});

describe('DmaEngine registers (MMIO)', () => {
  it('is programmed through the bus and reports status, W1C and interrupt enables', () => {
    const machine = createMachine();
    const iommu = new FakeIommu();
    iommu.map(0x8000_0000, RAM, 0x2000);
    iommu.readOnly.add(0x8000_1000 / 4096);
    const engine = new DmaEngine(machine, { name: 'dma0', iommu, autoRun: true });
    machine.bus.mapMmio(MMIO, DMA_ENGINE_MMIO_SIZE, engine);
    const seen = withInterrupts(engine);
    const bus = machine.bus;
    expect(bus.read32(MMIO + DMA_REG_ID)).toBe(DMA_ENGINE_ID_VALUE);
    expect(bus.read32(MMIO + DMA_REG_STATUS)).toBe(0);
    expect(bus.read32(MMIO + DMA_REG_INT_ENABLE)).toBe(3);

    // Fill job: DST = 0x8000_0000, LEN = 0x2000, FILL = 0x77; the second page is read-only.
    bus.write32(MMIO + DMA_REG_DST_LO, 0x8000_0000);
    bus.write32(MMIO + DMA_REG_DST_HI, 0);
    bus.write32(MMIO + DMA_REG_LEN, 0x2000);
    bus.write32(MMIO + DMA_REG_FILL, 0x177);
    expect(bus.read32(MMIO + DMA_REG_FILL)).toBe(0x77);
    bus.write32(MMIO + DMA_REG_CTRL, DMA_CTRL_START | DMA_CTRL_OP_FILL);
    expect(bus.read32(MMIO + DMA_REG_STATUS)).toBe(DMA_STATUS_ERROR);
    expect(bus.read32(MMIO + DMA_REG_BYTES_DONE)).toBe(0x1000);
    expect(bus.read32(MMIO + DMA_REG_FAULT_ADDR_LO)).toBe(0x8000_1000);
    expect(bus.read32(MMIO + DMA_REG_FAULT_ADDR_HI)).toBe(0);
    expect(bus.read32(MMIO + DMA_REG_ERROR_INFO)).toBe(DMA_ERROR_PERMISSION | (3 << 8) | (1 << 12));
    expect(seen.errors).toHaveLength(1);
    bus.write32(MMIO + DMA_REG_STATUS, DMA_STATUS_ERROR);
    expect(bus.read32(MMIO + DMA_REG_STATUS)).toBe(0);

    // Copy job with only the completion interrupt masked off.
    bus.write32(MMIO + DMA_REG_INT_ENABLE, 0);
    bus.write32(MMIO + DMA_REG_SRC_LO, 0x8000_0000);
    bus.write32(MMIO + DMA_REG_SRC_HI, 0);
    bus.write32(MMIO + DMA_REG_DST_LO, 0x8000_0800);
    bus.write32(MMIO + DMA_REG_LEN, 0x100);
    bus.write32(MMIO + DMA_REG_CTRL, DMA_CTRL_START);
    expect(bus.read32(MMIO + DMA_REG_STATUS)).toBe(DMA_STATUS_DONE);
    expect(seen.completions).toBe(0);
    expect(ramBytes(machine, RAM + 0x800, 0x100).every((byte) => byte === 0x77)).toBe(true);
    expect(bus.read32(MMIO + DMA_REG_CTRL)).toBe(0);
    bus.write32(MMIO + DMA_REG_INT_ENABLE, DMA_INT_DONE);
    expect(bus.read32(MMIO + DMA_REG_INT_ENABLE)).toBe(DMA_INT_DONE);
    expect(bus.read32(MMIO + DMA_REG_SRC_HI)).toBe(0);
    expect(bus.read32(MMIO + DMA_REG_DST_HI)).toBe(0);
  });

  it('without autoRun a START queues the job and job registers are frozen until it ends', () => {
    const machine = createMachine();
    const engine = new DmaEngine(machine, { name: 'dma0' });
    engine.write32(DMA_REG_DST_LO, RAM);
    engine.write32(DMA_REG_LEN, 64);
    engine.write32(DMA_REG_CTRL, DMA_CTRL_START | DMA_CTRL_OP_FILL);
    expect(engine.read32(DMA_REG_STATUS)).toBe(DMA_STATUS_BUSY);
    engine.write32(DMA_REG_LEN, 128);
    expect(engine.read32(DMA_REG_LEN)).toBe(64);
    expect(engine.run()).toBe('done');
    expect(engine.bytesDone).toBe(64);
  });
});
