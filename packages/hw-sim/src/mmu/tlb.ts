import { InvariantError } from '../errors/invariant-error';
import { hex, SocmemError } from '../errors/socmem-error';
import type { SeededRng } from '../observability/rng';
import type { TraceStream } from '../observability/trace';
import { POW2 } from './pow2';
import { TlbCounters, type TlbEntry, type TlbOptions } from './tlb-types';
import type { TranslationResult } from './translation';

const TWO_POW_32 = 0x1_0000_0000;
const INVALID = -1;
/** `asidTag` of a global entry: it matches every ASID. */
const GLOBAL = -1;
// Packed `info` word: level [1:0], permissions [7:2], attributes [15:8], shareability [17:16], NS 18.
const INFO_NS = 1 << 18;

/**
 * A set-associative TLB with seeded random replacement. Entries are tagged by ASID, VMID,
 * input page, page size and level and keep permissions and attributes. Like hardware it is not
 * coherent with the page tables: an entry is used until an invalidation removes it.
 *
 * Entries of several page sizes live side by side: each size indexes the sets with its own
 * page number, and a lookup probes the sizes present, smallest first. A slot-hint table
 * (a software shortcut that never changes which entries exist) finds the way of a recent hit
 * without scanning the set.
 */
export class Tlb {
  readonly name: string;
  readonly sets: number;
  readonly ways: number;
  readonly counters = new TlbCounters();
  private readonly setMask: number;
  /** page * 64 + log2(page size), or INVALID. */
  private readonly key: Float64Array;
  private readonly vmid: Int32Array;
  /** The ASID of a non-global entry, GLOBAL otherwise. */
  private readonly asidTag: Int32Array;
  private readonly paBase: Float64Array;
  private readonly info: Int32Array;
  private readonly descriptorLo: Uint32Array;
  private readonly descriptorHi: Uint32Array;
  private readonly hint: Int32Array;
  private readonly hintMask: number;
  /** Valid entries per page-size shift, and the shifts present in ascending order. */
  private readonly shiftCount = new Int32Array(64);
  private readonly activeShifts = new Uint8Array(64);
  private activeCount = 0;
  /** Page number and size shift of the entry the last probe found. */
  private probePage = 0;
  private probeShift = 0;
  private readonly rng: SeededRng;
  private readonly trace: TraceStream;
  private readonly pow2 = POW2;

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
    this.key = new Float64Array(entries).fill(INVALID);
    this.vmid = new Int32Array(entries);
    this.asidTag = new Int32Array(entries);
    this.paBase = new Float64Array(entries);
    this.info = new Int32Array(entries);
    this.descriptorLo = new Uint32Array(entries);
    this.descriptorHi = new Uint32Array(entries);
    let hintSize = 1;
    while (hintSize < entries * 4) hintSize *= 2;
    this.hint = new Int32Array(hintSize);
    this.hintMask = hintSize - 1;
    this.rng = rng;
    this.trace = trace;
  }

  /** Number of valid entries. */
  get size(): number {
    let count = 0;
    for (let slot = 0; slot < this.key.length; slot++) if (this.key[slot] !== INVALID) count++;
    return count;
  }

  /** The valid entries in slot order (for inspection; allocates). */
  entries(): TlbEntry[] {
    const list: TlbEntry[] = [];
    for (let slot = 0; slot < this.key.length; slot++) {
      if (this.key[slot] === INVALID) continue;
      const info = this.info[slot]!;
      list.push({
        slot,
        inputAddress: this.entryStart(slot),
        pageSize: this.entrySize(slot),
        pa: this.paBase[slot]!,
        asid: this.asidTag[slot]!,
        vmid: this.vmid[slot]!,
        level: info & 3,
        permissions: (info >>> 2) & 63,
        memoryAttributes: (info >>> 8) & 0xff,
      });
    }
    return list;
  }

  /**
   * Finds a cached translation covering `inputAddress` for (asid, vmid); global entries match
   * any ASID. On a hit fills `out` (pa with offset, pageSize, level, permissions with the
   * privileged view in readable/writable/executable, attributes, leaf descriptor; fault null,
   * walkReads 0) and returns true.
   */
  lookup(asid: number, vmid: number, inputAddress: number, out: TranslationResult): boolean {
    const slot = this.probe(asid, vmid, inputAddress);
    if (slot < 0) {
      this.counters.misses++;
      if (this.trace.active) this.emit('miss', inputAddress, -1, asid, vmid);
      return false;
    }
    this.counters.hits++;
    this.fill(slot, inputAddress, out);
    if (this.trace.active) this.emit('hit', inputAddress, out.pageSize, asid, vmid);
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
    const slot = this.probe(asid, vmid, inputAddress);
    if (slot < 0) {
      this.counters.misses++;
      if (this.trace.active) this.emit('miss', inputAddress, -1, asid, vmid);
      return -1;
    }
    this.counters.hits++;
    const size = POW2[this.probeShift]!;
    if (this.trace.active) this.emit('hit', inputAddress, size, asid, vmid);
    const need = access & 7;
    if (((this.info[slot]! >>> ((access & 8) !== 0 ? 2 : 5)) & need) !== need) return -2;
    return this.paBase[slot]! + (inputAddress - this.probePage * size);
  }

  /**
   * The slot of the entry translating `inputAddress` for the tags, or -1, probing the page
   * sizes present smallest first. Leaves the matched page number and size shift in
   * `probePage`/`probeShift`.
   */
  private probe(asid: number, vmid: number, inputAddress: number): number {
    for (let k = 0; k < this.activeCount; k++) {
      const shift = this.activeShifts[k]!;
      const page = pageNumber(inputAddress, shift);
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
    const asidTag = result.nonGlobal ? asid : GLOBAL;
    const first = (page & this.setMask) * this.ways;
    let target = -1;
    let free = -1;
    for (let slot = first; slot < first + this.ways; slot++) {
      if (this.key[slot] === INVALID) {
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
        this.emit(
          'evict',
          this.entryStart(target),
          this.entrySize(target),
          this.asidTag[target]!,
          this.vmid[target]!,
        );
      }
      this.drop(target);
    } else if (this.key[target] !== INVALID) {
      this.drop(target);
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
      (result.nonSecure ? INFO_NS : 0);
    this.descriptorLo[target] = result.descriptorLo;
    this.descriptorHi[target] = result.descriptorHi;
    this.hint[page & this.hintMask] = target;
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
        this.asidTag[slot] !== GLOBAL &&
        this.asidTag[slot] === asid &&
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
        const start = this.entryStart(slot);
        if (start >= end || start + this.entrySize(slot) <= inputAddress) return false;
        if (vmid !== undefined && this.vmid[slot] !== vmid) return false;
        return asid === undefined || this.asidTag[slot] === GLOBAL || this.asidTag[slot] === asid;
      },
      asid,
      vmid,
    );
  }

  /** Every valid entry sits in the set its page selects; page-size counts match; no tag is cached twice. */
  checkInvariants(): void {
    const counts = new Int32Array(64);
    const seen = new Set<string>();
    for (let slot = 0; slot < this.key.length; slot++) {
      const key = this.key[slot]!;
      if (key === INVALID) continue;
      const shift = key % 64;
      const page = (key - shift) / 64;
      if (shift < 10 || !Number.isSafeInteger(page) || page < 0) {
        throw new InvariantError(`tlb ${this.name}`, `entry ${slot} has a bad tag ${key}`);
      }
      counts[shift]!++;
      if (Math.floor(slot / this.ways) !== (page & this.setMask)) {
        throw new InvariantError(
          `tlb ${this.name}`,
          `entry ${slot} (page ${page}, shift ${shift}) is in the wrong set`,
        );
      }
      const tag = `${key}:${this.vmid[slot]}:${this.asidTag[slot]}`;
      if (seen.has(tag)) throw new InvariantError(`tlb ${this.name}`, `tag ${tag} cached twice`);
      seen.add(tag);
    }
    let active = 0;
    for (let shift = 0; shift < 64; shift++) {
      if (counts[shift] !== this.shiftCount[shift]) {
        throw new InvariantError(
          `tlb ${this.name}`,
          `shift ${shift} count is ${this.shiftCount[shift]}, entries say ${counts[shift]}`,
        );
      }
      if (counts[shift]! > 0 && this.activeShifts[active++] !== shift) {
        throw new InvariantError(
          `tlb ${this.name}`,
          `page size shift ${shift} missing from the probe list`,
        );
      }
    }
    if (active !== this.activeCount)
      throw new InvariantError(
        `tlb ${this.name}`,
        `probe list has ${this.activeCount} sizes, entries ${active}`,
      );
  }

  private matchesTags(slot: number, asid: number, vmid: number): boolean {
    const tag = this.asidTag[slot]!;
    return this.vmid[slot] === vmid && (tag === GLOBAL || tag === asid);
  }

  /** Writes the translation of `inputAddress` by the entry in `slot` (found by probe) into `out`. */
  private fill(slot: number, inputAddress: number, out: TranslationResult): void {
    const size = POW2[this.probeShift]!;
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
    out.nonGlobal = this.asidTag[slot] !== GLOBAL;
    out.nonSecure = (info & INFO_NS) !== 0;
    out.descriptorLo = this.descriptorLo[slot]!;
    out.descriptorHi = this.descriptorHi[slot]!;
    out.walkReads = 0;
    if (out.fault !== null || out.faultDescriptorAddress !== -1) clearFault(out);
  }

  private entrySize(slot: number): number {
    return POW2[this.key[slot]! % 64]!;
  }

  private entryStart(slot: number): number {
    const key = this.key[slot]!;
    const shift = key % 64;
    return ((key - shift) / 64) * POW2[shift]!;
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
    for (let slot = 0; slot < this.key.length; slot++) {
      if (this.key[slot] !== INVALID && matches(slot)) {
        this.drop(slot);
        this.counters.invalidatedEntries++;
      }
    }
  }

  private drop(slot: number): void {
    const shift = this.key[slot]! % 64;
    this.key[slot] = INVALID;
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

function clearFault(out: TranslationResult): void {
  out.fault = null;
  out.faultLevel = 0;
  out.faultStage = 0;
  out.faultStatus = 0;
  out.faultAccess = 0;
  out.faultDescriptorAddress = -1;
}

/** floor(inputAddress / 2^shift), with integer shifts for 32-bit addresses. */
function pageNumber(inputAddress: number, shift: number): number {
  return inputAddress < TWO_POW_32 && shift < 32
    ? inputAddress >>> shift
    : Math.floor(inputAddress / POW2[shift]!);
}
