import type { IoPgtableDumpAttributes } from './types';

/** One descriptor as a format decoder sees it. */
export interface DecodedEntry {
  readonly kind: 'invalid' | 'table' | 'leaf' | 'reserved';
  /** Table: next-level table address. Leaf: output address for this entry's first input byte. */
  readonly address: number;
  /** Leaf: translation size (page, block, section, 64K large page, 16M supersection). */
  readonly pageSize: number;
  readonly attributes: IoPgtableDumpAttributes | null;
}
