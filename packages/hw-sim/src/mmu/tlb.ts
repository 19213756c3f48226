import { InvariantError } from '../errors/invariant-error';
import { hex, SocmemError } from '../errors/socmem-error';
import type { SeededRng } from '../observability/rng';
import type { TraceStream } from '../observability/trace';
import type { TranslationResult } from './translation';

declare module '../observability/trace' {
  interface TraceEvents {
    /** A TLB event; -1 marks a field that does not apply (e.g. the address of invalidate-all). */
    tlb: {
      tlb: string;
      op: 'hit' | 'miss' | 'insert' | 'evict' | 'invalidate';
      inputAddress: number;
      size: number;
      asid: number;
      vmid: number;
    };
  }
}

/** Event counts of a TLB. */
export class TlbCounters {
  hits = 0;
  misses = 0;
  insertions = 0;
  /** Valid entries displaced by an insertion. */
  evictions = 0;
  /** Invalidation operations (each call of an invalidate* method). */
  invalidations = 0;
  /** Entries those operations removed. */
  invalidatedEntries = 0;
}

export interface TlbOptions {
  readonly name: string;
  /** Number of sets, a power of two. */
  readonly sets: number;
  /** Entries per set (1..64). */
  readonly ways: number;
}

const TWO_POW_32 = 0x1_0000_0000;
const FLAG_NON_GLOBAL = 1;
const FLAG_NON_SECURE = 2;

/**
 * A set-associative TLB with seeded random replacement. Entries are tagged by ASID, VMID,
 * input page, page size and level and keep permissions and attributes. Like hardware it is not
 * coherent with the page tables: an entry is used until an invalidation removes it.
 *
 * Entries of several page sizes live side by side: each size indexes the sets with its own
 * page number, and a lookup probes the sizes present, smallest first.
 */
export class Tlb {
  readonly name: string;
  readonly sets: number;
  readonly ways: number;
  readonly counters = new TlbCounters();
  private readonly setMask: number;
  /** log2 of the entry's page size; 0 marks an invalid slot. */
  private readonly shift: Uint8Array;
  private readonly page: Float64Array;
  private readonly paBase: Float64Array;
  private readonly asid: Int32Array;
  private readonly vmid: Int32Array;
  private readonly flags: Uint8Array;
  private readonly level: Uint8Array;
  private readonly permissions: Uint8Array;
  private readonly attributes: Uint8Array;
  private readonly shareability: Uint8Array;
  private readonly descriptorLo: Uint32Array;
  private readonly descriptorHi: Uint32Array;
  /** Valid entries per page-size shift, and the shifts present in ascending order. */
  private readonly shiftCount = new Int32Array(64);
  private readonly activeShifts = new Uint8Array(64);
  private activeCount = 0;
  private readonly rng: SeededRng;
  private readonly trace: TraceStream;

  constructor(options: TlbOptions, rng: SeededRng, trace: TraceStream) {
    const { name, sets, ways } = options;
    if (!Number.isInteger(sets) || sets < 1 || sets > 1 << 20 || (sets & (sets - 1)) !== 0) {
      throw new SocmemError('EINVAL', `tlb ${name}: ${sets} sets is not a power of two up to 2^20`);
    }
    if (!Number.isInteger(ways) || ways < 1 || ways > 64)
      throw new SocmemError('EINVAL', `tlb ${name}: ${ways} ways is not 1..64`);
    this.name = name;
    this.sets = sets;
    this.ways = ways;
    this.setMask = sets - 1;
    const entries = sets * ways;
    this.shift = new Uint8Array(entries);
    this.page = new Float64Array(entries);
    this.paBase = new Float64Array(entries);
    this.asid = new Int32Array(entries);
    this.vmid = new Int32Array(entries);
    this.flags = new Uint8Array(entries);
    this.level = new Uint8Array(entries);
    this.permissions = new Uint8Array(entries);
    this.attributes = new Uint8Array(entries);
    this.shareability = new Uint8Array(entries);
    this.descriptorLo = new Uint32Array(entries);
    this.descriptorHi = new Uint32Array(entries);
    this.rng = rng;
    this.trace = trace;
  }

  /** Number of valid entries. */
  get size(): number {
    let count = 0;
    for (let slot = 0; slot < this.shift.length; slot++) if (this.shift[slot] !== 0) count++;
    return count;
  }

  /**
   * Finds a cached translation covering `inputAddress` for (asid, vmid); global entries match
   * any ASID. On a hit fills `out` (pa with offset, pageSize, level, permissions with the
   * privileged view in readable/writable/executable, attributes, leaf descriptor) and returns true.
   */
  lookup(asid: number, vmid: number, inputAddress: number, out: TranslationResult): boolean {
    const ways = this.ways;
    for (let k = 0; k < this.activeCount; k++) {
      const shift = this.activeShifts[k]!;
      const page =
        inputAddress < TWO_POW_32 && shift < 32
          ? inputAddress >>> shift
          : Math.floor(inputAddress / 2 ** shift);
      const first = (page & this.setMask) * ways;
      for (let slot = first; slot < first + ways; slot++) {
        if (
          this.shift[slot] === shift &&
          this.page[slot] === page &&
          this.vmid[slot] === vmid &&
          ((this.flags[slot]! & FLAG_NON_GLOBAL) === 0 || this.asid[slot] === asid)
        ) {
          this.counters.hits++;
          this.fill(slot, inputAddress, page, shift, out);
          if (this.trace.active) this.emit('hit', inputAddress, 2 ** shift, asid, vmid);
          return true;
        }
      }
    }
    this.counters.misses++;
    if (this.trace.active) this.emit('miss', inputAddress, -1, asid, vmid);
    return false;
  }

  /**
   * Caches a walk's translation (a success, or a permission fault: the translation itself is
   * valid). Replaces an entry with the same tag; otherwise takes a free way of the set or
   * evicts a seeded-random one.
   */
  insert(asid: number, vmid: number, result: TranslationResult): void {
    if (result.fault !== null && result.fault !== 'permission') {
      throw new SocmemError(
        'EINVAL',
        `tlb ${this.name}: cannot cache a ${result.fault} fault at ${hex(result.inputAddress)}`,
      );
    }
    const size = result.pageSize;
    const shift = Math.log2(size);
    if (!Number.isInteger(shift) || shift < 10 || shift > 48) {
      throw new SocmemError(
        'EINVAL',
        `tlb ${this.name}: page size ${size} is not a power of two from 1 KiB to 2^48`,
      );
    }
    const page = Math.floor(result.inputAddress / size);
    const nonGlobal = result.nonGlobal;
    const first = (page & this.setMask) * this.ways;
    let target = -1;
    let free = -1;
    for (let slot = first; slot < first + this.ways; slot++) {
      if (this.shift[slot] === 0) {
        if (free < 0) free = slot;
        continue;
      }
      const slotNonGlobal = (this.flags[slot]! & FLAG_NON_GLOBAL) !== 0;
      if (
        this.shift[slot] === shift &&
        this.page[slot] === page &&
        this.vmid[slot] === vmid &&
        slotNonGlobal === nonGlobal &&
        (!nonGlobal || this.asid[slot] === asid)
      ) {
        target = slot;
        break;
      }
    }
    if (target < 0) target = free;
    if (target < 0) {
      target = first + this.rng.nextBelow(this.ways);
      this.counters.evictions++;
      if (this.trace.active)
        this.emit(
          'evict',
          this.page[target]! * 2 ** this.shift[target]!,
          2 ** this.shift[target]!,
          this.asid[target]!,
          this.vmid[target]!,
        );
      this.drop(target);
    } else if (this.shift[target] !== 0) {
      this.drop(target);
    }
    this.counters.insertions++;
    this.shift[target] = shift;
    this.page[target] = page;
    this.paBase[target] = result.pa - (result.inputAddress - page * size);
    this.asid[target] = asid;
    this.vmid[target] = vmid;
    this.flags[target] =
      (nonGlobal ? FLAG_NON_GLOBAL : 0) | (result.nonSecure ? FLAG_NON_SECURE : 0);
    this.level[target] = result.level;
    this.permissions[target] = result.permissions;
    this.attributes[target] = result.memoryAttributes;
    this.shareability[target] = result.shareability;
    this.descriptorLo[target] = result.descriptorLo;
    this.descriptorHi[target] = result.descriptorHi;
    if (this.shiftCount[shift]!++ === 0) this.rebuildShifts();
    if (this.trace.active) this.emit('insert', page * size, size, asid, vmid);
  }

  /** Removes every entry (TLBIALL). */
  invalidateAll(): void {
    this.invalidateWhere(-1, -1, () => true);
  }

  /** Removes the non-global entries of `asid` (TLBI ASIDE1 / SMMU TLBIASID); global entries stay. */
  invalidateAsid(asid: number, vmid?: number): void {
    this.invalidateWhere(
      -1,
      -1,
      (slot) =>
        this.isNonGlobal(slot) &&
        this.asid[slot] === asid &&
        (vmid === undefined || this.vmid[slot] === vmid),
      asid,
      vmid,
    );
  }

  /** Removes every entry of `vmid` (TLBI VMALLS12E1 / SMMU TLBIVMID). */
  invalidateVmid(vmid: number): void {
    this.invalidateWhere(-1, -1, (slot) => this.vmid[slot] === vmid, -1, vmid);
  }

  /**
   * Removes the entries that translate `inputAddress`: with `asid`, that ASID's entries and
   * global ones (TLBI VAE1 / SMMU TLBIVA); without, every entry for the address (TLBI VAAE1 /
   * TLBIVAA). `vmid` limits it to one VMID.
   */
  invalidateVa(inputAddress: number, asid?: number, vmid?: number): void {
    this.invalidateRange(inputAddress, 1, asid, vmid);
  }

  /** Removes the entries overlapping [inputAddress, inputAddress + size) (TLBI RVAE1), with `asid`/`vmid` as for invalidateVa. */
  invalidateRange(inputAddress: number, size: number, asid?: number, vmid?: number): void {
    if (
      !Number.isSafeInteger(inputAddress) ||
      inputAddress < 0 ||
      !Number.isSafeInteger(size) ||
      size < 1
    ) {
      throw new SocmemError(
        'EINVAL',
        `tlb ${this.name}: bad invalidation range ${hex(inputAddress)} + ${size}`,
      );
    }
    const end = inputAddress + size;
    this.invalidateWhere(
      inputAddress,
      size,
      (slot) => {
        const entrySize = 2 ** this.shift[slot]!;
        const start = this.page[slot]! * entrySize;
        if (start >= end || start + entrySize <= inputAddress) return false;
        if (vmid !== undefined && this.vmid[slot] !== vmid) return false;
        return asid === undefined || !this.isNonGlobal(slot) || this.asid[slot] === asid;
      },
      asid,
      vmid,
    );
  }

  /** Every valid entry sits in the set its page selects; shift counts match; no tag is cached twice. */
  checkInvariants(): void {
    const counts = new Int32Array(64);
    const seen = new Set<string>();
    for (let slot = 0; slot < this.shift.length; slot++) {
      const shift = this.shift[slot]!;
      if (shift === 0) continue;
      counts[shift]!++;
      const page = this.page[slot]!;
      if (!Number.isSafeInteger(page) || Math.floor(slot / this.ways) !== (page & this.setMask)) {
        throw new InvariantError(
          `tlb ${this.name}`,
          `entry ${slot} (page ${page}, shift ${shift}) is in the wrong set`,
        );
      }
      const key = `${shift}:${page}:${this.vmid[slot]}:${this.isNonGlobal(slot) ? this.asid[slot] : 'g'}`;
      if (seen.has(key)) throw new InvariantError(`tlb ${this.name}`, `tag ${key} cached twice`);
      seen.add(key);
    }
    for (let shift = 0; shift < 64; shift++) {
      if (counts[shift] !== this.shiftCount[shift]) {
        throw new InvariantError(
          `tlb ${this.name}`,
          `page-size count for shift ${shift} is ${this.shiftCount[shift]}, entries say ${counts[shift]}`,
        );
      }
    }
    let active = 0;
    for (let shift = 0; shift < 64; shift++)
      if (counts[shift]! > 0 && this.activeShifts[active++] !== shift) {
        throw new InvariantError(
          `tlb ${this.name}`,
          `page size shift ${shift} missing from the probe list`,
        );
      }
    if (active !== this.activeCount)
      throw new InvariantError(
        `tlb ${this.name}`,
        `probe list has ${this.activeCount} sizes, entries have ${active}`,
      );
  }

  private fill(
    slot: number,
    inputAddress: number,
    page: number,
    shift: number,
    out: TranslationResult,
  ): void {
    const size = 2 ** shift;
    const permissions = this.permissions[slot]!;
    const flags = this.flags[slot]!;
    out.inputAddress = inputAddress;
    out.pa = this.paBase[slot]! + (inputAddress - page * size);
    out.pageSize = size;
    out.level = this.level[slot]!;
    out.permissions = permissions;
    out.readable = (permissions & 1) !== 0;
    out.writable = (permissions & 2) !== 0;
    out.executable = (permissions & 4) !== 0;
    out.memoryAttributes = this.attributes[slot]!;
    out.shareability = this.shareability[slot]!;
    out.nonGlobal = (flags & FLAG_NON_GLOBAL) !== 0;
    out.nonSecure = (flags & FLAG_NON_SECURE) !== 0;
    out.descriptorLo = this.descriptorLo[slot]!;
    out.descriptorHi = this.descriptorHi[slot]!;
    out.fault = null;
    out.faultLevel = 0;
    out.faultStage = 0;
    out.faultStatus = 0;
    out.faultAccess = 0;
    out.faultDescriptorAddress = -1;
    out.walkReads = 0;
  }

  private isNonGlobal(slot: number): boolean {
    return (this.flags[slot]! & FLAG_NON_GLOBAL) !== 0;
  }

  private invalidateWhere(
    inputAddress: number,
    size: number,
    matches: (slot: number) => boolean,
    asid = -1,
    vmid = -1,
  ): void {
    this.counters.invalidations++;
    if (this.trace.active) this.emit('invalidate', inputAddress, size, asid, vmid);
    for (let slot = 0; slot < this.shift.length; slot++) {
      if (this.shift[slot] !== 0 && matches(slot)) {
        this.drop(slot);
        this.counters.invalidatedEntries++;
      }
    }
  }

  private drop(slot: number): void {
    const shift = this.shift[slot]!;
    this.shift[slot] = 0;
    if (--this.shiftCount[shift]! === 0) this.rebuildShifts();
  }

  private rebuildShifts(): void {
    let count = 0;
    for (let shift = 0; shift < 64; shift++)
      if (this.shiftCount[shift]! > 0) this.activeShifts[count++] = shift;
    this.activeCount = count;
  }

  private emit(
    op: 'hit' | 'miss' | 'insert' | 'evict' | 'invalidate',
    inputAddress: number,
    size: number,
    asid: number,
    vmid: number,
  ): void {
    this.trace.emit('tlb', { tlb: this.name, op, inputAddress, size, asid, vmid });
  }
}
