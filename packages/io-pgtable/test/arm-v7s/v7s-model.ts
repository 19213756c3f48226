/**
 * A reference model of ARM_V7S entries for the property tests: one slot per level-1 entry and
 * 256 per level-2 table, with the rules of __arm_v7s_map, arm_v7s_init_pte and __arm_v7s_unmap
 * (io-pgtable-arm-v7s.c v6.13): a section over a level-2 table replaces it, anything over a valid
 * leaf is EEXIST (with nothing changed), a partial unmap of a large entry returns 0, pgcount loops stop at the first
 * failure.
 */
import { SZ_1M, SZ_4K, SZ_16M, SZ_64K } from './helpers';

interface Leaf {
  readonly kind: 'leaf';
  readonly iova: number;
  readonly pa: number;
  readonly cont: boolean;
}
type L1Entry = Leaf | { readonly kind: 'table'; readonly entries: (Leaf | null)[] } | null;

export class V7sModel {
  readonly l1: L1Entry[] = new Array<L1Entry>(4096).fill(null);

  map(
    iova: number,
    pa: number,
    size: number,
    count: number,
  ): { mapped: number; code: string | null } {
    let mapped = 0;
    for (let k = 0; k < count; k++) {
      const code = this.mapOne(iova + mapped, pa + mapped, size);
      if (code !== null) return { mapped, code };
      mapped += size;
    }
    return { mapped, code: null };
  }

  unmap(iova: number, size: number, count: number): number {
    let done = 0;
    for (let k = 0; k < count; k++) {
      if (this.unmapOne(iova + done, size) === 0) break;
      done += size;
    }
    return done;
  }

  translate(iova: number): number {
    const entry = this.l1[Math.floor(iova / SZ_1M)] ?? null;
    const leaf =
      entry?.kind === 'table' ? (entry.entries[Math.floor(iova / SZ_4K) & 255] ?? null) : entry;
    return leaf === null ? 0 : leaf.pa + (iova - leaf.iova);
  }

  private mapOne(iova: number, pa: number, size: number): string | null {
    const idx = Math.floor(iova / SZ_1M);
    const leaf: Leaf = { kind: 'leaf', iova, pa, cont: size === SZ_16M || size === SZ_64K };
    if (size >= SZ_1M) {
      const n = size / SZ_1M;
      // Every slot is checked before any table is dropped (the library's all-or-nothing
      // deviation from arm_v7s_init_pte, which frees tables slot by slot).
      for (let i = 0; i < n; i++) if (this.l1[idx + i]?.kind === 'leaf') return 'EEXIST';
      for (let i = 0; i < n; i++) this.l1[idx + i] = leaf;
      return null;
    }
    let entry = this.l1[idx]!;
    if (entry !== null && entry.kind === 'leaf') return 'EEXIST';
    if (entry === null) {
      entry = { kind: 'table', entries: new Array<Leaf | null>(256).fill(null) };
      this.l1[idx] = entry;
    }
    const j = Math.floor(iova / SZ_4K) & 255;
    const n = size / SZ_4K;
    for (let i = 0; i < n; i++) if (entry.entries[j + i] !== null) return 'EEXIST';
    for (let i = 0; i < n; i++) entry.entries[j + i] = leaf;
    return null;
  }

  private unmapOne(iova: number, size: number): number {
    const idx = Math.floor(iova / SZ_1M);
    if (size >= SZ_1M) {
      const n = size / SZ_1M;
      for (let i = 0; i < n; i++) if (this.l1[idx + i] === null) return 0;
      const first = this.l1[idx]!;
      if (n === 1 && first.kind === 'leaf' && first.cont) return 0;
      for (let i = 0; i < n; i++) this.l1[idx + i] = null;
      return size;
    }
    const entry = this.l1[idx]!;
    if (entry === null || entry.kind === 'leaf') return 0;
    const j = Math.floor(iova / SZ_4K) & 255;
    const n = size / SZ_4K;
    for (let i = 0; i < n; i++) if (entry.entries[j + i] === null) return 0;
    if (n === 1 && entry.entries[j]!.cont) return 0;
    for (let i = 0; i < n; i++) entry.entries[j + i] = null;
    return size;
  }
}
