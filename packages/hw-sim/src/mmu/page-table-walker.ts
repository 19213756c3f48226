import type { DataCache } from '../cpu/data-cache';
import { BusError } from '../errors/bus-error';
import { SocmemError } from '../errors/socmem-error';
import type { Bus } from '../memory/bus';
import type { TraceStream } from '../observability/trace';
import type { DescriptorReader } from './descriptor-reader';
import { LpaeGeometry } from './lpae-geometry';
import { walkLpae } from './lpae-walk';
import type { FaultKind, TranslationResult, WalkConfig } from './translation';
import { validateV7sConfig, walkV7s } from './v7s-walk';
import { resetResult } from './walk-fault';

declare module '../observability/trace' {
  interface TraceEvents {
    /** A page-table walk finished (fault null on success). */
    walk: {
      initiator: string;
      inputAddress: number;
      pa: number;
      level: number;
      reads: number;
      fault: FaultKind | null;
    };
  }
}

/** Event counts of a page-table walker. */
export class WalkerCounters {
  /** Walks started. */
  walks = 0;
  /** Descriptor reads issued (one per descriptor, whatever its size). */
  memoryReads = 0;
  /** Walks that ended in a fault (permission faults included). */
  faults = 0;
}

/**
 * A hardware page-table walker: decodes translation tables from memory by itself, as the
 * registers (a {@link WalkConfig}) describe them. A coherent walk snoops the CPU data cache
 * (sees dirty lines the CPU has not cleaned); a non-coherent walk reads RAM through the bus
 * only. Every descriptor read appears on the trace as a 'bus' event from `initiator`.
 */
export class PageTableWalker implements DescriptorReader {
  readonly counters = new WalkerCounters();
  readonly initiator: string;
  lo = 0;
  hi = 0;
  private readonly bus: Bus;
  private readonly cache: DataCache;
  private readonly trace: TraceStream | null;
  private validatedConfig: WalkConfig | null = null;
  private geometry: LpaeGeometry | null = null;
  /** Geometry of every config seen, so translation units sharing a walker switch cheaply. */
  private readonly geometries = new WeakMap<WalkConfig, LpaeGeometry | null>();

  /** `trace` (optional) receives a 'walk' event per walk. */
  constructor(bus: Bus, cache: DataCache, initiator: string, trace?: TraceStream) {
    this.bus = bus;
    this.cache = cache;
    this.initiator = initiator;
    this.trace = trace ?? null;
  }

  /**
   * Translates `inputAddress` by walking the tables `config` describes and checks `access`
   * (ACCESS_* bits). Fills `out` and returns true on success; on a fault returns false with
   * `out.fault`, `faultLevel`, `faultStage`, `faultStatus` set. Throws only for a config the
   * hardware could not hold (EINVAL).
   */
  walk(config: WalkConfig, inputAddress: number, access: number, out: TranslationResult): boolean {
    // Configs are immutable register snapshots: validate each object once.
    if (config !== this.validatedConfig) {
      this.geometry = this.prepare(config);
      this.validatedConfig = config;
    }
    this.counters.walks++;
    resetResult(out, inputAddress);
    const ok =
      config.format === 'v7s'
        ? walkV7s(this, config, inputAddress, access, out)
        : walkLpae(this, this.geometry!, config, inputAddress, access, out);
    if (!ok) this.counters.faults++;
    if (this.trace?.active) {
      this.trace.emit('walk', {
        initiator: this.initiator,
        inputAddress,
        pa: out.pa,
        level: ok ? out.level : out.faultLevel,
        reads: out.walkReads,
        fault: out.fault,
      });
    }
    return ok;
  }

  /** Reads a 64-bit little-endian descriptor into lo/hi. */
  read64(pa: number, coherent: boolean): boolean {
    this.counters.memoryReads++;
    try {
      if (coherent) this.cache.snoopRead(pa, 8);
      this.lo = this.bus.read32(pa, this.initiator);
      this.hi = this.bus.read32(pa + 4, this.initiator);
      return true;
    } catch (error) {
      if (error instanceof BusError) return false;
      throw error;
    }
  }

  /** Reads a 32-bit descriptor into lo (hi = 0). */
  read32(pa: number, coherent: boolean): boolean {
    this.counters.memoryReads++;
    try {
      if (coherent) this.cache.snoopRead(pa, 4);
      this.lo = this.bus.read32(pa, this.initiator);
      this.hi = 0;
      return true;
    } catch (error) {
      if (error instanceof BusError) return false;
      throw error;
    }
  }

  /**
   * Validates `config` as the walk would (EINVAL for a config the hardware could not hold) and
   * remembers it, so translation units can reject bad register values when they are written.
   * Returns the LPAE geometry (null for v7s).
   */
  prepare(config: WalkConfig): LpaeGeometry | null {
    const known = this.geometries.get(config);
    if (known !== undefined) return known;
    let geometry: LpaeGeometry | null;
    if (config.format === 'v7s') {
      validateV7sConfig(config);
      geometry = null;
    } else if (
      config.format === 'lpae64' ||
      config.format === 'lpae32' ||
      config.format === 'mali'
    ) {
      geometry = new LpaeGeometry(config);
    } else {
      throw new SocmemError('EINVAL', `page-table walker: unknown format ${String(config.format)}`);
    }
    this.geometries.set(config, geometry);
    return geometry;
  }
}
