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

/**
 * One named fail point. Allocation sites on hot paths keep the handle
 * (`failPoints.site('buddy-alloc')`) so a check costs no name lookup.
 */
export class FailPointSite {
  readonly name: string;
  /** Calls reached so far. */
  calls = 0;
  /** Calls made to fail so far. */
  failures = 0;
  /** @internal The armed policy, or null. */
  policy: FailPolicy | null = null;
  /** @internal Calls since the policy was armed. */
  callsSinceArmed = 0;
  private readonly owner: FailPoints;

  constructor(owner: FailPoints, name: string) {
    this.owner = owner;
    this.name = name;
  }

  /** Counts a call and says whether it must fail. */
  shouldFail(): boolean {
    this.calls++;
    if (this.policy === null) return false;
    return this.owner.decide(this);
  }
}

/**
 * Named fail points at allocation sites. A site calls `shouldFail(name)` (or keeps a
 * {@link FailPointSite}) before it allocates and fails the way Linux would (usually ENOMEM) when
 * it returns true. Tests arm points to prove that every error path cleans up; `seen()` lists the
 * sites a scenario reached, so a test can fail each of them in turn.
 */
export class FailPoints {
  private readonly sites = new Map<string, FailPointSite>();
  private readonly rng: SeededRng;
  private readonly trace: TraceStream;

  constructor(rng: SeededRng, trace: TraceStream) {
    this.rng = rng;
    this.trace = trace;
  }

  /** The handle of the fail point `name`, created on first use. */
  site(name: string): FailPointSite {
    let site = this.sites.get(name);
    if (site === undefined) {
      site = new FailPointSite(this, name);
      this.sites.set(name, site);
    }
    return site;
  }

  /** Counts a call at `name` and says whether it must fail. */
  shouldFail(name: string): boolean {
    return this.site(name).shouldFail();
  }

  /** @internal Applies an armed site's policy to the call it just counted. */
  decide(site: FailPointSite): boolean {
    const policy = site.policy!;
    site.callsSinceArmed++;
    let fail: boolean;
    if ('nth' in policy) {
      fail = site.callsSinceArmed === policy.nth;
      if (fail) site.policy = null;
    } else if ('every' in policy) {
      fail = true;
    } else {
      fail = this.rng.nextFloat() < policy.probability;
    }
    if (fail) {
      site.failures++;
      if (this.trace.active) this.trace.emit('fail-point', { name: site.name, call: site.calls });
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
    const site = this.site(name);
    site.policy = policy;
    site.callsSinceArmed = 0;
  }

  /** Disarms one point, or all of them. Call counts are kept. */
  disarm(name?: string): void {
    if (name === undefined) {
      for (const site of this.sites.values()) site.policy = null;
      return;
    }
    const site = this.sites.get(name);
    if (site !== undefined) site.policy = null;
  }

  /** How many times `name` was reached. */
  calls(name: string): number {
    return this.sites.get(name)?.calls ?? 0;
  }

  /** How many calls at `name` were made to fail. */
  failures(name: string): number {
    return this.sites.get(name)?.failures ?? 0;
  }

  /** Every fail point name reached so far, sorted. */
  seen(): string[] {
    return [...this.sites.values()]
      .filter((site) => site.calls > 0)
      .map((site) => site.name)
      .sort();
  }

  /** Forgets all counts and disarms everything (handles held by sites stay valid). */
  reset(): void {
    for (const site of this.sites.values()) {
      site.calls = 0;
      site.failures = 0;
      site.policy = null;
      site.callsSinceArmed = 0;
    }
  }
}
