import type { SimClock } from './clock';
import type { TraceStream } from './trace';

/** One recorded kernel-WARN-like event. */
export interface DiagnosticEvent {
  readonly kind: 'WARN';
  /** The component that warned, e.g. 'io-pgtable-arm'. */
  readonly source: string;
  readonly message: string;
  /** Simulated time of the warning. */
  readonly time: number;
}

/**
 * Kernel WARN()s are not exceptions: the kernel logs a backtrace and carries on. socmem
 * records them here, where tests read them, and on the trace stream.
 */
export class Diagnostics {
  private readonly recorded: DiagnosticEvent[] = [];
  private readonly clock: SimClock;
  private readonly trace: TraceStream;

  constructor(clock: SimClock, trace: TraceStream) {
    this.clock = clock;
    this.trace = trace;
  }

  /** Records a warning from `source`. */
  warn(source: string, message: string): void {
    this.recorded.push({ kind: 'WARN', source, message, time: this.clock.now });
    if (this.trace.active) this.trace.emit('warn', { source, message });
  }

  /** Every warning recorded since the last `take()` or `clear()`. */
  get events(): readonly DiagnosticEvent[] {
    return this.recorded;
  }

  /** Returns the recorded warnings and forgets them. */
  take(): DiagnosticEvent[] {
    return this.recorded.splice(0, this.recorded.length);
  }

  clear(): void {
    this.recorded.length = 0;
  }
}
