/**
 * ARMv7 short-descriptor decoding for the dump (ARM ARM B3.5 short-descriptor format, with TEX
 * remap through PRRR/NMRR as io-pgtable-arm-v7s programs them; reference io-pgtable.md §4).
 * With the MediaTek extension, descriptor bits 9, 4 and 5 are PA bits 32..34 and NO_PERMS is in
 * force, so those bits are not read as permissions.
 */
import { ARM_V7S_NMRR, ARM_V7S_PRRR } from '../arm-v7s/init';
import type { DecodedEntry } from './decoded-entry';
import type { IoPgtableDumpAttributes } from './types';

const TWO_POW_32 = 0x1_0000_0000;
const SZ_4K = 0x1000;
const SZ_64K = 0x1_0000;
const SZ_1M = 0x10_0000;
const SZ_16M = 0x100_0000;

function mtkHigh(pte: number): number {
  return ((pte >>> 9) & 1) | (((pte >>> 4) & 1) << 1) | (((pte >>> 5) & 1) << 2);
}

/** Memory type of TEX-remap index `index` under Linux's PRRR/NMRR. */
function remapName(index: number): string {
  const type = (ARM_V7S_PRRR >>> (index * 2)) & 3;
  if (type === 0) return 'strongly-ordered';
  if (type === 1) return 'device';
  const inner = (ARM_V7S_NMRR >>> (index * 2)) & 3;
  return ['normal-nc', 'normal-wb', 'normal-wt', 'normal-wb-na'][inner]!;
}

function remapShareability(index: number, s: boolean): IoPgtableDumpAttributes['shareability'] {
  const type = (ARM_V7S_PRRR >>> (index * 2)) & 3;
  if (type === 0) return 'shareable';
  if (type === 1) return ((ARM_V7S_PRRR >>> (s ? 17 : 16)) & 1) === 1 ? 'shareable' : 'non';
  if (!s) return 'non';
  return ((ARM_V7S_PRRR >>> (24 + index)) & 1) === 1 ? 'inner' : 'outer';
}

function attributes(
  pte: number,
  attr: number,
  tex: number,
  xn: boolean,
  mtk: boolean,
  ns: boolean,
  cont: boolean,
): IoPgtableDumpAttributes {
  const index = ((tex & 1) << 2) | ((pte & 0xc) >>> 2);
  const s = (attr & 0x40) !== 0;
  return {
    read: true,
    write: mtk || (attr & 0x20) === 0,
    exec: !xn,
    user: mtk || (attr & 0x2) !== 0,
    memoryType: remapName(index),
    attrIndex: index,
    shareability: remapShareability(index, s),
    nG: (attr & 0x80) !== 0,
    ns,
    af: !mtk && (attr & 0x1) !== 0,
    dbm: false,
    contiguous: cont,
  };
}

/** Decodes a level-1 (`level` 1) or level-2 v7s descriptor for the entry at input address `iova`. */
export function decodeV7sEntry(
  pte: number,
  level: number,
  iova: number,
  mtk: boolean,
): DecodedEntry {
  const type = pte & 3;
  if (type === 0) return { kind: 'invalid', address: 0, pageSize: 0, attributes: null };
  const high = mtk ? mtkHigh(pte) * TWO_POW_32 : 0;
  if (level === 1) {
    if (type === 1)
      return {
        kind: 'table',
        address: ((pte & 0xffff_fc00) >>> 0) + high,
        pageSize: 0,
        attributes: null,
      };
    const superSection = (pte & (1 << 18)) !== 0;
    const size = superSection ? SZ_16M : SZ_1M;
    const base = ((pte & (superSection ? 0xff00_0000 : 0xfff0_0000)) >>> 0) + high;
    const attr = (pte >>> 10) & 0xff;
    const xn = !mtk && (pte & 0x10) !== 0;
    return {
      kind: 'leaf',
      address: base + (iova % size),
      pageSize: size,
      attributes: attributes(
        pte,
        attr,
        (attr >>> 2) & 7,
        xn,
        mtk,
        (pte & (1 << 19)) !== 0,
        superSection,
      ),
    };
  }
  const attr = (pte >>> 4) & 0xff;
  if ((type & 2) !== 0) {
    const base = ((pte & 0xffff_f000) >>> 0) + high;
    return {
      kind: 'leaf',
      address: base,
      pageSize: SZ_4K,
      attributes: attributes(pte, attr, (attr >>> 2) & 7, (pte & 1) !== 0, mtk, false, false),
    };
  }
  const base = ((pte & 0xffff_0000) >>> 0) + high;
  return {
    kind: 'leaf',
    address: base + (iova % SZ_64K),
    pageSize: SZ_64K,
    attributes: attributes(pte, attr, (pte >>> 12) & 7, (pte & (1 << 15)) !== 0, mtk, false, true),
  };
}
