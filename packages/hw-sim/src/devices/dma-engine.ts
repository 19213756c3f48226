import { high32, joinHalves, low32 } from '../bits';
import { hex, SocmemError } from '../errors/socmem-error';
import { Listeners } from '../iommu/listeners';
import type { Machine } from '../machine';
import type { MmioDevice } from '../memory/mmio';
import { ACCESS_READ, ACCESS_WRITE } from '../mmu/translation';
import type { SimClock } from '../observability/clock';
import { BusMaster, type BusMasterOptions } from './bus-master';
import * as R from './dma-engine-registers';
import type { TransferFault, TransferFaultKind } from './transfer-result';

/** Where a DMA job stands. */
export type DmaJobState = 'idle' | 'busy' | 'stalled' | 'done' | 'error';

/** How a DmaEngine is built: its bus master's wiring plus engine options. */
export interface DmaEngineOptions extends BusMasterOptions {
  /**
   * Run a job as soon as CTRL.START is written, and continue a stalled job as soon as the
   * IOMMU resumes it, as autonomous hardware would. Default false: jobs run on {@link DmaEngine.run}.
   */
  readonly autoRun?: boolean;
}

/** Job and byte counts of a DMA engine. */
export class DmaEngineCounters {
  jobs = 0;
  completed = 0;
  errors = 0;
  stalls = 0;
  bytes = 0;
}

/** Bytes per simulated clock tick: one 64-byte bus beat. */
const BYTES_PER_TICK = 64;
/** Largest span moved per step (one burst): bounds the work between two translations of a bypass. */
const MAX_BURST = 64 * 1024;

const ERROR_CODES: Readonly<Record<TransferFaultKind, number>> = {
  translation: R.DMA_ERROR_TRANSLATION,
  'access-flag': R.DMA_ERROR_ACCESS_FLAG,
  permission: R.DMA_ERROR_PERMISSION,
  'address-size': R.DMA_ERROR_ADDRESS_SIZE,
  'external-abort': R.DMA_ERROR_EXTERNAL_ABORT,
  'address-limit': R.DMA_ERROR_ADDRESS_LIMIT,
};

/**
 * A memory-to-memory DMA controller: copy and fill jobs through its own {@link BusMaster}
 * (so through the IOMMU in front of it), programmed by MMIO registers (see
 * dma-engine-registers.ts) or by the direct methods `startCopy`/`startFill`/`run`. A job moves
 * page by page; on a fault it stops with ERROR, the fault address and the bytes done, and
 * raises the error interrupt; on success it raises the completion interrupt. Simulated time
 * advances by one tick per 64 bytes moved.
 */
export class DmaEngine implements MmioDevice {
  readonly name: string;
  readonly master: BusMaster;
  readonly counters = new DmaEngineCounters();
  readonly autoRun: boolean;
  private readonly clock: SimClock;
  private readonly completeLine = new Listeners<[DmaEngine]>();
  private readonly errorLine = new Listeners<[DmaEngine, TransferFault]>();
  private src = 0;
  private dst = 0;
  private length = 0;
  private fillValue = 0;
  private opFill = false;
  private intEnable = R.DMA_INT_DONE | R.DMA_INT_ERROR;
  private jobState: DmaJobState = 'idle';
  private statusBits = 0;
  private done = 0;
  private lastFault: TransferFault | null = null;
  /** ERROR_INFO[7:0] of the last job (DMA_ERROR_*). */
  private errorCode = R.DMA_ERROR_NONE;
  private faultOnDestination = false;
  private running = false;
  private readonly detachResume: (() => void) | undefined;
  private resumeRequested = false;

  constructor(machine: Machine, options: DmaEngineOptions) {
    this.name = options.name;
    this.master = new BusMaster(machine, options);
    this.clock = machine.clock;
    this.autoRun = options.autoRun ?? false;
    this.detachResume = this.master.iommu?.onResume((streamId) => {
      if (streamId !== this.master.streamId || this.jobState !== 'stalled' || !this.autoRun) return;
      if (this.running) this.resumeRequested = true;
      else this.run();
    });
  }

  /** Stops listening to the IOMMU (an engine that is thrown away should be disposed). */
  dispose(): void {
    this.detachResume?.();
  }

  /** The job's state. */
  get state(): DmaJobState {
    return this.jobState;
  }

  /** A job is queued, running or stalled: STATUS.BUSY, and the job registers are frozen. */
  private get active(): boolean {
    return this.jobState === 'busy' || this.jobState === 'stalled';
  }

  /** Bytes moved by the current or last job. */
  get bytesDone(): number {
    return this.done;
  }

  /** The fault that stopped the last job, or null. */
  get fault(): TransferFault | null {
    return this.lastFault;
  }

  /** The completion interrupt line (raised when INT_ENABLE.DONE is set). */
  onComplete(listener: (engine: DmaEngine) => void): () => void {
    return this.completeLine.add(listener);
  }

  /** The error interrupt line (raised when INT_ENABLE.ERROR is set). */
  onError(listener: (engine: DmaEngine, fault: TransferFault) => void): () => void {
    return this.errorLine.add(listener);
  }

  /**
   * Queues a copy of `length` bytes from bus address `src` to `dst`. Each burst (at most one
   * page, at most 64 KiB) moves with memmove semantics; like most DMA engines the job as a whole
   * copies forward, so overlapping ranges with dst > src are not a memmove.
   */
  startCopy(src: number, dst: number, length: number): void {
    this.program(false, src, dst, length, 0);
    this.queue();
  }

  /** Queues a fill of `length` bytes at bus address `dst` with the byte `value`. */
  startFill(dst: number, value: number, length: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) {
      throw new SocmemError('EINVAL', `dma engine ${this.name}: fill value ${value} is not a byte`);
    }
    this.program(true, 0, dst, length, value);
    this.queue();
  }

  /**
   * Runs the queued (or stalled) job until it completes, faults or stalls, and returns the new
   * state. Does nothing when no job is queued.
   */
  run(): DmaJobState {
    if (!this.active) return this.jobState;
    this.running = true;
    try {
      for (;;) {
        const outcome = this.step();
        if (outcome === 'stalled' && this.resumeRequested) {
          this.resumeRequested = false;
          continue;
        }
        return outcome;
      }
    } finally {
      this.running = false;
    }
  }

  /** Ends a stalled or queued job with the ABORTED error. */
  abort(): void {
    if (!this.active) return;
    this.master.abort();
    this.finishWithError(
      { kind: 'external-abort', address: this.dst + this.done, level: 0 },
      false,
      R.DMA_ERROR_ABORTED,
    );
  }

  read32(offset: number): number {
    switch (offset) {
      case R.DMA_REG_ID:
        return R.DMA_ENGINE_ID_VALUE;
      case R.DMA_REG_CTRL:
        return this.opFill ? R.DMA_CTRL_OP_FILL : 0;
      case R.DMA_REG_STATUS:
        return this.status;
      case R.DMA_REG_INT_ENABLE:
        return this.intEnable;
      case R.DMA_REG_SRC_LO:
        return low32(this.src);
      case R.DMA_REG_SRC_HI:
        return high32(this.src);
      case R.DMA_REG_DST_LO:
        return low32(this.dst);
      case R.DMA_REG_DST_HI:
        return high32(this.dst);
      case R.DMA_REG_LEN:
        return this.length >>> 0;
      case R.DMA_REG_FILL:
        return this.fillValue;
      case R.DMA_REG_BYTES_DONE:
        return this.done >>> 0;
      case R.DMA_REG_FAULT_ADDR_LO:
        return this.lastFault === null ? 0 : low32(this.lastFault.address);
      case R.DMA_REG_FAULT_ADDR_HI:
        return this.lastFault === null ? 0 : high32(this.lastFault.address);
      case R.DMA_REG_ERROR_INFO:
        return this.errorInfo;
      default:
        return 0;
    }
  }

  write32(offset: number, value: number): void {
    const busy = this.active;
    switch (offset) {
      case R.DMA_REG_CTRL:
        this.opFill = (value & R.DMA_CTRL_OP_FILL) !== 0;
        if ((value & R.DMA_CTRL_ABORT) !== 0) this.abort();
        else if ((value & R.DMA_CTRL_START) !== 0 && !busy) {
          this.queue();
          if (this.autoRun) this.run();
        }
        return;
      case R.DMA_REG_STATUS:
        this.statusBits &= ~(value & (R.DMA_STATUS_DONE | R.DMA_STATUS_ERROR));
        return;
      case R.DMA_REG_INT_ENABLE:
        this.intEnable = value & (R.DMA_INT_DONE | R.DMA_INT_ERROR);
        return;
      default:
        break;
    }
    if (busy) return; // Job registers are frozen while a job runs.
    if (offset === R.DMA_REG_SRC_LO) this.src = joinHalves(value, high32(this.src));
    else if (offset === R.DMA_REG_SRC_HI) this.src = joinHalves(low32(this.src), value & 0x1f_ffff);
    else if (offset === R.DMA_REG_DST_LO) this.dst = joinHalves(value, high32(this.dst));
    else if (offset === R.DMA_REG_DST_HI) this.dst = joinHalves(low32(this.dst), value & 0x1f_ffff);
    else if (offset === R.DMA_REG_LEN) this.length = value >>> 0;
    else if (offset === R.DMA_REG_FILL) this.fillValue = value & 0xff;
  }

  /** STATUS as the register reads. */
  get status(): number {
    let bits = this.statusBits;
    if (this.active) bits |= R.DMA_STATUS_BUSY;
    if (this.jobState === 'stalled') bits |= R.DMA_STATUS_STALLED;
    return bits >>> 0;
  }

  private get errorInfo(): number {
    if (this.lastFault === null) return this.errorCode;
    return (
      (this.errorCode |
        ((this.lastFault.level & 0xf) << 8) |
        (this.faultOnDestination ? 1 << 12 : 0)) >>>
      0
    );
  }

  private program(fill: boolean, src: number, dst: number, length: number, value: number): void {
    if (this.active) {
      throw new SocmemError('EBUSY', `dma engine ${this.name}: a job is already running`);
    }
    for (const [what, address] of [
      ['source', src],
      ['destination', dst],
    ] as const) {
      if (!Number.isSafeInteger(address) || address < 0) {
        throw new SocmemError(
          'EINVAL',
          `dma engine ${this.name}: ${what} address ${address} is not a bus address`,
        );
      }
    }
    if (!Number.isInteger(length) || length < 0 || length > 0xffff_ffff) {
      throw new SocmemError(
        'EINVAL',
        `dma engine ${this.name}: length ${length} does not fit the 32-bit LEN register`,
      );
    }
    this.opFill = fill;
    this.src = src;
    this.dst = dst;
    this.length = length;
    this.fillValue = value;
  }

  private queue(): void {
    this.counters.jobs++;
    this.jobState = 'busy';
    this.statusBits &= ~(R.DMA_STATUS_DONE | R.DMA_STATUS_ERROR);
    this.done = 0;
    this.lastFault = null;
    this.errorCode = R.DMA_ERROR_NONE;
  }

  /** Moves data until the job ends or stalls. */
  private step(): DmaJobState {
    const master = this.master;
    while (this.done < this.length) {
      const remaining = this.length - this.done;
      let n: number;
      if (this.opFill) {
        const outcome = master.resolve(this.dst + this.done, remaining, ACCESS_WRITE);
        if (outcome === 'stalled') return this.stall();
        if (outcome === 'fault') return this.finishWithError(master.resolvedFault!, true);
        n = master.resolvedLength;
        if (outcome === 'ok') master.fillPhysical(master.resolvedPa, this.fillValue, n);
      } else {
        const source = master.resolve(
          this.src + this.done,
          Math.min(remaining, MAX_BURST),
          ACCESS_READ,
        );
        if (source === 'stalled') return this.stall();
        if (source === 'fault') return this.finishWithError(master.resolvedFault!, false);
        const sourcePa = master.resolvedPa;
        const sourceLength = master.resolvedLength;
        const destination = master.resolve(this.dst + this.done, sourceLength, ACCESS_WRITE);
        if (destination === 'stalled') return this.stall();
        if (destination === 'fault') return this.finishWithError(master.resolvedFault!, true);
        n = master.resolvedLength;
        if (destination === 'ok') {
          if (source === 'ok') master.copyPhysical(master.resolvedPa, sourcePa, n);
          else master.fillPhysical(master.resolvedPa, 0, n);
        }
      }
      this.done += n;
      this.counters.bytes += n;
      this.clock.advance(Math.ceil(n / BYTES_PER_TICK));
    }
    this.jobState = 'done';
    this.statusBits |= R.DMA_STATUS_DONE;
    this.counters.completed++;
    if ((this.intEnable & R.DMA_INT_DONE) !== 0) this.completeLine.emit(this);
    return this.jobState;
  }

  private stall(): DmaJobState {
    if (this.jobState !== 'stalled') this.counters.stalls++;
    this.jobState = 'stalled';
    return this.jobState;
  }

  private finishWithError(
    fault: TransferFault,
    onDestination: boolean,
    code?: number,
  ): DmaJobState {
    this.jobState = 'error';
    this.statusBits |= R.DMA_STATUS_ERROR;
    this.lastFault = fault;
    this.faultOnDestination = onDestination;
    this.errorCode = code ?? ERROR_CODES[fault.kind];
    this.counters.errors++;
    if ((this.intEnable & R.DMA_INT_ERROR) !== 0) this.errorLine.emit(this, fault);
    return this.jobState;
  }

  /** A short description, for diagnostics. */
  toString(): string {
    return `dma engine ${this.name}: ${this.jobState} ${hex(this.done)}/${hex(this.length)} bytes`;
  }
}
