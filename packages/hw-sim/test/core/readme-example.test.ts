import { createMachine } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';

// The "Example" section of README.md, with its printed values asserted.
describe('README example', () => {
  it('shows stale device data until the CPU cleans the buffer, and no leak', () => {
    const machine = createMachine();
    const buffer = machine.pageAllocator.allocPages(0, 'my-driver');

    machine.cpu.write32(buffer, 0xcafef00d);
    const dma = machine.devicePort('dma0', { coherent: false });
    expect(dma.read32(buffer).toString(16)).toBe('0');

    machine.cache.clean(buffer, 4096);
    expect(dma.read32(buffer).toString(16)).toBe('cafef00d');

    machine.pageAllocator.freePages(buffer, 0);
    expect(machine.pageAllocator.leakReport()).toEqual([]);
  });
});
