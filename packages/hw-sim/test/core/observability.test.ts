import { createMachine, SeededRng, type TraceEvent } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';

describe('SeededRng', () => {
  it('gives the same sequence for the same seed and different ones for different seeds', () => {
    const a = new SeededRng(1234);
    const b = new SeededRng(1234);
    const c = new SeededRng(1235);
    const first = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(first);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(first);
  });

  it('stays in range and is roughly uniform', () => {
    const rng = new SeededRng(0);
    const buckets = new Array<number>(8).fill(0);
    for (let index = 0; index < 8000; index++) {
      const value = rng.nextBelow(8);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(8);
      buckets[value]!++;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(850);
    const float = rng.nextFloat();
    expect(float >= 0 && float < 1).toBe(true);
  });

  it('forks independent streams by label', () => {
    const rng = new SeededRng(9);
    expect(rng.fork('cache').nextU32()).toBe(new SeededRng(9).fork('cache').nextU32());
    expect(rng.fork('cache').nextU32()).not.toBe(rng.fork('tlb').nextU32());
  });
});

describe('FailPoints', () => {
  it('fails exactly the nth call after arming, then disarms', () => {
    const { failPoints } = createMachine();
    failPoints.arm('site', { nth: 3 });
    expect([1, 2, 3, 4, 5].map(() => failPoints.shouldFail('site'))).toEqual([
      false,
      false,
      true,
      false,
      false,
    ]);
    expect(failPoints.calls('site')).toBe(5);
    expect(failPoints.failures('site')).toBe(1);
  });

  it('fails every call until disarmed, and only the armed site', () => {
    const { failPoints } = createMachine();
    failPoints.arm('a', { every: true });
    expect(failPoints.shouldFail('a')).toBe(true);
    expect(failPoints.shouldFail('b')).toBe(false);
    expect(failPoints.shouldFail('a')).toBe(true);
    failPoints.disarm('a');
    expect(failPoints.shouldFail('a')).toBe(false);
    expect(failPoints.seen()).toEqual(['a', 'b']);
  });

  it('fails with a seeded probability, reproducibly', () => {
    const run = () => {
      const { failPoints } = createMachine({ seed: 5 });
      failPoints.arm('p', { probability: 0.25 });
      return Array.from({ length: 400 }, () => failPoints.shouldFail('p'));
    };
    const first = run();
    expect(run()).toEqual(first);
    const failures = first.filter(Boolean).length;
    expect(failures).toBeGreaterThan(60);
    expect(failures).toBeLessThan(140);
  });

  it('hands out one handle per name, counting with the name-based calls', () => {
    const { failPoints } = createMachine();
    const site = failPoints.site('hot-alloc');
    expect(failPoints.site('hot-alloc')).toBe(site);
    failPoints.arm('hot-alloc', { nth: 2 });
    expect([site.shouldFail(), failPoints.shouldFail('hot-alloc'), site.shouldFail()]).toEqual([
      false,
      true,
      false,
    ]);
    expect(failPoints.calls('hot-alloc')).toBe(3);
    expect(site.failures).toBe(1);
    failPoints.reset();
    expect(site.calls).toBe(0);
    expect(failPoints.seen()).toEqual([]);
  });

  it('rejects bad policies with EINVAL', () => {
    const { failPoints } = createMachine();
    expect(() => failPoints.arm('x', { nth: 0 })).toThrow(
      /EINVAL: fail point x: nth must be an integer >= 1, got 0/,
    );
    expect(() => failPoints.arm('x', { probability: 1.5 })).toThrow(/EINVAL/);
  });

  it('reports a fail-point trace event and resets', () => {
    const { failPoints, trace } = createMachine();
    failPoints.arm('x', { nth: 1 });
    const events = trace.record(() => failPoints.shouldFail('x'));
    expect(events).toMatchObject([{ kind: 'fail-point', name: 'x', call: 1 }]);
    failPoints.reset();
    expect(failPoints.seen()).toEqual([]);
  });
});

describe('Diagnostics and trace', () => {
  it('records WARNs as events stamped with simulated time, not exceptions', () => {
    const machine = createMachine();
    machine.clock.advance(5);
    machine.diagnostics.warn('io-pgtable-arm', 'Unmap of a partial large IOPTE is not allowed');
    expect(machine.diagnostics.events).toEqual([
      {
        kind: 'WARN',
        source: 'io-pgtable-arm',
        message: 'Unmap of a partial large IOPTE is not allowed',
        time: 5,
      },
    ]);
    expect(machine.diagnostics.take()).toHaveLength(1);
    expect(machine.diagnostics.events).toHaveLength(0);
  });

  it('is inactive (free) with no listener and delivers typed events with sequence numbers', () => {
    const machine = createMachine({ cache: { enabled: false } });
    expect(machine.trace.active).toBe(false);
    const seen: TraceEvent[] = [];
    const stop = machine.trace.subscribe((event) => seen.push(event));
    expect(machine.trace.active).toBe(true);
    machine.cpu.write32(0x4000_0000, 1);
    machine.diagnostics.warn('x', 'y');
    stop();
    machine.cpu.write32(0x4000_0000, 2);
    expect(machine.trace.active).toBe(false);
    expect(seen.map((event) => [event.kind, event.seq])).toEqual([
      ['bus', 0],
      ['warn', 1],
    ]);
  });

  it('traces allocations and cache events', () => {
    const machine = createMachine({ cache: { size: 1024, ways: 1 } });
    const events = machine.trace.record(() => {
      const pa = machine.pageAllocator.allocPages(0, 'traced');
      machine.cache.clean(pa, 64);
      machine.pageAllocator.freePages(pa, 0);
    });
    const kinds = new Set(events.map((event) => event.kind));
    expect(kinds).toEqual(new Set(['alloc', 'cache', 'bus']));
    expect(
      events
        .filter((event) => event.kind === 'alloc')
        .map((event) => event.kind === 'alloc' && event.op),
    ).toEqual(['alloc', 'free']);
  });
});
