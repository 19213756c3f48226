import { describe, expect, it } from 'vitest';
import {
  createDmemCgroupHierarchy,
  type DmemCgroupRegion,
  type DmemEvictHint,
  dmemCgroupBelowLow,
  dmemCgroupBelowMin,
  dmemCgroupCalculateProtection,
  dmemCgroupRegisterRegion,
  dmemCgroupStateEvictValuable,
  dmemCgroupTryCharge,
  effectiveProtection,
} from '../../src/dmem/index';

const M = 1024 * 1024;
const G = 1024 * M;

/** root -> A (the limit) -> B -> C, D, E, F, charged in C..F. */
function tree(settings: {
  b: [min: number, low: number];
  leaves: Array<[min: number, low: number, usage: number]>;
}) {
  const dmem = createDmemCgroupHierarchy();
  const region = dmemCgroupRegisterRegion(
    dmem,
    16 * G,
    'drm/0000:03:00.0/vram0',
  ) as DmemCgroupRegion;
  const a = dmem.root.mkdir('A');
  const b = a.mkdir('B');
  b.setMin(region, settings.b[0]);
  b.setLow(region, settings.b[1]);
  const leaves = settings.leaves.map(([min, low, usage], i) => {
    const leaf = b.mkdir(`L${i}`);
    leaf.setMin(region, min);
    leaf.setLow(region, low);
    return usage > 0 ? dmemCgroupTryCharge(region, usage, leaf) : leaf.getPool(region);
  });
  dmem.checkInvariants();
  return { dmem, region, a: a.getPool(region), b: b.getPool(region), leaves };
}

describe('effective protection (mm/page_counter.c effective_protection, rules 1-5)', () => {
  it('overcommitted children share the parent protection in proportion to protected usage', () => {
    // B.min 50M; children claim min 75M/25M/0/500M with usage 50M/50M/50M/0 -> protected 50+25 = 75M > 50M.
    const { a, b, leaves } = tree({
      b: [50 * M, 0],
      leaves: [
        [75 * M, 0, 50 * M],
        [25 * M, 0, 50 * M],
        [0, 0, 50 * M],
        [500 * M, 0, 0],
      ],
    });
    const [c, d, e, f] = leaves as [typeof b, typeof b, typeof b, typeof b];
    dmemCgroupCalculateProtection(a, f);
    expect(b.emin).toBe(50 * M); // rule 1: the first level below the limit gets its own setting
    expect(c.emin).toBe(Math.floor((50 * M * 50 * M) / (75 * M))); // 33.3M
    expect(d.emin).toBe(Math.floor((25 * M * 50 * M) / (75 * M))); // 16.7M
    expect(e.emin).toBe(0);
    expect(f.emin).toBe(0); // no usage: left as it was
    // C and D hold more than their effective min, so they can be evicted from.
    expect(dmemCgroupStateEvictValuable(a, c, false)).toBe(true);
    expect(dmemCgroupStateEvictValuable(a, d, true)).toBe(true);
  });

  it('undercommitted: the unclaimed rest is handed out by unprotected usage (recursive protection)', () => {
    // B.min 100M; C min 20M usage 50M; D min 0 usage 30M. Unclaimed 80M * 30/60 = 40M each.
    const { a, b, leaves } = tree({
      b: [100 * M, 0],
      leaves: [
        [20 * M, 0, 50 * M],
        [0, 0, 30 * M],
      ],
    });
    const [c, d] = leaves as [typeof b, typeof b];
    dmemCgroupCalculateProtection(a, d);
    expect(c.emin).toBe(60 * M);
    expect(d.emin).toBe(40 * M);
    expect(dmemCgroupStateEvictValuable(a, c, true)).toBe(false);
    expect(dmemCgroupBelowMin(a, c)).toBe(true);
    expect(dmemCgroupStateEvictValuable(a, b, true)).toBe(false); // B: 80M used, min 100M
  });

  it('a pool protected only by low sets hitLow, and is evictable when low is ignored', () => {
    const { a, b, leaves } = tree({
      b: [0, 100 * M],
      leaves: [
        [0, 60 * M, 50 * M],
        [0, 0, 30 * M],
      ],
    });
    const [c] = leaves as [typeof b];
    const hint: DmemEvictHint = { hitLow: false };
    expect(dmemCgroupStateEvictValuable(a, c, false, hint)).toBe(false);
    expect(hint.hitLow).toBe(true);
    expect(c.elow).toBe(50 * M);
    expect(dmemCgroupStateEvictValuable(a, c, true)).toBe(true);
    expect(dmemCgroupBelowLow(a, c)).toBe(true);
    expect(dmemCgroupBelowMin(a, c)).toBe(false);
  });

  it('follows dmem_cgroup_state_evict_valuable special cases', () => {
    const { dmem, region, a, b, leaves } = tree({
      b: [100 * M, 0],
      leaves: [[100 * M, 0, 50 * M]],
    });
    const [c] = leaves as [typeof b];
    expect(dmemCgroupStateEvictValuable(c, c, false)).toBe(true); // limit pool itself
    const rootPool = dmem.root.getPool(region);
    expect(dmemCgroupStateEvictValuable(rootPool, c, false)).toBe(true); // limit at the root cgroup
    const other = dmemCgroupTryCharge(region, M, dmem.root.mkdir('other'));
    expect(dmemCgroupStateEvictValuable(a, other, true)).toBe(false); // outside the limiting subtree
    // No limit pool: protection from the root. A's own setting is 0, so C (below A) gets 0.
    expect(dmemCgroupStateEvictValuable(null, c, true)).toBe(true);
    // With A.min set, A (directly below the root) is protected by its setting.
    a.cgroup.setMin(region, 60 * M);
    expect(dmemCgroupStateEvictValuable(null, a, true)).toBe(false);
    expect(dmemCgroupBelowMin(null, rootPool)).toBe(false); // root-cgroup pools are never "below"
    expect(dmemCgroupBelowMin(a, a)).toBe(false);
  });

  it('computes the exact share where the kernel multiplies byte counts past 2^64', () => {
    // protected 4 GiB * parent effective 4 GiB = 2^64 would wrap to 0 in unsigned long.
    expect(effectiveProtection(4 * G, 8 * G, 4 * G, 4 * G, 6 * G, true)).toBe(
      Math.floor(2 ** 64 / (6 * G)),
    );
    expect(effectiveProtection(10, 100, 5, 50, 20, false)).toBe(5);
    expect(effectiveProtection(10, 100, 5, 50, 20, true)).toBe(5 + Math.floor((30 * 5) / 80));
  });
});
