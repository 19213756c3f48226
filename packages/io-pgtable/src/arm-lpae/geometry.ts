import { hex, SocmemError } from '@socmem/hw-sim';
import { ARM_LPAE_MAX_ADDR_BITS, ARM_LPAE_MAX_LEVELS } from './constants';
import { bitmapAnd, bitsBelow, bitsFrom, highestBit, log2Exact, lowestBit } from './size-bitmap';

const SZ_4K = 0x1000;
const SZ_16K = 0x4000;
const SZ_64K = 0x1_0000;
const SZ_2M = 0x20_0000;
const SZ_32M = 0x200_0000;
const SZ_512M = 0x2000_0000;
const SZ_1G = 0x4000_0000;
const SZ_4T = 2 ** 42;

/** Page sizes an LPAE format with a 4K granule can use (the 32-bit formats and Mali force these). */
export const ARM_LPAE_4K_PGSIZES = SZ_4K | SZ_2M | SZ_1G;

/** The narrowed inputs of `arm_lpae_restrict_pgsizes`. */
export interface RestrictedSizes {
  pgsizeBitmap: number;
  ias: number;
  oas: number;
}

/**
 * `arm_lpae_restrict_pgsizes`: picks the granule (the host PAGE_SIZE if offered, else the
 * largest smaller size, else the smallest larger one), keeps only that granule's block sizes
 * and clamps ias/oas to 48 bits (52 with 64K). Reference §2.3.
 */
export function armLpaeRestrictPgsizes(
  pgsizeBitmap: number,
  ias: number,
  oas: number,
  hostPageSize: number,
): RestrictedSizes {
  let granule: number;
  if (bitmapAnd(pgsizeBitmap, hostPageSize) !== 0) granule = hostPageSize;
  else if (bitsBelow(pgsizeBitmap, hostPageSize) !== 0)
    granule = highestBit(bitsBelow(pgsizeBitmap, hostPageSize));
  else if (bitsFrom(pgsizeBitmap, hostPageSize) !== 0)
    granule = lowestBit(bitsFrom(pgsizeBitmap, hostPageSize));
  else granule = 0;
  let pageSizes = 0;
  let maxAddrBits = 48;
  if (granule === SZ_4K) pageSizes = SZ_4K + SZ_2M + SZ_1G;
  else if (granule === SZ_16K) pageSizes = SZ_16K + SZ_32M;
  else if (granule === SZ_64K) {
    maxAddrBits = 52;
    pageSizes = SZ_64K + SZ_512M + (oas > 48 ? SZ_4T : 0);
  }
  return {
    pgsizeBitmap: bitmapAnd(pgsizeBitmap, pageSizes),
    ias: Math.min(ias, maxAddrBits),
    oas: Math.min(oas, maxAddrBits),
  };
}

/** The shape of one set of LPAE tables (`struct arm_lpae_io_pgtable` without the pgd). */
export interface ArmLpaeGeometry {
  /** log2 of the granule: 12, 14 or 16. */
  readonly pgShift: number;
  /** Index bits per level: 9, 11 or 13. */
  readonly bitsPerLevel: number;
  readonly startLevel: number;
  /** Index bits of the start-level table (wider than bitsPerLevel when stage-2 tables are concatenated). */
  readonly pgdBits: number;
}

/**
 * The geometry `arm_lpae_alloc_pgtable` computes from a restricted bitmap and ias. Throws
 * EINVAL where Linux returns NULL, and where the ias leaves nothing to translate.
 */
export function armLpaeGeometry(
  pgsizeBitmap: number,
  ias: number,
  oas: number,
  what: string,
): ArmLpaeGeometry {
  if (bitmapAnd(pgsizeBitmap, SZ_4K + SZ_16K + SZ_64K) === 0) {
    throw new SocmemError(
      'EINVAL',
      `${what}: page sizes ${hex(pgsizeBitmap)} include no 4K, 16K or 64K granule`,
    );
  }
  if (ias > ARM_LPAE_MAX_ADDR_BITS)
    throw new SocmemError('EINVAL', `${what}: ias ${ias} is above 52 bits`);
  if (oas > ARM_LPAE_MAX_ADDR_BITS)
    throw new SocmemError('EINVAL', `${what}: oas ${oas} is above 52 bits`);
  const pgShift = log2Exact(lowestBit(pgsizeBitmap));
  const bitsPerLevel = pgShift - 3;
  const vaBits = ias - pgShift;
  if (vaBits < 1) {
    // Linux would compute start level 4 here and fail every map; refuse it up front.
    throw new SocmemError(
      'EINVAL',
      `${what}: ias ${ias} leaves no bits above the ${2 ** pgShift}-byte granule`,
    );
  }
  const levels = Math.ceil(vaBits / bitsPerLevel);
  return {
    pgShift,
    bitsPerLevel,
    startLevel: ARM_LPAE_MAX_LEVELS - levels,
    pgdBits: vaBits - bitsPerLevel * (levels - 1),
  };
}

/**
 * `arm_lpae_concat_mandatory` (v6.16, after 4dcac8407fe1 and b7b8a6305557): Arm DDI0487 K.a
 * R_DXBSH and R_SRKBC require a concatenated stage-2 start level for these cases only.
 */
export function armLpaeConcatMandatory(
  geometry: ArmLpaeGeometry,
  ias: number,
  oas: number,
): boolean {
  const granule = 2 ** geometry.pgShift;
  if (granule === SZ_16K && geometry.startLevel === 0) return oas === 48 || ias === 48;
  if (granule === SZ_4K && geometry.startLevel === 0) return oas === 40 || oas === 42;
  return granule === SZ_16K && geometry.startLevel === 1 && oas === 40;
}

/** ARM_LPAE_LVL_SHIFT(l): bit position of the input address resolved at level l. */
export function armLpaeLvlShift(level: number, bitsPerLevel: number): number {
  return (ARM_LPAE_MAX_LEVELS - level) * bitsPerLevel + 3;
}
