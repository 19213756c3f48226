/**
 * LPAE descriptor decoding for the dump (VMSAv8-64 / VMSAv7 long descriptors, and the Mali
 * variant), independent of the encoder in ../arm-lpae: ARM ARM D8.3 descriptor formats,
 * reference io-pgtable.md §2.1.
 */
import { IoPgtableFmt } from '../io-pgtable';
import type { DecodedEntry } from './decoded-entry';
import { isStage2 } from './geometry';
import type { IoPgtableDumpAttributes, IoPgtableDumpGeometry } from './types';

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_48 = 2 ** 48;

/** Output address bits of a descriptor: [47:12], plus PA[51:48] from [15:12] with a 64K granule. */
export function lpaeOutputAddress(lo: number, hi: number, granule: number): number {
  if (granule === 65536) {
    return (
      ((lo & 0xffff_0000) >>> 0) + (hi & 0xffff) * TWO_POW_32 + ((lo >>> 12) & 0xf) * TWO_POW_48
    );
  }
  return ((lo & 0xffff_f000) >>> 0) + (hi & 0xffff) * TWO_POW_32;
}

/** Names a MAIR attribute byte. */
export function mairAttributeName(byte: number): string {
  switch (byte) {
    case 0x00:
      return 'device-nGnRnE';
    case 0x04:
      return 'device-nGnRE';
    case 0x08:
      return 'device-nGRE';
    case 0x0c:
      return 'device-GRE';
    case 0x44:
      return 'normal-nc';
    case 0xff:
      return 'normal-wb';
    case 0xbb:
      return 'normal-wt';
    case 0xf4:
      return 'normal-inc-owb';
    default:
      return `mair-0x${byte.toString(16).padStart(2, '0')}`;
  }
}

function stage2MemAttrName(memAttr: number, fwb: boolean): string {
  if (fwb) {
    if (memAttr === 0x6) return 'normal-wb';
    if (memAttr === 0x5) return 'normal-nc';
    if ((memAttr & 0xc) === 0)
      return ['device-nGnRnE', 'device-nGnRE', 'device-nGRE', 'device-GRE'][memAttr]!;
    return `memattr-0x${memAttr.toString(16)}`;
  }
  switch (memAttr) {
    case 0x0:
      return 'device-nGnRnE';
    case 0x1:
      return 'device-nGnRE';
    case 0x2:
      return 'device-nGRE';
    case 0x3:
      return 'device-GRE';
    case 0x5:
      return 'normal-nc';
    case 0xa:
      return 'normal-wt';
    case 0xf:
      return 'normal-wb';
    default:
      return `memattr-0x${memAttr.toString(16)}`;
  }
}

/** Linux's Mali MEMATTR: index 0 and 2 0x88 (implementation defined), index 1 0x8d (write-alloc). */
const MALI_ATTR_NAMES = ['mali-nc (0x88)', 'mali-wb (0x8d)', 'mali-dev (0x88)'];

function shareability(sh: number): IoPgtableDumpAttributes['shareability'] {
  return sh === 3 ? 'inner' : sh === 2 ? 'outer' : 'non';
}

function decodeAttributes(
  lo: number,
  hi: number,
  geometry: IoPgtableDumpGeometry,
): IoPgtableDumpAttributes {
  const xn = (hi >>> 21) & 3;
  const common = {
    exec: xn === 0,
    shareability: shareability((lo >>> 8) & 3),
    nG: (lo & (1 << 11)) !== 0,
    af: (lo & (1 << 10)) !== 0,
    dbm: (hi & (1 << 19)) !== 0,
    contiguous: (hi & (1 << 20)) !== 0,
  };
  if (geometry.fmt === IoPgtableFmt.ARM_MALI_LPAE) {
    const index = (lo >>> 2) & 7;
    return {
      ...common,
      read: (lo & (1 << 6)) !== 0,
      write: (lo & (1 << 7)) !== 0,
      user: true,
      memoryType: MALI_ATTR_NAMES[index] ?? `mali-attr${index}`,
      attrIndex: index,
      ns: false,
    };
  }
  if (isStage2(geometry.fmt)) {
    const memAttr = (lo >>> 2) & 0xf;
    return {
      ...common,
      read: (lo & (1 << 6)) !== 0,
      write: (lo & (1 << 7)) !== 0,
      user: true,
      memoryType: stage2MemAttrName(memAttr, geometry.s2fwb),
      attrIndex: memAttr,
      ns: false,
    };
  }
  const index = (lo >>> 2) & 7;
  return {
    ...common,
    read: true,
    write: (lo & (1 << 7)) === 0,
    user: (lo & (1 << 6)) !== 0,
    memoryType: mairAttributeName(Math.floor(geometry.mair / 2 ** (8 * index)) & 0xff),
    attrIndex: index,
    ns: (lo & (1 << 5)) !== 0,
  };
}

/**
 * Decodes one LPAE descriptor at `level`. `blockSize` is the input size one entry covers.
 * Level-3 type 0b01 (0b11 for Mali) is reserved and reported as such.
 */
export function decodeLpaeEntry(
  lo: number,
  hi: number,
  level: number,
  blockSize: number,
  geometry: IoPgtableDumpGeometry,
): DecodedEntry {
  if ((lo & 1) === 0) return { kind: 'invalid', address: 0, pageSize: 0, attributes: null };
  const type = lo & 3;
  const mali = geometry.fmt === IoPgtableFmt.ARM_MALI_LPAE;
  const address = lpaeOutputAddress(lo, hi, geometry.granule);
  if (level === 3) {
    const leafType = mali ? 1 : 3;
    if (type !== leafType) return { kind: 'reserved', address, pageSize: 0, attributes: null };
  } else if (type === 3) {
    return {
      kind: 'table',
      address: address - (address % geometry.granule),
      pageSize: 0,
      attributes: null,
    };
  }
  return {
    kind: 'leaf',
    address: address - (address % blockSize),
    pageSize: blockSize,
    attributes: decodeAttributes(lo, hi, geometry),
  };
}
