/**
 * The benchmarks' baseline: the same 4-level, 512-entry radix walk as a 4K-granule LPAE
 * table, but over plain JS typed arrays (no simulated RAM, bus or cache, no checks). It shows
 * what the page-table algorithm itself costs in this JS engine.
 */
const ENTRIES = 512;
const TWO_POW_32 = 0x1_0000_0000;
/** 2^-39, 2^-30, 2^-21, 2^-12: the input-address scale of levels 0 to 3. */
const LEVEL_SCALE = new Float64Array([2 ** -39, 2 ** -30, 2 ** -21, 2 ** -12]);

export class RawRadixTable {
  /** Two u32 words per entry, `capacity` tables of 512 entries. */
  private readonly words: Uint32Array;
  private readonly free: Int32Array;
  private freeTop: number;

  constructor(capacity: number) {
    this.words = new Uint32Array(capacity * ENTRIES * 2);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity - 1; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity - 1;
  }

  /** Maps one 4K page (leafLevel 3) or 2M block (leafLevel 2); table 0 is the root. False when already mapped. */
  map(iova: number, pa: number, leafLevel = 3): boolean {
    let table = 0;
    for (let level = 0; level < leafLevel; level++) {
      const at = (table * ENTRIES + (Math.floor(iova * LEVEL_SCALE[level]!) & 511)) * 2;
      let next = this.words[at]!;
      if (next === 0) {
        next = this.free[--this.freeTop]!;
        this.words.fill(0, next * ENTRIES * 2, (next + 1) * ENTRIES * 2);
        this.words[at] = next;
        this.words[at + 1] = 0;
      }
      table = next;
    }
    const leaf = (table * ENTRIES + (Math.floor(iova * LEVEL_SCALE[leafLevel]!) & 511)) * 2;
    if ((this.words[leaf]! & 3) !== 0) return false;
    this.words[leaf] = ((pa >>> 0) & 0xffff_f000) | (leafLevel === 3 ? 0x743 : 0x741);
    this.words[leaf + 1] = Math.floor(pa / TWO_POW_32);
    return true;
  }

  /** Unmaps one 4K page (leafLevel 3) or 2M block (leafLevel 2); returns the bytes unmapped. */
  unmap(iova: number, leafLevel = 3): number {
    const leaf = this.leafSlot(iova, leafLevel);
    if (leaf < 0 || (this.words[leaf]! & 3) === 0) return 0;
    this.words[leaf] = 0;
    this.words[leaf + 1] = 0;
    return leafLevel === 3 ? 0x1000 : 0x20_0000;
  }

  iovaToPhys(iova: number): number {
    const leaf = this.leafSlot(iova);
    if (leaf < 0 || (this.words[leaf]! & 3) === 0) return 0;
    return (
      this.words[leaf + 1]! * TWO_POW_32 +
      ((this.words[leaf]! & 0xffff_f000) >>> 0) +
      (iova & 0xfff)
    );
  }

  /** Frees every table below the root. */
  clear(): void {
    const capacity = this.free.length;
    this.words.fill(0, 0, ENTRIES * 2);
    for (let i = 0; i < capacity - 1; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity - 1;
  }

  private leafSlot(iova: number, leafLevel = 3): number {
    let table = 0;
    for (let level = 0; level < leafLevel; level++) {
      const next =
        this.words[(table * ENTRIES + (Math.floor(iova * LEVEL_SCALE[level]!) & 511)) * 2]!;
      if (next === 0) return -1;
      table = next;
    }
    return (table * ENTRIES + (Math.floor(iova * LEVEL_SCALE[leafLevel]!) & 511)) * 2;
  }
}
