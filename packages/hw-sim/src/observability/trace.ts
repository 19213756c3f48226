import type { SimClock } from './clock';

/**
 * The payloads of every trace event kind, keyed by kind. Packages above hw-sim add their own
 * kinds by declaration merging:
 *
 * ```ts
 * declare module '@socmem/hw-sim' {
 *   interface TraceEvents { 'iova.alloc': { iova: number; size: number } }
 * }
 * ```
 */
export interface TraceEvents {
  /** A transaction that reached the bus (cache fills and write-backs included, cache hits not). */
  bus: { op: 'read' | 'write'; pa: number; size: number; initiator: string };
  /** A data-cache event: a miss, a write-back, an eviction, or maintenance by range. */
  cache: {
    op: 'miss' | 'writeback' | 'evict' | 'clean' | 'invalidate' | 'clean-invalidate' | 'flush-all';
    pa: number;
    size: number;
  };
  /** A page allocator handed out or took back 2^order pages. */
  alloc: { op: 'alloc' | 'free'; allocator: string; pa: number; order: number; owner: string };
  /** A kernel-WARN-like diagnostic. */
  warn: { source: string; message: string };
  /** A fail point made a call fail. */
  'fail-point': { name: string; call: number };
}

/** One trace event: its kind, sequence number, simulated time and payload. */
export type TraceEvent = {
  [K in keyof TraceEvents]: { kind: K; seq: number; time: number } & TraceEvents[K];
}[keyof TraceEvents];

export type TraceListener = (event: TraceEvent) => void;

/**
 * A typed event stream for one machine. Emitters test `active` first, so tracing costs one
 * field read when nobody listens:
 *
 * ```ts
 * if (trace.active) trace.emit('bus', { op: 'read', pa, size: 4, initiator: 'cpu' });
 * ```
 */
export class TraceStream {
  /** True while at least one listener is subscribed. */
  active = false;
  private readonly listeners: TraceListener[] = [];
  private seq = 0;
  private readonly clock: SimClock;

  constructor(clock: SimClock) {
    this.clock = clock;
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: TraceListener): () => void {
    this.listeners.push(listener);
    this.active = true;
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
      this.active = this.listeners.length > 0;
    };
  }

  /** Delivers one event to every listener. Call only when `active` is true. */
  emit<K extends keyof TraceEvents>(kind: K, payload: TraceEvents[K]): void {
    const event = { kind, seq: this.seq++, time: this.clock.now, ...payload } as TraceEvent;
    for (const listener of this.listeners) listener(event);
  }

  /** Records every event while `body` runs and returns them. */
  record(body: () => void): TraceEvent[] {
    const events: TraceEvent[] = [];
    const stop = this.subscribe((event) => events.push(event));
    try {
      body();
    } finally {
      stop();
    }
    return events;
  }
}
