/** The TLB's counters, options, inspection record and trace event. */

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

/** A TLB entry as shown to a person or a test (see {@link Tlb.entries}). */
export interface TlbEntry {
  readonly slot: number;
  /** Start of the input range the entry covers. */
  readonly inputAddress: number;
  readonly pageSize: number;
  /** Output address of `inputAddress`. */
  readonly pa: number;
  /** The ASID of a non-global entry; -1 for a global one. */
  readonly asid: number;
  readonly vmid: number;
  readonly level: number;
  readonly permissions: number;
  readonly memoryAttributes: number;
}

export interface TlbOptions {
  readonly name: string;
  /** Number of sets, a power of two. */
  readonly sets: number;
  /** Entries per set (1..64). */
  readonly ways: number;
}
