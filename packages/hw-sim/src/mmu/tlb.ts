import { hex, SocmemError } from '../errors/socmem-error';
import type { SeededRng } from '../observability/rng';
import type { TraceStream } from '../observability/trace';
import { POW2 } from './pow2';
import { checkTlbInvariants, tlbEntries, tlbSize } from './tlb-inspection';
import {
  invalidateAllEntries,
  invalidateAsidEntries,
  invalidateRangeEntries,
  invalidateVmidEntries,
} from './tlb-invalidation';
import {
  dropEntry,
  emitTlbEvent,
  entrySize,
  entryStart,
  rebuildShifts,
  type TlbStorage,
  tlbHintSize,
  tlbSlotCount,
} from './tlb-storage';
import { TlbCounters, type TlbEntry, type TlbOptions } from './tlb-types';
import type { TranslationResult } from './translation';
import { clearFault } from './walk-fault';

// The methods below write TLB_INVALID and TLB_GLOBAL (tlb-storage.ts) as the literal -1 and
// TLB_INFO_NS as 0x4_0000, and POW2 as the field `pow2`: V8 reloads an imported or module-level
// binding from the module context on every access (a getter call once transpiled), which made a
// full-record lookup five times slower.

/**
 * A set-associative TLB with seeded random replacement. Entries are tagged by ASID, VMID,
 * input page, page size and level and keep permissions and attributes. Like hardware it is not
 * coherent with the page tables: an entry is used until an invalidation removes it.
 *
 * This file holds lookup and insertion (the hot paths); the entry store is TlbStorage
 * (tlb-storage.ts), the invalidation rules tlb-invalidation.ts, inspection tlb-inspection.ts.
 *
 * Entries of several page sizes live side by side: each size indexes the sets with its own
 * page number, and a lookup probes the sizes present, smallest first. A slot-hint table
 * (a software shortcut that never changes which entries exist) finds the way of a recent hit
 * without scanning the set.
 */
export class Tlb implements TlbStorage {
  readonly name: string;
  readonly sets: number;
  readonly ways: number;
  readonly counters = new TlbCounters();
  readonly setMask: number;
  readonly key: Float64Array;
  readonly vmid: Int32Array;
  readonly asidTag: Int32Array;
  readonly paBase: Float64Array;
  readonly info: Int32Array;
  private readonly descriptorLo: Uint32Array;
  private readonly descriptorHi: Uint32Array;
  /** Slot of a recent hit per page (a shortcut that never changes which entries exist). */
  private readonly hint: Int32Array;
  private readonly hintMask: number;
  readonly shiftCount = new Int32Array(64);
  readonly activeShifts = new Uint8Array(64);
  activeCount = 0;
  /** Page number and size shift of the entry the last probe found. */
  private probePage = 0;
  private probeShift = 0;
  private readonly rng: SeededRng;
  readonly trace: TraceStream;
  /** POW2 as a field (see the note above the class). */
  private readonly pow2 = POW2;

  /** EINVAL unless `sets` is a power of two up to 2^20 and `ways` is 1..64. */
  constructor(options: TlbOptions, rng: SeededRng, trace: TraceStream) {
    const entries = tlbSlotCount(options);
    this.name = options.name;
    this.sets = options.sets;
    this.ways = options.ways;
    this.setMask = options.sets - 1;
    this.key = new Float64Array(entries).fill(-1); // TLB_INVALID
    this.vmid = new Int32Array(entries);
    this.asidTag = new Int32Array(entries);
    this.paBase = new Float64Array(entries);
    this.info = new Int32Array(entries);
    this.descriptorLo = new Uint32Array(entries);
    this.descriptorHi = new Uint32Array(entries);
    const hintSize = tlbHintSize(entries);
    this.hint = new Int32Array(hintSize);
    this.hintMask = hintSize - 1;
    this.rng = rng;
    this.trace = trace;
  }

  /** Number of valid entries. */
  get size(): number {
    return tlbSize(this);
  }

  /** The valid entries in slot order (for inspection; allocates). */
  entries(): TlbEntry[] {
    return tlbEntries(this);
  }

  /**
   * Finds a cached translation covering `inputAddress` for (asid, vmid); global entries match
   * any ASID. On a hit fills `out` (pa with offset, pageSize, level, permissions with the
   * privileged view in readable/writable/executable, attributes, leaf descriptor; fault null,
   * walkReads 0) and returns true.
   */
  lookup(asid: number, vmid: number, inputAddress: number, out: TranslationResult): boolean {
    const slot = this.countedProbe(asid, vmid, inputAddress);
    if (slot < 0) return false;
    this.fill(slot, inputAddress, out);
    return true;
  }

  /**
   * The hot-path form of {@link lookup}: the output address of `inputAddress` when a cached
   * translation exists and allows `access` (ACCESS_* bits); -1 on a miss; -2 on a hit whose
   * permissions refuse `access` ({@link refill} then gives the record). Writes no result
   * record; counts hits and misses like `lookup`.
   */
  lookupPa(asid: number, vmid: number, inputAddress: number, access: number): number {
    // Fast path, small enough to inline into callers (so the PA is never boxed): one page size
    // present, the hinted way holds the page, nobody tracing. Literals stand in for GLOBAL (-1)
    // and 2^32, and `this.pow2` for POW2: V8 reloads module constants from the module context
    // on every call, which cost more than the rest of a hit.
    if (this.activeCount === 1 && !this.trace.active) {
      const shift = this.activeShifts[0]!;
      const page =
        inputAddress < 0x1_0000_0000 && shift < 32
          ? inputAddress >>> shift
          : Math.floor(inputAddress / this.pow2[shift]!);
      const slot = this.hint[page & this.hintMask]!;
      const tag = this.asidTag[slot]!;
      if (
        this.key[slot] === page * 64 + shift &&
        this.vmid[slot] === vmid &&
        (tag === -1 || tag === asid)
      ) {
        this.counters.hits++;
        const need = access & 7;
        if (((this.info[slot]! >>> ((access & 8) !== 0 ? 2 : 5)) & need) !== need) return -2;
        return this.paBase[slot]! + (inputAddress - page * this.pow2[shift]!);
      }
    }
    return this.lookupPaSlow(asid, vmid, inputAddress, access);
  }

  private lookupPaSlow(asid: number, vmid: number, inputAddress: number, access: number): number {
    const slot = this.countedProbe(asid, vmid, inputAddress);
    if (slot < 0) return -1;
    const need = access & 7;
    if (((this.info[slot]! >>> ((access & 8) !== 0 ? 2 : 5)) & need) !== need) return -2;
    return this.paBase[slot]! + (inputAddress - this.probePage * this.pow2[this.probeShift]!);
  }

  /** {@link probe} that counts and traces the hit or miss (what every lookup does). */
  private countedProbe(asid: number, vmid: number, inputAddress: number): number {
    const slot = this.probe(asid, vmid, inputAddress);
    if (slot < 0) {
      this.counters.misses++;
      if (this.trace.active) emitTlbEvent(this, 'miss', inputAddress, -1, asid, vmid);
      return -1;
    }
    this.counters.hits++;
    if (this.trace.active) {
      emitTlbEvent(this, 'hit', inputAddress, this.pow2[this.probeShift]!, asid, vmid);
    }
    return slot;
  }

  /**
   * The slot of the entry translating `inputAddress` for the tags, or -1, probing the page
   * sizes present smallest first. Leaves the matched page number and size shift in
   * `probePage`/`probeShift`.
   */
  private probe(asid: number, vmid: number, inputAddress: number): number {
    for (let k = 0; k < this.activeCount; k++) {
      const shift = this.activeShifts[k]!;
      const page =
        inputAddress < 0x1_0000_0000 && shift < 32
          ? inputAddress >>> shift
          : Math.floor(inputAddress / this.pow2[shift]!);
      const slot = this.findSlot(page, shift, asid, vmid);
      if (slot >= 0) {
        this.probePage = page;
        this.probeShift = shift;
        return slot;
      }
    }
    return -1;
  }

  /** The slot caching (page, shift) for the tags, or -1; tries the hint first and refreshes it. */
  private findSlot(page: number, shift: number, asid: number, vmid: number): number {
    const want = page * 64 + shift;
    const hinted = this.hint[page & this.hintMask]!;
    if (this.key[hinted] === want && this.matchesTags(hinted, asid, vmid)) return hinted;
    const first = (page & this.setMask) * this.ways;
    for (let slot = first; slot < first + this.ways; slot++) {
      if (this.key[slot] === want && this.matchesTags(slot, asid, vmid)) {
        this.hint[page & this.hintMask] = slot;
        return slot;
      }
    }
    return -1;
  }

  /** Fills `out` from the entry for `inputAddress` like {@link lookup}, without counting or tracing a hit. */
  refill(asid: number, vmid: number, inputAddress: number, out: TranslationResult): boolean {
    const slot = this.probe(asid, vmid, inputAddress);
    if (slot < 0) return false;
    this.fill(slot, inputAddress, out);
    return true;
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
    if (!Number.isInteger(shift) || shift < 10 || shift > 52) {
      throw new SocmemError(
        'EINVAL',
        `tlb ${this.name}: page size ${size} is not a power of two from 1 KiB to 2^52`,
      );
    }
    const page = Math.floor(result.inputAddress / size);
    const want = page * 64 + shift;
    const asidTag = result.nonGlobal ? asid : -1; // TLB_GLOBAL
    const first = (page & this.setMask) * this.ways;
    let target = -1;
    let free = -1;
    for (let slot = first; slot < first + this.ways; slot++) {
      if (this.key[slot] === -1) {
        if (free < 0) free = slot;
      } else if (
        this.key[slot] === want &&
        this.vmid[slot] === vmid &&
        this.asidTag[slot] === asidTag
      ) {
        target = slot;
        break;
      }
    }
    if (target < 0) target = free;
    if (target < 0) {
      target = first + this.rng.nextBelow(this.ways);
      this.counters.evictions++;
      if (this.trace.active) {
        emitTlbEvent(
          this,
          'evict',
          entryStart(this, target),
          entrySize(this, target),
          this.asidTag[target]!,
          this.vmid[target]!,
        );
      }
      dropEntry(this, target);
    } else if (this.key[target] !== -1) {
      dropEntry(this, target);
    }
    this.counters.insertions++;
    this.key[target] = want;
    this.vmid[target] = vmid;
    this.asidTag[target] = asidTag;
    this.paBase[target] = result.pa - (result.inputAddress - page * size);
    this.info[target] =
      (result.level & 3) |
      ((result.permissions & 63) << 2) |
      ((result.memoryAttributes & 0xff) << 8) |
      ((result.shareability & 3) << 16) |
      (result.nonSecure ? 0x4_0000 : 0); // TLB_INFO_NS
    this.descriptorLo[target] = result.descriptorLo;
    this.descriptorHi[target] = result.descriptorHi;
    this.hint[page & this.hintMask] = target;
    if (this.shiftCount[shift]!++ === 0) rebuildShifts(this);
    if (this.trace.active) emitTlbEvent(this, 'insert', page * size, size, asid, vmid);
  }

  /** Removes every entry (TLBIALL). */
  invalidateAll(): void {
    invalidateAllEntries(this);
  }

  /** Removes the non-global entries of `asid` (TLBI ASIDE1 / SMMU TLBIASID); global entries stay. */
  invalidateAsid(asid: number, vmid?: number): void {
    invalidateAsidEntries(this, asid, vmid);
  }

  /** Removes every entry of `vmid` (TLBI VMALLS12E1 / SMMU TLBIVMID). */
  invalidateVmid(vmid: number): void {
    invalidateVmidEntries(this, vmid);
  }

  /**
   * Removes the entries that translate `inputAddress`: with `asid`, that ASID's entries and
   * global ones (TLBI VAE1 / SMMU TLBIVA); without, every entry for the address (TLBI VAAE1 /
   * TLBIVAA). `vmid` limits it to one VMID.
   */
  invalidateVa(inputAddress: number, asid?: number, vmid?: number): void {
    invalidateRangeEntries(this, inputAddress, 1, asid, vmid);
  }

  /** Removes the entries overlapping [inputAddress, inputAddress + size) (TLBI RVAE1), with `asid`/`vmid` as for invalidateVa. */
  invalidateRange(inputAddress: number, size: number, asid?: number, vmid?: number): void {
    invalidateRangeEntries(this, inputAddress, size, asid, vmid);
  }

  /** Every valid entry sits in the set its page selects; page-size counts match; no tag is cached twice. */
  checkInvariants(): void {
    checkTlbInvariants(this);
  }

  private matchesTags(slot: number, asid: number, vmid: number): boolean {
    const tag = this.asidTag[slot]!;
    return this.vmid[slot] === vmid && (tag === -1 || tag === asid); // -1: TLB_GLOBAL
  }

  /** Writes the translation of `inputAddress` by the entry in `slot` (found by probe) into `out`. */
  private fill(slot: number, inputAddress: number, out: TranslationResult): void {
    const size = this.pow2[this.probeShift]!;
    const info = this.info[slot]!;
    const permissions = (info >>> 2) & 63;
    out.inputAddress = inputAddress;
    out.pa = this.paBase[slot]! + (inputAddress - this.probePage * size);
    out.pageSize = size;
    out.level = info & 3;
    out.permissions = permissions;
    out.readable = (permissions & 1) !== 0;
    out.writable = (permissions & 2) !== 0;
    out.executable = (permissions & 4) !== 0;
    out.memoryAttributes = (info >>> 8) & 0xff;
    out.shareability = (info >>> 16) & 3;
    out.nonGlobal = this.asidTag[slot] !== -1; // TLB_GLOBAL
    out.nonSecure = (info & 0x4_0000) !== 0; // TLB_INFO_NS
    out.descriptorLo = this.descriptorLo[slot]!;
    out.descriptorHi = this.descriptorHi[slot]!;
    out.walkReads = 0;
    if (out.fault !== null || out.faultDescriptorAddress !== -1) clearFault(out);
  }
}
