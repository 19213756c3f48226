/**
 * Simulated time: a counter that components advance, never the wall clock. Trace events and
 * diagnostics are stamped with it, so runs are reproducible.
 */
export class SimClock {
  /** Current simulated time in ticks. */
  now = 0;

  /** Moves time forward by `ticks` (default 1) and returns the new time. */
  advance(ticks = 1): number {
    this.now += ticks;
    return this.now;
  }
}
