/**
 * A deliberately simple model of what LPAE tables map, for property tests: leaves keyed by
 * their base IOVA, plus the set of tables that exist (an empty table still changes what an
 * unmap at its size returns). It follows the rules of Linux v6.16 __arm_lpae_map/_unmap
 * (reference io-pgtable.md §3.1, §3.2) on a plain Map, with no descriptors and no RAM.
 */
export interface ModelGeometry {
  readonly startLevel: number;
  readonly granuleShift: number;
}

export type ModelResult = { ok: true; bytes: number } | { ok: false; code: 'EEXIST' };

export class LpaeModel {
  readonly leaves = new Map<number, { size: number; pa: number }>();
  readonly tables = new Set<string>();
  private readonly start: number;
  private readonly shift: number;
  private readonly ptes: number;

  constructor(geometry: ModelGeometry) {
    this.start = geometry.startLevel;
    this.shift = geometry.granuleShift;
    this.ptes = 2 ** (geometry.granuleShift - 3);
  }

  blockSize(level: number): number {
    return 2 ** (this.shift + (3 - level) * (this.shift - 3));
  }

  levelOf(size: number): number {
    for (let level = 0; level < 4; level++) if (this.blockSize(level) === size) return level;
    throw new Error(`no level maps ${size}`);
  }

  map(iova: number, pa: number, size: number, count: number): ModelResult {
    const target = this.levelOf(size);
    const created: string[] = [];
    for (let level = this.start; level < target; level++) {
      const base = this.align(iova, level);
      const state = this.state(level, base);
      if (state === 'leaf') return { ok: false, code: 'EEXIST' };
      if (state === 'empty') {
        const key = `${level + 1}:${base}`;
        this.tables.add(key);
        created.push(key);
      }
    }
    const num = Math.min(count, this.ptes - (Math.floor(iova / size) % this.ptes));
    for (let i = 0; i < num; i++) {
      if (this.state(target, iova + i * size) === 'leaf') {
        for (const key of created) this.tables.delete(key);
        return { ok: false, code: 'EEXIST' };
      }
    }
    for (let i = 0; i < num; i++) {
      const base = iova + i * size;
      if (this.state(target, base) === 'table') this.removeBelow(target, base);
      this.leaves.set(base, { size, pa: pa + i * size });
    }
    return { ok: true, bytes: num * size };
  }

  unmap(iova: number, size: number, count: number): number {
    const target = this.levelOf(size);
    for (let level = this.start; level < target; level++) {
      if (this.state(level, this.align(iova, level)) !== 'table') return 0;
    }
    const num = Math.min(count, this.ptes - (Math.floor(iova / size) % this.ptes));
    let i = 0;
    for (; i < num; i++) {
      const base = iova + i * size;
      const state = this.state(target, base);
      if (state === 'empty') break;
      if (state === 'table') this.removeBelow(target, base);
      else this.leaves.delete(base);
    }
    return i * size;
  }

  /** The output address of `iova`, or null when nothing maps it. */
  lookup(iova: number): number | null {
    for (const [base, leaf] of this.leaves) {
      if (iova >= base && iova < base + leaf.size) return leaf.pa + (iova - base);
    }
    return null;
  }

  /** What iova_to_phys returns: 0 when unmapped. */
  iovaToPhys(iova: number): number {
    return this.lookup(iova) ?? 0;
  }

  private align(iova: number, level: number): number {
    const size = this.blockSize(level);
    return Math.floor(iova / size) * size;
  }

  private state(level: number, base: number): 'leaf' | 'table' | 'empty' {
    if (this.leaves.get(base)?.size === this.blockSize(level)) return 'leaf';
    if (this.tables.has(`${level + 1}:${base}`)) return 'table';
    return 'empty';
  }

  /** Removes the table under the level-`level` entry at `base` and everything below it. */
  private removeBelow(level: number, base: number): void {
    const end = base + this.blockSize(level);
    for (const key of [...this.tables]) {
      const [tableLevel, tableBase] = key.split(':').map(Number) as [number, number];
      if (tableLevel > level && tableBase >= base && tableBase < end) this.tables.delete(key);
    }
    for (const [leafBase, leaf] of [...this.leaves]) {
      if (leaf.size < this.blockSize(level) && leafBase >= base && leafBase < end)
        this.leaves.delete(leafBase);
    }
  }
}
