import { isPowerOfTwo } from '../bits';
import { InvariantError } from '../errors/invariant-error';
import { SocmemError } from '../errors/socmem-error';
import type { Bus } from '../memory/bus';
import type { SeededRng } from '../observability/rng';
import type { TraceStream } from '../observability/trace';

/** Geometry of the CPU data cache. Lines are always 64 bytes. */
export interface DataCacheConfig {
  /** False gives a cacheless CPU for pure-speed runs. Default true. */
  readonly enabled?: boolean;
  /** Total capacity in bytes, a power of two. Default 32 KiB. */
  readonly size?: number;
  /** Associativity, a power of two. Default 4. */
  readonly ways?: number;
}

export const CACHE_LINE_SIZE = 64;
const INVALID = -1;

/** Event counts of a data cache. */
export class DataCacheCounters {
  hits = 0;
  misses = 0;
  /** Dirty lines written to RAM (by eviction, maintenance or snoop). */
  writebacks = 0;
  /** Valid lines displaced to make room. */
  evictions = 0;
  /** Lines touched by clean, invalidate and clean+invalidate maintenance. */
  maintainedLines = 0;
  /** Ranges a coherent device snooped. */
  snoops = 0;
}

/**
 * A write-back, write-allocate, set-associative data cache with 64-byte lines and seeded
 * random replacement, so dirty lines reach RAM at moments the program does not choose.
 * Lines are tagged by physical line number (pa / 64).
 */
export class DataCache {
  readonly lineSize = CACHE_LINE_SIZE;
  readonly sets: number;
  readonly ways: number;
  readonly counters = new DataCacheCounters();
  /** Line data, `lineSize` bytes per slot (slot = set * ways + way). */
  readonly data: Uint8Array;
  readonly words: Uint32Array;
  private enabledFlag: boolean;
  private readonly tags: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly bus: Bus;
  private readonly rng: SeededRng;
  private readonly trace: TraceStream;
  private readonly setMask: number;

  constructor(config: DataCacheConfig, bus: Bus, rng: SeededRng, trace: TraceStream) {
    const size = config.size ?? 32 * 1024;
    const ways = config.ways ?? 4;
    if (!isPowerOfTwo(size) || size < CACHE_LINE_SIZE) {
      throw new SocmemError(
        'EINVAL',
        `data cache: size ${size} is not a power of two of at least 64 bytes`,
      );
    }
    if (!isPowerOfTwo(ways) || ways * CACHE_LINE_SIZE > size) {
      throw new SocmemError(
        'EINVAL',
        `data cache: ways ${ways} is not a power of two that fits ${size} bytes`,
      );
    }
    this.ways = ways;
    this.sets = size / CACHE_LINE_SIZE / ways;
    this.setMask = this.sets - 1;
    this.tags = new Float64Array(this.sets * ways).fill(INVALID);
    this.dirty = new Uint8Array(this.sets * ways);
    this.data = new Uint8Array(size);
    this.words = new Uint32Array(this.data.buffer);
    this.enabledFlag = config.enabled ?? true;
    this.bus = bus;
    this.rng = rng;
    this.trace = trace;
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  /** Switches the cache on or off. Switching off writes every dirty line back first. */
  setEnabled(enabled: boolean): void {
    if (!enabled && this.enabledFlag) this.flushAll();
    this.enabledFlag = enabled;
  }

  /**
   * The slot holding the line of `pa`, filling it on a miss. With `wholeLineWrite` the caller
   * overwrites all 64 bytes, so a miss allocates the line without reading RAM.
   */
  slotFor(pa: number, wholeLineWrite = false): number {
    // Literal 64 (CACHE_LINE_SIZE): a module constant costs a context load on every access.
    const line = pa < 0x1_0000_0000 ? pa >>> 6 : Math.floor(pa / 64);
    const first = (line & this.setMask) * this.ways;
    const tags = this.tags;
    for (let slot = first; slot < first + this.ways; slot++) {
      if (tags[slot] === line) {
        this.counters.hits++;
        return slot;
      }
    }
    this.counters.misses++;
    const slot = this.chooseVictim(first);
    this.evict(slot);
    const linePa = line * CACHE_LINE_SIZE;
    if (this.trace.active)
      this.trace.emit('cache', { op: 'miss', pa: linePa, size: CACHE_LINE_SIZE });
    if (!wholeLineWrite)
      this.bus.read(linePa, this.data, slot * CACHE_LINE_SIZE, CACHE_LINE_SIZE, 'cpu');
    tags[slot] = line;
    return slot;
  }

  /** Marks a slot's line as modified. */
  markDirty(slot: number): void {
    this.dirty[slot] = 1;
  }

  /** True when the line of `pa` is cached (clean or dirty). */
  isCached(pa: number): boolean {
    return this.find(Math.floor(pa / CACHE_LINE_SIZE)) >= 0;
  }

  /** True when the line of `pa` is cached and dirty. */
  isDirty(pa: number): boolean {
    const slot = this.find(Math.floor(pa / CACHE_LINE_SIZE));
    return slot >= 0 && this.dirty[slot] === 1;
  }

  /** Writes dirty lines of [pa, pa + size) back to RAM; they stay cached (DC CVAC). */
  clean(pa: number, size: number): void {
    this.maintain(pa, size, true, false, 'clean');
  }

  /** Drops lines of [pa, pa + size) without writing them back: dirty data is lost (DC IVAC). */
  invalidate(pa: number, size: number): void {
    this.maintain(pa, size, false, true, 'invalidate');
  }

  /** Writes back, then drops, lines of [pa, pa + size) (DC CIVAC). */
  cleanInvalidate(pa: number, size: number): void {
    this.maintain(pa, size, true, true, 'clean-invalidate');
  }

  /** Writes back and drops every line (set/way maintenance of the whole cache). */
  flushAll(): void {
    for (let slot = 0; slot < this.tags.length; slot++) {
      if (this.tags[slot] !== INVALID) this.applyToSlot(slot, true, true);
    }
    if (this.trace.active) this.trace.emit('cache', { op: 'flush-all', pa: 0, size: 0 });
  }

  /** A coherent device reads [pa, pa + size): dirty lines are written back so RAM is current. */
  snoopRead(pa: number, size: number): void {
    if (!this.enabledFlag || size === 0) return;
    this.counters.snoops++;
    this.forEachCachedLine(pa, size, true, false);
  }

  /** A coherent device writes [pa, pa + size): dirty lines are written back, then dropped. */
  snoopWrite(pa: number, size: number): void {
    if (!this.enabledFlag || size === 0) return;
    this.counters.snoops++;
    this.forEachCachedLine(pa, size, true, true);
  }

  /** Number of valid lines. */
  get validLines(): number {
    let count = 0;
    for (let slot = 0; slot < this.tags.length; slot++) if (this.tags[slot] !== INVALID) count++;
    return count;
  }

  /** Dirty lines never invalid; no line cached twice; each line in the set its address selects. */
  checkInvariants(): void {
    const seen = new Set<number>();
    for (let slot = 0; slot < this.tags.length; slot++) {
      const line = this.tags[slot]!;
      if (line === INVALID) {
        if (this.dirty[slot] !== 0)
          throw new InvariantError('data cache', `invalid slot ${slot} is dirty`);
        continue;
      }
      if (seen.has(line)) throw new InvariantError('data cache', `line ${line} cached twice`);
      seen.add(line);
      if (Math.floor(slot / this.ways) !== (line & this.setMask)) {
        throw new InvariantError('data cache', `line ${line} in the wrong set (slot ${slot})`);
      }
    }
  }

  private maintain(
    pa: number,
    size: number,
    clean: boolean,
    invalidate: boolean,
    op: 'clean' | 'invalidate' | 'clean-invalidate',
  ): void {
    if (!Number.isSafeInteger(pa) || pa < 0 || !Number.isSafeInteger(size) || size < 0) {
      throw new SocmemError('EINVAL', `data cache: bad ${op} range ${pa} + ${size}`);
    }
    if (!this.enabledFlag || size === 0) return;
    if (this.trace.active) this.trace.emit('cache', { op, pa, size });
    this.forEachCachedLine(pa, size, clean, invalidate);
  }

  /** Applies clean/invalidate to every cached line overlapping the range. */
  private forEachCachedLine(pa: number, size: number, clean: boolean, invalidate: boolean): void {
    const firstLine = Math.floor(pa / CACHE_LINE_SIZE);
    const lastLine = Math.floor((pa + size - 1) / CACHE_LINE_SIZE);
    if (lastLine - firstLine + 1 > this.tags.length) {
      // Larger than the cache: scan the slots instead of the lines.
      for (let slot = 0; slot < this.tags.length; slot++) {
        const line = this.tags[slot]!;
        if (line >= firstLine && line <= lastLine) this.applyToSlot(slot, clean, invalidate);
      }
      return;
    }
    for (let line = firstLine; line <= lastLine; line++) {
      const slot = this.find(line);
      if (slot >= 0) this.applyToSlot(slot, clean, invalidate);
    }
  }

  private applyToSlot(slot: number, clean: boolean, invalidate: boolean): void {
    this.counters.maintainedLines++;
    if (clean && this.dirty[slot] === 1) this.writeBack(slot);
    if (invalidate) {
      this.tags[slot] = INVALID;
      this.dirty[slot] = 0;
    }
  }

  private find(line: number): number {
    const first = (line & this.setMask) * this.ways;
    for (let slot = first; slot < first + this.ways; slot++)
      if (this.tags[slot] === line) return slot;
    return -1;
  }

  private chooseVictim(first: number): number {
    for (let slot = first; slot < first + this.ways; slot++)
      if (this.tags[slot] === INVALID) return slot;
    return first + this.rng.nextBelow(this.ways);
  }

  private evict(slot: number): void {
    const line = this.tags[slot]!;
    if (line === INVALID) return;
    this.counters.evictions++;
    if (this.trace.active)
      this.trace.emit('cache', { op: 'evict', pa: line * CACHE_LINE_SIZE, size: CACHE_LINE_SIZE });
    if (this.dirty[slot] === 1) this.writeBack(slot);
    this.tags[slot] = INVALID;
  }

  private writeBack(slot: number): void {
    const linePa = this.tags[slot]! * CACHE_LINE_SIZE;
    this.counters.writebacks++;
    if (this.trace.active)
      this.trace.emit('cache', { op: 'writeback', pa: linePa, size: CACHE_LINE_SIZE });
    this.bus.write(linePa, this.data, slot * CACHE_LINE_SIZE, CACHE_LINE_SIZE, 'cpu');
    this.dirty[slot] = 0;
  }
}
