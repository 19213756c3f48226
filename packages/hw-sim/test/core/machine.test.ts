import { createMachine, DEFAULT_RAM, type TraceEvent } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';

describe('createMachine', () => {
  it('gives a useful SoC with no configuration', () => {
    const machine = createMachine();
    expect(machine.ram.banks.map((bank) => [bank.name, bank.base, bank.size])).toEqual(
      DEFAULT_RAM.map((bank) => [bank.name, bank.base, bank.size]),
    );
    expect(machine.ram.banks[1]!.base).toBeGreaterThan(2 ** 32); // a bank above 4 GiB
    expect(machine.cache.enabled).toBe(true);
    expect(machine.cache.sets * machine.cache.ways * machine.cache.lineSize).toBe(32 * 1024);
    const pa = machine.pageAllocator.allocPages(0, 'smoke');
    expect(pa).toBe(0x7000_0000); // the top 256 MiB of the first bank
    machine.checkInvariants();
  });

  it('has no page allocator when told so, and accepts one installed later', () => {
    const machine = createMachine({ pageAllocator: false });
    expect(() => machine.pageAllocator).toThrow(/ENODEV/);
    const other = createMachine();
    machine.setPageAllocator(other.pageAllocator);
    expect(machine.pageAllocator).toBe(other.pageAllocator);
  });

  it('rejects a page allocator range outside RAM and a non-integer seed', () => {
    expect(() => createMachine({ pageAllocator: { base: 0x1000, size: 0x1000 } })).toThrow(
      /EFAULT/,
    );
    expect(() => createMachine({ seed: 1.5 })).toThrow(/EINVAL/);
  });

  it('exposes a counter snapshot per component', () => {
    const machine = createMachine();
    machine.cpu.read32(0x4000_0000);
    const counters = machine.counters();
    expect(counters.cache).toMatchObject({ misses: 1, hits: 0 });
    expect(counters.bus).toMatchObject({ reads: 1, bytesRead: 64 });
  });

  it('is deterministic: the same seed gives the same trace, byte for byte', () => {
    const run = (seed: number): string => {
      const machine = createMachine({ seed, cache: { size: 2048, ways: 4 } });
      const events: TraceEvent[] = [];
      machine.trace.subscribe((event) => events.push(event));
      machine.failPoints.arm('page-alloc', { probability: 0.2 });
      for (let index = 0; index < 2000; index++) {
        const pa = 0x4000_0000 + ((index * 2654435761) % 0x4_0000);
        if (index % 3 === 0) machine.cpu.write32(pa & ~3, index);
        else machine.cpu.read32(pa & ~3);
        if (index % 97 === 0) {
          try {
            machine.pageAllocator.allocPages(index % 3, 'd');
          } catch {
            // failures are part of the trace
          }
        }
      }
      return JSON.stringify(events);
    };
    expect(run(77)).toBe(run(77));
    expect(run(77)).not.toBe(run(78));
  });
});
