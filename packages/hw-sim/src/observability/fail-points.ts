import { SocmemError } from '../errors/socmem-error';
import type { SeededRng } from './rng';
import type { TraceStream } from './trace';

/** How an armed fail point decides to fail a call. */
export type FailPolicy =
  /** Fail only the nth call after arming (1-based), then disarm. */
  | { nth: number }
  /** Fail every call until cleared. */
  | { every: true }
  /** Fail each call with this probability, drawn from the machine's seeded RNG. */
  | { probability: number };

interface FailPointState {
  calls: number;
  failures: number;
  policy: FailPolicy | null;
  callsSinceArmed: number;
}

/**
 * Named fail points at allocation sites. A site calls `shouldFail(name)` before it allocates
 * and fails the way Linux would (usually ENOMEM) when it returns true. Tests arm points to
 * prove that every error path cleans up; `seen()` lists the sites a scenario reached, so a
 * test can fail each of them in turn.
 */
export class FailPoints {
  private readonly points = new Map<string, FailPointState>();
  private readonly rng: SeededRng;
  private readonly trace: TraceStream;
  /** Fast exit: no point armed means no map lookup per call beyond counting. */
  private armedCount = 0;

  constructor(rng: SeededRng, trace: TraceStream) {
    this.rng = rng;
    this.trace = trace;
  }

  /** Counts a call at `name` and says whether it must fail. */
  shouldFail(name: string): boolean {
    let state = this.points.get(name);
    if (state === undefined) {
      state = { calls: 0, failures: 0, policy: null, callsSinceArmed: 0 };
      this.points.set(name, state);
    }
    state.calls++;
    if (this.armedCount === 0 || state.policy === null) return false;
    state.callsSinceArmed++;
    const policy = state.policy;
    let fail: boolean;
    if ('nth' in policy) {
      fail = state.callsSinceArmed === policy.nth;
      if (fail) this.disarm(state);
    } else if ('every' in policy) {
      fail = true;
    } else {
      fail = this.rng.nextFloat() < policy.probability;
    }
    if (fail) {
      state.failures++;
      if (this.trace.active) this.trace.emit('fail-point', { name, call: state.calls });
    }
    return fail;
  }

  /** Arms `name` with a policy, replacing any earlier one. */
  arm(name: string, policy: FailPolicy): void {
    if ('nth' in policy && (!Number.isSafeInteger(policy.nth) || policy.nth < 1)) {
      throw new SocmemError(
        'EINVAL',
        `fail point ${name}: nth must be an integer >= 1, got ${policy.nth}`,
      );
    }
    if ('probability' in policy && !(policy.probability >= 0 && policy.probability <= 1)) {
      throw new SocmemError(
        'EINVAL',
        `fail point ${name}: probability must be in [0, 1], got ${policy.probability}`,
      );
    }
    let state = this.points.get(name);
    if (state === undefined) {
      state = { calls: 0, failures: 0, policy: null, callsSinceArmed: 0 };
      this.points.set(name, state);
    }
    if (state.policy === null) this.armedCount++;
    state.policy = policy;
    state.callsSinceArmed = 0;
  }

  /** Disarms one point, or all of them. Call counts are kept. */
  disarm(nameOrState?: string | FailPointState): void {
    if (nameOrState === undefined) {
      for (const state of this.points.values()) state.policy = null;
      this.armedCount = 0;
      return;
    }
    const state = typeof nameOrState === 'string' ? this.points.get(nameOrState) : nameOrState;
    if (state !== undefined && state.policy !== null) {
      state.policy = null;
      this.armedCount--;
    }
  }

  /** How many times `name` was reached. */
  calls(name: string): number {
    return this.points.get(name)?.calls ?? 0;
  }

  /** How many calls at `name` were made to fail. */
  failures(name: string): number {
    return this.points.get(name)?.failures ?? 0;
  }

  /** Every fail point name reached so far, sorted. */
  seen(): string[] {
    return [...this.points.entries()]
      .filter(([, state]) => state.calls > 0)
      .map(([name]) => name)
      .sort();
  }

  /** Forgets all counts and disarms everything. */
  reset(): void {
    this.points.clear();
    this.armedCount = 0;
  }
}
