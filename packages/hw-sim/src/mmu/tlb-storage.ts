import { SocmemError } from '../errors/socmem-error';
import type { TraceStream } from '../observability/trace';
import { POW2 } from './pow2';
import type { TlbCounters, TlbOptions } from './tlb-types';

/** `key` of an empty slot. */
export const TLB_INVALID = -1;
/** `asidTag` of a global entry: it matches every ASID. */
export const TLB_GLOBAL = -1;
/** Packed `info` word: level [1:0], permissions [7:2], attributes [15:8], shareability [17:16], NS 18. */
export const TLB_INFO_NS = 1 << 18;

/**
 * The entry store of a TLB: one slot per (set, way) in parallel typed arrays, the slot-hint
 * table and the page sizes present. {@link Tlb} owns these fields and does lookup and insertion;
 * the helpers here and in tlb-invalidation.ts / tlb-inspection.ts (the cold paths) work on them
 * through this interface.
 */
export interface TlbStorage {
  readonly name: string;
  readonly ways: number;
  readonly counters: TlbCounters;
  readonly setMask: number;
  /** page * 64 + log2(page size), or TLB_INVALID. */
  readonly key: Float64Array;
  readonly vmid: Int32Array;
  /** The ASID of a non-global entry, TLB_GLOBAL otherwise. */
  readonly asidTag: Int32Array;
  readonly paBase: Float64Array;
  readonly info: Int32Array;
  /** Valid entries per page-size shift, and the shifts present in ascending order. */
  readonly shiftCount: Int32Array;
  readonly activeShifts: Uint8Array;
  activeCount: number;
  readonly trace: TraceStream;
}

/** Checks TLB geometry (EINVAL) and returns the slot count. */
export function tlbSlotCount(options: TlbOptions): number {
  const { name, sets, ways } = options;
  if (!Number.isInteger(sets) || sets < 1 || sets > 1 << 20 || (sets & (sets - 1)) !== 0) {
    throw new SocmemError('EINVAL', `tlb ${name}: ${sets} sets is not a power of two up to 2^20`);
  }
  if (!Number.isInteger(ways) || ways < 1 || ways > 64)
    throw new SocmemError('EINVAL', `tlb ${name}: ${ways} ways is not 1..64`);
  return sets * ways;
}

/** Size of the slot-hint table for `entries` slots: a power of two, at least 4 per slot. */
export function tlbHintSize(entries: number): number {
  let hintSize = 1;
  while (hintSize < entries * 4) hintSize *= 2;
  return hintSize;
}

/** Bytes covered by the entry in `slot`. */
export function entrySize(tlb: TlbStorage, slot: number): number {
  return POW2[tlb.key[slot]! % 64]!;
}

/** First input address covered by the entry in `slot`. */
export function entryStart(tlb: TlbStorage, slot: number): number {
  const key = tlb.key[slot]!;
  const shift = key % 64;
  return ((key - shift) / 64) * POW2[shift]!;
}

/** Empties `slot` and keeps the page-size bookkeeping right. */
export function dropEntry(tlb: TlbStorage, slot: number): void {
  const shift = tlb.key[slot]! % 64;
  tlb.key[slot] = TLB_INVALID;
  if (--tlb.shiftCount[shift]! === 0) rebuildShifts(tlb);
}

/** Recomputes the ascending list of page-size shifts present. */
export function rebuildShifts(tlb: TlbStorage): void {
  let count = 0;
  for (let shift = 0; shift < 64; shift++)
    if (tlb.shiftCount[shift]! > 0) tlb.activeShifts[count++] = shift;
  tlb.activeCount = count;
}

/** Emits a 'tlb' trace event. */
export function emitTlbEvent(
  tlb: TlbStorage,
  op: 'hit' | 'miss' | 'insert' | 'evict' | 'invalidate',
  inputAddress: number,
  size: number,
  asid: number,
  vmid: number,
): void {
  tlb.trace.emit('tlb', { tlb: tlb.name, op, inputAddress, size, asid, vmid });
}
