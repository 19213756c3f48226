/**
 * A hierarchical counter with limits and protection, as Linux mm/page_counter.c, which the dmem
 * cgroup controller is built on (kernel/cgroup/dmem.c charges bytes, not pages, into it).
 *
 * `T` is the concrete subclass, so `parent` is typed as the owner (the kernel's container_of).
 */
import { InvariantError } from '@socmem/hw-sim';

/** PAGE_COUNTER_MAX on a 64-bit kernel: LONG_MAX / PAGE_SIZE (4 KiB pages) = 2^51 - 1. */
export const PAGE_COUNTER_MAX = 2 ** 51 - 1;

/** Exact floor(a * b / c) for non-negative safe integers (the u64 math of effective_protection). */
function mulDiv(a: number, b: number, c: number): number {
  // Not a hot path (eviction decisions); bigint keeps a * b exact beyond 2^53.
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

/**
 * page_counter.c effective_protection(): a child's share of the parent's effective min or low.
 * Linux multiplies in unsigned long and so wraps when the product passes 2^64 (possible with
 * dmem's byte counts); this computes the exact value instead.
 */
export function effectiveProtection(
  usage: number,
  parentUsage: number,
  setting: number,
  parentEffective: number,
  siblingsProtected: number,
  recursiveProtection: boolean,
): number {
  const protectedUsage = Math.min(usage, setting);
  // Overcommitted: share the parent's protection in proportion to protected usage.
  if (siblingsProtected > parentEffective)
    return mulDiv(protectedUsage, parentEffective, siblingsProtected);
  let effective = protectedUsage;
  if (!recursiveProtection) return effective;
  // Undercommitted: hand out the unclaimed remainder in proportion to unprotected usage.
  if (
    parentEffective > siblingsProtected &&
    parentUsage > siblingsProtected &&
    usage > protectedUsage
  ) {
    effective += mulDiv(
      parentEffective - siblingsProtected,
      usage - protectedUsage,
      parentUsage - siblingsProtected,
    );
  }
  return effective;
}

/** mm/page_counter.c struct page_counter and its operations. */
export class PageCounter<T extends PageCounter<T>> {
  /** Charged amount, this counter and all descendants (page_counter_read). */
  usage = 0;
  /** Highest usage seen (watermark; dmem.peak). */
  watermark = 0;
  max = PAGE_COUNTER_MAX;
  min = 0;
  low = 0;
  /** Effective protection, written only by calculateProtection (stale otherwise, as in Linux). */
  emin = 0;
  elow = 0;
  /** min(usage, min) and min(usage, low) as last propagated to the parent. */
  minUsage = 0;
  lowUsage = 0;
  /** Sums of the children's minUsage / lowUsage. */
  childrenMinUsage = 0;
  childrenLowUsage = 0;

  constructor(readonly parent: T | null) {}

  /**
   * page_counter_try_charge: adds `amount` here and in every ancestor. If any level would pass
   * its max (new > max) nothing stays charged and that level (the lowest one) is returned.
   */
  tryCharge(amount: number): T | null {
    // Find the limiting level first, so a failure never touches a counter.
    for (let c: PageCounter<T> | null = this; c !== null; c = c.parent) {
      if (c.usage + amount > c.max) return c as unknown as T;
    }
    for (let c: PageCounter<T> | null = this; c !== null; c = c.parent) {
      c.usage += amount;
      c.propagateProtectedUsage();
      if (c.usage > c.watermark) c.watermark = c.usage;
    }
    return null;
  }

  /** page_counter_uncharge: takes `amount` out here and in every ancestor. */
  uncharge(amount: number): void {
    for (let c: PageCounter<T> | null = this; c !== null; c = c.parent) {
      if (amount > c.usage)
        throw new InvariantError('page_counter', `underflow: usage ${c.usage} - ${amount}`);
      c.usage -= amount;
      c.propagateProtectedUsage();
    }
  }

  /** page_counter_set_max: false (Linux -EBUSY) and no change when usage is already above `limit`. */
  setMax(limit: number): boolean {
    if (this.usage > limit) return false;
    this.max = limit;
    return true;
  }

  /** page_counter_set_min: sets the protection and re-propagates protected usage upwards. */
  setMin(value: number): void {
    this.min = value;
    for (let c: PageCounter<T> | null = this; c !== null; c = c.parent) c.propagateProtectedUsage();
  }

  /** page_counter_set_low. */
  setLow(value: number): void {
    this.low = value;
    for (let c: PageCounter<T> | null = this; c !== null; c = c.parent) c.propagateProtectedUsage();
  }

  /**
   * page_counter_calculate_protection(root, this, recursive): updates emin/elow from the
   * parent's effective values. Stateful like Linux: callers go top-down from `root`; the root
   * itself and counters with no usage keep their old values.
   */
  calculateProtection(root: T, recursiveProtection: boolean): void {
    if ((this as unknown as T) === root) return;
    const usage = this.usage;
    if (usage === 0) return;
    const parent = this.parent;
    if (parent === null || parent === root) {
      this.emin = this.min;
      this.elow = this.low;
      return;
    }
    this.emin = effectiveProtection(
      usage,
      parent.usage,
      this.min,
      parent.emin,
      parent.childrenMinUsage,
      recursiveProtection,
    );
    this.elow = effectiveProtection(
      usage,
      parent.usage,
      this.low,
      parent.elow,
      parent.childrenLowUsage,
      recursiveProtection,
    );
  }

  /** propagate_protected_usage: keeps the parent's children_{min,low}_usage sums current. */
  private propagateProtectedUsage(): void {
    const parent = this.parent;
    if (parent === null) return;
    const minProtected = Math.min(this.usage, this.min);
    parent.childrenMinUsage += minProtected - this.minUsage;
    this.minUsage = minProtected;
    const lowProtected = Math.min(this.usage, this.low);
    parent.childrenLowUsage += lowProtected - this.lowUsage;
    this.lowUsage = lowProtected;
  }
}
