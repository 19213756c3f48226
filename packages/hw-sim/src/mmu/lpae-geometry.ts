import { hex, SocmemError } from '../errors/socmem-error';
import type { WalkConfig } from './translation';

/**
 * The level a stage-1 VMSAv8-64 walk starts at for a granule and an input size (64 - T0SZ):
 * each level resolves `granuleShift - 3` bits above the page offset, and the walk starts at
 * the highest level still needed (ARM ARM D8.2.7, "Translation table level lookup"; the same
 * rule Linux uses in arm_lpae_alloc_pgtable: start = 4 - ceil((ias - pg_shift) / bpl)).
 */
export function lpaeStartLevel(granuleShift: 12 | 14 | 16, inputBits: number): number {
  if (granuleShift !== 12 && granuleShift !== 14 && granuleShift !== 16) {
    throw new SocmemError('EINVAL', `lpae: granule shift ${granuleShift} is not 12, 14 or 16`);
  }
  const maxBits = granuleShift === 16 ? 52 : 48;
  if (!Number.isInteger(inputBits) || inputBits < 16 || inputBits > maxBits) {
    throw new SocmemError(
      'EINVAL',
      `lpae: input size ${inputBits} bits is outside 16..${maxBits} for granule ${1 << granuleShift}`,
    );
  }
  const stride = granuleShift - 3;
  return 4 - Math.ceil((inputBits - granuleShift) / stride);
}

/** Derived, validated walk parameters of an LPAE-family config (lpae64, lpae32, mali). */
export class LpaeGeometry {
  readonly granuleShift: number;
  readonly stride: number;
  readonly startLevel: number;
  /** Index bits at the start level (wider than `stride` with concatenated stage-2 tables). */
  readonly startIndexBits: number;
  /** Bit n set: a block descriptor is allowed at level n. */
  readonly blockLevels: number;
  /** Descriptor type (bits [1:0]) of a level-3 page: 0b11, or 0b01 for Mali. */
  readonly pageType: number;
  /** 64K granule with 52-bit output: PA[51:48] in descriptor bits [15:12]. */
  readonly pa52: boolean;
  readonly inputLimit: number;
  readonly outputLimit: number;
  /** Stage-1 hierarchical table attributes (APTable, XNTable, PXNTable, NSTable) apply. */
  readonly tableAttributes: boolean;
  /** XN[1:0] at stage 2 distinguishes EL1 and EL0 (FEAT_XNX, lpae64 only). */
  readonly stage2Xnx: boolean;
  /** Shift of the input address at each level 0..3. */
  readonly levelShift: readonly number[];
  /** Bytes one descriptor maps at each level 0..3 (2^levelShift). */
  readonly levelSize: readonly number[];

  constructor(config: WalkConfig) {
    const {
      format,
      stage,
      granuleShift,
      inputBits,
      outputBits,
      startLevel,
      concatenatedTables,
      tableBase,
    } = config;
    const where = `${format} stage ${stage} walk config`;
    if (granuleShift !== 12 && granuleShift !== 14 && granuleShift !== 16) {
      throw new SocmemError(
        'EINVAL',
        `${where}: granule shift ${granuleShift} is not 12, 14 or 16`,
      );
    }
    if (format !== 'lpae64' && granuleShift !== 12) {
      throw new SocmemError(
        'EINVAL',
        `${where}: granule shift ${granuleShift} (only 4 KiB granules exist for ${format})`,
      );
    }
    if (stage !== 1 && stage !== 2)
      throw new SocmemError('EINVAL', `${where}: stage ${stage} is not 1 or 2`);
    if (format === 'mali' && stage !== 1)
      throw new SocmemError('EINVAL', `${where}: Mali has stage 1 only`);
    const maxOut = format === 'lpae32' ? 40 : granuleShift === 16 ? 52 : 48;
    if (!Number.isInteger(outputBits) || outputBits < 32 || outputBits > maxOut) {
      throw new SocmemError(
        'EINVAL',
        `${where}: output size ${outputBits} bits is outside 32..${maxOut}`,
      );
    }
    const maxIn = format === 'lpae32' ? (stage === 1 ? 32 : 40) : granuleShift === 16 ? 52 : 48;
    if (!Number.isInteger(inputBits) || inputBits < 16 || inputBits > maxIn) {
      throw new SocmemError(
        'EINVAL',
        `${where}: input size ${inputBits} bits is outside 16..${maxIn}`,
      );
    }
    const stride = granuleShift - 3;
    const shifts = [0, 1, 2, 3].map((level) => granuleShift + (3 - level) * stride);
    if (!Number.isInteger(startLevel) || startLevel < 0 || startLevel > 3) {
      throw new SocmemError('EINVAL', `${where}: start level ${startLevel} is not 0..3`);
    }
    // Mali walks all four levels whatever the input size (Linux arm_mali_lpae_alloc_pgtable
    // forces start_level 0 with a one-entry PGD); stage 1 starts where T0SZ says; stage 2 where SL0 says.
    const expected =
      format === 'mali' ? 0 : stage === 1 ? lpaeStartLevel(granuleShift, inputBits) : startLevel;
    if (startLevel !== expected) {
      throw new SocmemError(
        'EINVAL',
        `${where}: start level ${startLevel} does not match ${inputBits}-bit input (expected ${expected})`,
      );
    }
    const indexBits = Math.max(0, inputBits - shifts[startLevel]!);
    if (format !== 'mali' && indexBits < 1) {
      throw new SocmemError(
        'EINVAL',
        `${where}: start level ${startLevel} resolves no bits of a ${inputBits}-bit input`,
      );
    }
    // Stage 2 may concatenate up to 16 tables at the start level (ARM ARM D8.2.8 / R_DXBSH).
    const concat = indexBits > stride ? 2 ** (indexBits - stride) : 1;
    if (concatenatedTables !== concat || (stage === 1 && concat !== 1) || concat > 16) {
      throw new SocmemError(
        'EINVAL',
        `${where}: ${concatenatedTables} concatenated tables at level ${startLevel} for a ${inputBits}-bit input (needs ${concat}${stage === 1 ? ', stage 1 concatenates none' : ', at most 16'})`,
      );
    }
    const tableBytes = 8 * 2 ** indexBits;
    if (!Number.isSafeInteger(tableBase) || tableBase < 0 || tableBase % tableBytes !== 0) {
      throw new SocmemError(
        'EINVAL',
        `${where}: table base ${hex(tableBase)} is not aligned to its ${tableBytes}-byte table`,
      );
    }
    this.granuleShift = granuleShift;
    this.stride = stride;
    this.startLevel = startLevel;
    this.startIndexBits = indexBits;
    this.levelShift = shifts;
    this.levelSize = shifts.map((shift) => 2 ** shift);
    this.pa52 = granuleShift === 16 && outputBits === 52;
    // Block levels (ARM ARM D8.3.1, Table D8-xx; QEMU lpae_block_desc_valid): 4K L1/L2;
    // 16K L2; 64K L2, and L1 with 52-bit output. Mali's page sizes are 4K|2M|1G (L1/L2 blocks).
    this.blockLevels =
      granuleShift === 12 ? 0b0110 : granuleShift === 14 ? 0b0100 : this.pa52 ? 0b0110 : 0b0100;
    this.pageType = format === 'mali' ? 0b01 : 0b11;
    this.inputLimit = 2 ** inputBits;
    this.outputLimit = 2 ** outputBits;
    this.tableAttributes = stage === 1 && format !== 'mali';
    this.stage2Xnx = stage === 2 && format === 'lpae64';
  }
}

/**
 * The stage-2 start level VTCR_EL2.SL0 selects (ARM ARM D8.2.8, VTCR_EL2.SL0 without
 * FEAT_TTST/LPA2): with 4K, SL0 0/1/2 = level 2/1/0; with 16K and 64K, SL0 0/1/2 = level 3/2/1
 * (16K SL0 = 2 is level 1; 64K SL0 = 2 needs a 52-bit PA for level 1 blocks, but is valid).
 * EINVAL for a reserved encoding.
 */
export function lpaeStage2StartLevel(granuleShift: 12 | 14 | 16, sl0: number): number {
  if (!Number.isInteger(sl0) || sl0 < 0 || sl0 > 2)
    throw new SocmemError('EINVAL', `lpae: VTCR.SL0 ${sl0} is reserved`);
  return granuleShift === 12 ? 2 - sl0 : 3 - sl0;
}

/**
 * How many tables a stage-2 walk concatenates at `startLevel` for an input size: the start
 * level resolves `inputBits - shift(startLevel)` bits, and each bit beyond a table's
 * `granuleShift - 3` doubles the tables (ARM ARM D8.2.8; at most 16). EINVAL when the start
 * level resolves nothing or more than 16 tables would be needed.
 */
export function lpaeConcatenatedTables(
  granuleShift: 12 | 14 | 16,
  inputBits: number,
  startLevel: number,
): number {
  const stride = granuleShift - 3;
  const bits = inputBits - (granuleShift + (3 - startLevel) * stride);
  if (bits < 1 || bits > stride + 4) {
    throw new SocmemError(
      'EINVAL',
      `lpae: a ${inputBits}-bit stage-2 input cannot start at level ${startLevel} with granule ${1 << granuleShift}`,
    );
  }
  return bits > stride ? 2 ** (bits - stride) : 1;
}
