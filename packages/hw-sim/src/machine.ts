import { Cpu } from './cpu/cpu';
import { DataCache, type DataCacheConfig } from './cpu/data-cache';
import { SocmemError } from './errors/socmem-error';
import { Bus } from './memory/bus';
import { DevicePort } from './memory/device-port';
import { Ram, type RamBankConfig } from './memory/ram';
import { SimClock } from './observability/clock';
import { Diagnostics } from './observability/diagnostics';
import { FailPoints } from './observability/fail-points';
import { SeededRng } from './observability/rng';
import { TraceStream } from './observability/trace';
import type { PageAllocator } from './page-allocator/page-allocator';
import { SimplePageAllocator } from './page-allocator/simple-page-allocator';

/** A plain description of a simulated SoC. Every field has a default. */
export interface MachineConfig {
  /** Seed of the machine's RNG. Default 1. */
  readonly seed?: number;
  /** DRAM banks. Default: 1 GiB at 0x4000_0000 and 1 GiB at 0x8_8000_0000 (above 4 GiB). */
  readonly ram?: readonly RamBankConfig[];
  /** The CPU data cache. Default: enabled, 32 KiB, 4 ways. */
  readonly cache?: DataCacheConfig;
  /**
   * Range of the simple page allocator, or false for none (when @socmem/cma provides one).
   * Default: the top 256 MiB of the first bank.
   */
  readonly pageAllocator?: { readonly base: number; readonly size: number } | false;
}

export const DEFAULT_RAM: readonly RamBankConfig[] = [
  { name: 'dram0', base: 0x4000_0000, size: 0x4000_0000 },
  { name: 'dram1', base: 0x8_8000_0000, size: 0x4000_0000 },
];

/** The components' counters, read at one moment. */
export interface MachineCounters {
  readonly bus: Readonly<Record<string, number>>;
  readonly cache: Readonly<Record<string, number>>;
}

/**
 * One simulated SoC: RAM behind a bus, a CPU with a data cache, a seeded RNG, simulated time,
 * a trace stream, fail points, diagnostics and (optionally) a simple page allocator.
 */
export class Machine {
  readonly seed: number;
  readonly clock = new SimClock();
  readonly rng: SeededRng;
  readonly trace: TraceStream;
  readonly failPoints: FailPoints;
  readonly diagnostics: Diagnostics;
  readonly ram: Ram;
  readonly bus: Bus;
  readonly cache: DataCache;
  readonly cpu: Cpu;
  private allocator: PageAllocator | null;

  constructor(config: MachineConfig = {}) {
    this.seed = config.seed ?? 1;
    if (!Number.isInteger(this.seed))
      throw new SocmemError('EINVAL', `machine: seed ${this.seed} is not an integer`);
    this.rng = new SeededRng(this.seed);
    this.trace = new TraceStream(this.clock);
    this.failPoints = new FailPoints(this.rng.fork('fail-points'), this.trace);
    this.diagnostics = new Diagnostics(this.clock, this.trace);
    this.ram = new Ram(config.ram ?? DEFAULT_RAM);
    this.bus = new Bus(this.ram, this.trace);
    this.cache = new DataCache(
      config.cache ?? {},
      this.bus,
      this.rng.fork('data-cache'),
      this.trace,
    );
    this.cpu = new Cpu(this.bus, this.cache);
    this.allocator = null;
    const range = config.pageAllocator ?? defaultAllocatorRange(this.ram);
    if (range !== false) {
      this.ram.requireRange(range.base, range.size, 'write');
      this.allocator = new SimplePageAllocator(
        { name: 'simple-page-allocator', base: range.base, size: range.size },
        {
          zero: (pa, size) => this.cpu.fill(pa, 0, size),
          failPoints: this.failPoints,
          trace: this.trace,
        },
      );
    }
  }

  /** The machine's page allocator. Throws ENODEV when none was configured or installed. */
  get pageAllocator(): PageAllocator {
    if (this.allocator === null)
      throw new SocmemError('ENODEV', 'machine: no page allocator configured');
    return this.allocator;
  }

  /** Installs a page allocator (for instance @socmem/cma's buddy allocator) in place of the simple one. */
  setPageAllocator(allocator: PageAllocator): void {
    this.allocator = allocator;
  }

  /** A device's untranslated, optionally cache-coherent port onto the bus. */
  devicePort(name: string, options: { coherent?: boolean } = {}): DevicePort {
    return new DevicePort(this.bus, this.cache, name, options.coherent ?? false);
  }

  /** A snapshot of every component's counters. */
  counters(): MachineCounters {
    return { bus: { ...this.bus.counters }, cache: { ...this.cache.counters } };
  }

  /** Checks the invariants of RAM, the cache and the simple page allocator. */
  checkInvariants(): void {
    this.ram.checkInvariants();
    this.cache.checkInvariants();
    if (this.allocator instanceof SimplePageAllocator) this.allocator.checkInvariants();
  }
}

/** Creates a machine; `createMachine()` alone gives a useful SoC. */
export function createMachine(config: MachineConfig = {}): Machine {
  return new Machine(config);
}

function defaultAllocatorRange(ram: Ram): { base: number; size: number } {
  const first = ram.banks[0]!;
  const size = Math.min(first.size, 256 * 1024 * 1024);
  return { base: first.end - size, size };
}
