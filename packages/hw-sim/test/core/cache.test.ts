import { CACHE_LINE_SIZE, createMachine, type Machine } from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const BUFFER = 0x4000_0000;

function machineWithCache(size = 4096, ways = 2, seed = 1): Machine {
  return createMachine({ seed, cache: { size, ways }, pageAllocator: false });
}

function ramWord(machine: Machine, pa: number): number {
  return machine.ram.read32(pa);
}

describe('CPU data cache: write-back, write-allocate, 64-byte lines', () => {
  it('a CPU store stays in the cache: RAM (and a non-coherent device) still hold the old data', () => {
    const machine = machineWithCache();
    machine.cpu.write32(BUFFER, 0x1111_1111);
    expect(machine.cpu.read32(BUFFER)).toBe(0x1111_1111);
    expect(ramWord(machine, BUFFER)).toBe(0);
    expect(machine.cache.isDirty(BUFFER)).toBe(true);
    const device = machine.devicePort('dma', { coherent: false });
    expect(device.read32(BUFFER)).toBe(0);
  });

  it('clean writes dirty lines back and keeps them cached (DC CVAC)', () => {
    const machine = machineWithCache();
    machine.cpu.write32(BUFFER + 4, 0x2222_2222);
    machine.cache.clean(BUFFER, 8);
    expect(ramWord(machine, BUFFER + 4)).toBe(0x2222_2222);
    expect(machine.cache.isCached(BUFFER)).toBe(true);
    expect(machine.cache.isDirty(BUFFER)).toBe(false);
  });

  it('a non-coherent device write is invisible to the CPU until the line is invalidated (DC IVAC)', () => {
    const machine = machineWithCache();
    expect(machine.cpu.read32(BUFFER)).toBe(0); // line now cached, clean
    machine.devicePort('dma', { coherent: false }).write32(BUFFER, 0xdead_beef);
    expect(machine.cpu.read32(BUFFER)).toBe(0); // stale
    machine.cache.invalidate(BUFFER, 4);
    expect(machine.cpu.read32(BUFFER)).toBe(0xdead_beef);
  });

  it('invalidate discards dirty data; clean+invalidate keeps it', () => {
    const machine = machineWithCache();
    machine.cpu.write32(BUFFER, 0x3333_3333);
    machine.cache.invalidate(BUFFER, 4);
    expect(machine.cpu.read32(BUFFER)).toBe(0);
    machine.cpu.write32(BUFFER, 0x4444_4444);
    machine.cache.cleanInvalidate(BUFFER, 4);
    expect(machine.cache.isCached(BUFFER)).toBe(false);
    expect(machine.cpu.read32(BUFFER)).toBe(0x4444_4444);
  });

  it('maintenance acts on whole lines touching the range', () => {
    const machine = machineWithCache();
    machine.cpu.write32(BUFFER + 60, 1);
    machine.cpu.write32(BUFFER + 64, 2);
    machine.cache.clean(BUFFER + 62, 4); // touches both lines
    expect(ramWord(machine, BUFFER + 60)).toBe(1);
    expect(ramWord(machine, BUFFER + 64)).toBe(2);
  });

  it('a coherent device sees dirty CPU lines, and its writes drop stale lines', () => {
    const machine = machineWithCache();
    const device = machine.devicePort('gpu', { coherent: true });
    machine.cpu.write32(BUFFER, 0x5555_5555);
    expect(device.read32(BUFFER)).toBe(0x5555_5555);
    machine.cpu.write32(BUFFER + 8, 0x6666_6666); // dirty line, then the device writes part of it
    device.write32(BUFFER, 0x7777_7777);
    expect(machine.cpu.read32(BUFFER)).toBe(0x7777_7777);
    expect(machine.cpu.read32(BUFFER + 8)).toBe(0x6666_6666); // the CPU's other bytes survived
  });

  it('device fills and copies follow the same coherence rules as reads and writes', () => {
    const machine = machineWithCache();
    machine.cpu.write32(BUFFER, 0x1234_5678); // dirty in the CPU cache only
    machine.cpu.read32(BUFFER + 0x1000); // clean cached line over the destination
    machine.devicePort('dma', { coherent: false }).copy(BUFFER + 0x1000, BUFFER, 64);
    expect(machine.ram.read32(BUFFER + 0x1000)).toBe(0); // copied stale RAM
    machine.devicePort('gpu', { coherent: true }).copy(BUFFER + 0x1000, BUFFER, 64);
    expect(machine.cpu.read32(BUFFER + 0x1000)).toBe(0x1234_5678); // snooped, stale line dropped
    machine.devicePort('gpu', { coherent: true }).fill(BUFFER, 0xee, 64);
    expect(machine.cpu.read32(BUFFER)).toBe(0xeeee_eeee);
    expect(() => machine.devicePort('dma').fill(0x1000, 0, 4)).toThrow(/EFAULT/);
  });

  it('dirty lines reach RAM when evicted, at a time the program does not choose', () => {
    const machine = machineWithCache(1024, 2); // 8 sets x 2 ways
    machine.cpu.write32(BUFFER, 0xabcd_0001);
    // Lines 512 bytes apart map to the same set; three of them force an eviction.
    for (let index = 1; index <= 8; index++) machine.cpu.read32(BUFFER + index * 512);
    expect(machine.cache.counters.evictions).toBeGreaterThan(0);
    expect(ramWord(machine, BUFFER)).toBe(0xabcd_0001);
  });

  it('flushAll writes everything back and empties the cache', () => {
    const machine = machineWithCache();
    for (let index = 0; index < 16; index++) machine.cpu.write32(BUFFER + index * 64, index + 1);
    machine.cache.flushAll();
    expect(machine.cache.validLines).toBe(0);
    for (let index = 0; index < 16; index++)
      expect(ramWord(machine, BUFFER + index * 64)).toBe(index + 1);
  });

  it('switching the cache off flushes it; a cacheless CPU goes straight to RAM', () => {
    const machine = machineWithCache();
    machine.cpu.write32(BUFFER, 9);
    machine.cache.setEnabled(false);
    expect(ramWord(machine, BUFFER)).toBe(9);
    machine.cpu.write32(BUFFER, 10);
    expect(ramWord(machine, BUFFER)).toBe(10);
    const maintained = machine.cache.counters.maintainedLines;
    machine.cache.clean(BUFFER, 4); // a no-op without a cache
    expect(machine.cache.counters.maintainedLines).toBe(maintained);
  });

  it('bulk CPU accesses go through the cache; whole-line writes allocate without reading RAM', () => {
    const machine = machineWithCache(8192, 4);
    const data = Uint8Array.from({ length: 300 }, (_, index) => index & 0xff);
    const readsBefore = machine.bus.counters.reads;
    machine.cpu.write(BUFFER + 64, data, 0, 256); // four whole lines
    expect(machine.bus.counters.reads).toBe(readsBefore);
    machine.cpu.write(BUFFER + 3, data); // partial lines are filled first
    const back = new Uint8Array(300);
    machine.cpu.read(BUFFER + 3, back);
    expect(back).toEqual(data);
    expect(machine.ram.read32(BUFFER)).toBe(0);
    machine.cpu.fill(BUFFER, 0x5a, 4096);
    expect(machine.cpu.read32(BUFFER + 4092)).toBe(0x5a5a_5a5a);
    expect(() => machine.cpu.fill(BUFFER, 300, 4)).toThrow(/EINVAL/);
  });

  it('rejects bad geometry and bad maintenance ranges', () => {
    expect(() => createMachine({ cache: { size: 3000 } })).toThrow(/EINVAL: data cache: size 3000/);
    expect(() => createMachine({ cache: { size: 4096, ways: 3 } })).toThrow(
      /EINVAL: data cache: ways 3/,
    );
    const machine = machineWithCache();
    expect(() => machine.cache.clean(-1, 4)).toThrow(/EINVAL/);
  });

  it('stale data appears exactly when the coherence rules say (property, against a model)', () => {
    // Model: RAM bytes, and for each cached line the CPU's copy and whether it is dirty.
    // Random CPU stores/loads, non-coherent device stores/loads and maintenance; every load
    // is checked against what the rules predict. Evictions are allowed at any time: the
    // model accounts for them by reading the simulator's own residency, never its data.
    const words = 64; // 4 lines
    const action = fc.oneof(
      fc.record({
        op: fc.constant('cpuWrite' as const),
        word: fc.nat(words - 1),
        value: fc.nat(0xffff_ffff),
      }),
      fc.record({ op: fc.constant('cpuRead' as const), word: fc.nat(words - 1) }),
      fc.record({
        op: fc.constant('devWrite' as const),
        word: fc.nat(words - 1),
        value: fc.nat(0xffff_ffff),
      }),
      fc.record({ op: fc.constant('devRead' as const), word: fc.nat(words - 1) }),
      fc.record({
        op: fc.constantFrom('clean' as const, 'invalidate' as const, 'cleanInvalidate' as const),
        word: fc.nat(words - 1),
      }),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), fc.nat(1000), (actions, seed) => {
        const machine = createMachine({
          seed,
          cache: { size: 128, ways: 2 },
          pageAllocator: false,
        });
        const device = machine.devicePort('dev', { coherent: false });
        const ram = new Uint32Array(words);
        const cached = new Map<number, { data: Uint32Array; dirty: boolean }>();
        const lineOf = (word: number) => Math.floor((word * 4) / CACHE_LINE_SIZE);
        const syncEvictions = () => {
          for (const [line, entry] of cached) {
            if (!machine.cache.isCached(BUFFER + line * CACHE_LINE_SIZE)) {
              if (entry.dirty) ram.set(entry.data, line * 16);
              cached.delete(line);
            }
          }
        };
        const cpuLine = (line: number) => {
          let entry = cached.get(line);
          if (entry === undefined) {
            entry = { data: ram.slice(line * 16, line * 16 + 16), dirty: false };
            cached.set(line, entry);
          }
          return entry;
        };
        for (const step of actions) {
          const pa = BUFFER + step.word * 4;
          const line = lineOf(step.word);
          if (step.op === 'cpuWrite') {
            machine.cpu.write32(pa, step.value);
            syncEvictions();
            const entry = cpuLine(line);
            entry.data[step.word % 16] = step.value;
            entry.dirty = true;
          } else if (step.op === 'cpuRead') {
            const value = machine.cpu.read32(pa);
            syncEvictions();
            expect(value).toBe(cpuLine(line).data[step.word % 16]);
          } else if (step.op === 'devWrite') {
            device.write32(pa, step.value);
            ram[step.word] = step.value;
          } else if (step.op === 'devRead') {
            expect(device.read32(pa)).toBe(ram[step.word]);
          } else {
            const entry = cached.get(line);
            if (step.op === 'clean') machine.cache.clean(pa, 4);
            else if (step.op === 'invalidate') machine.cache.invalidate(pa, 4);
            else machine.cache.cleanInvalidate(pa, 4);
            if (entry !== undefined) {
              if (step.op !== 'invalidate' && entry.dirty) ram.set(entry.data, line * 16);
              entry.dirty = false;
              if (step.op !== 'clean') cached.delete(line);
            }
          }
          machine.cache.checkInvariants();
          for (let word = 0; word < words; word++) {
            const entry = cached.get(lineOf(word));
            expect(machine.cache.isDirty(BUFFER + word * 4)).toBe(entry?.dirty ?? false);
          }
        }
        machine.cache.flushAll();
        syncEvictions();
        for (let word = 0; word < words; word++)
          expect(machine.ram.read32(BUFFER + word * 4)).toBe(ram[word]);
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});
