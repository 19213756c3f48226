import { hex, SocmemError } from '@socmem/hw-sim';
import { ARM_LPAE_MAIR } from '../arm-lpae/registers';
import {
  IO_PGTABLE_QUIRK_ARM_MTK_EXT,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IoPgtableFmt,
} from '../io-pgtable';
import type { DumpIoPgtableOptions, IoPgtableDumpGeometry } from './types';

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_48 = 2 ** 48;
/**
 * MAIR assumed when neither the options nor a cfg give one: the value Linux programs for every
 * stage-1 LPAE table (0xf404ff44: idx0 NC, idx1 WBRWA, idx2 nGnRE, idx3 inner-NC/outer-WBRWA).
 */
export const DUMP_DEFAULT_MAIR = ARM_LPAE_MAIR;
/** Largest start-level table accepted: 16 concatenated 64K-granule tables. */
const MAX_START_ENTRIES = 2 ** 17;

/** True for the stage-2 LPAE formats. */
export function isStage2(fmt: IoPgtableFmt): boolean {
  return fmt === IoPgtableFmt.ARM_64_LPAE_S2 || fmt === IoPgtableFmt.ARM_32_LPAE_S2;
}

/** `ARM_LPAE_LVL_SHIFT(l)`: the input bit a level-`level` entry starts at. */
export function lpaeLevelShift(level: number, granule: number): number {
  const pgShift = Math.log2(granule);
  return pgShift + (3 - level) * (pgShift - 3);
}

/** The start level Linux picks for `ias` bits with this granule (`4 - levels`). */
export function lpaeStartLevel(ias: number, granule: number): number {
  const pgShift = Math.log2(granule);
  return 4 - Math.ceil((ias - pgShift) / (pgShift - 3));
}

function defaultIas(fmt: IoPgtableFmt): number {
  switch (fmt) {
    case IoPgtableFmt.ARM_V7S:
    case IoPgtableFmt.ARM_32_LPAE_S1:
      return 32;
    case IoPgtableFmt.ARM_32_LPAE_S2:
      return 40;
    default:
      return 48;
  }
}

/** TG0 (or TG1 with ARM_TTBR1) to a granule size. */
function granuleFromTg(tg: number, ttbr1: boolean): number {
  const table = ttbr1 ? [0, 16384, 4096, 65536] : [4096, 65536, 16384, 0];
  const granule = table[tg & 3] ?? 0;
  if (granule === 0) throw new SocmemError('EINVAL', `io-pgtable dump: reserved TG value ${tg}`);
  return granule;
}

/** The table address held in a register value of `fmt`. */
export function rootFromRegister(fmt: IoPgtableFmt, value: number, mtkExt: boolean): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new SocmemError('EINVAL', `io-pgtable dump: bad register value ${value}`);
  if (fmt === IoPgtableFmt.ARM_V7S) {
    const low = value % TWO_POW_32;
    const base = (low - (low % 128)) >>> 0;
    // MTK: ttbr = pa | upper_32_bits(pa), so bits [2:0] are PA[34:32].
    return mtkExt ? base + (low & 7) * TWO_POW_32 : base;
  }
  const low48 = value % TWO_POW_48;
  // Mali TRANSTAB keeps flags in [4:0]; LPAE TTBRs keep CnP in bit 0. Tables are 64-byte aligned.
  return low48 - (low48 % 64);
}

/** Works out root, ias, granule and start level from explicit options and/or the cfg registers. */
export function resolveDumpGeometry(options: DumpIoPgtableOptions): IoPgtableDumpGeometry {
  const { fmt, cfg } = options;
  if (typeof fmt !== 'string' || !Object.hasOwn(IoPgtableFmt, fmt)) {
    throw new SocmemError('EINVAL', `io-pgtable dump: unknown format ${String(fmt)}`);
  }
  const quirks = options.quirks ?? cfg?.quirks ?? 0;
  const ttbr1 = (quirks & IO_PGTABLE_QUIRK_ARM_TTBR1) !== 0;
  const mtkExt = fmt === IoPgtableFmt.ARM_V7S && (quirks & IO_PGTABLE_QUIRK_ARM_MTK_EXT) !== 0;
  let root = options.root;
  let ias = options.ias;
  let granule = options.granule;
  let startLevel = options.startLevel;
  let mair = options.mair;

  if (fmt === IoPgtableFmt.ARM_V7S) {
    if (root === undefined && options.ttbr === undefined && cfg?.armV7sCfg !== undefined) {
      root = rootFromRegister(fmt, cfg.armV7sCfg.ttbr, mtkExt);
    }
    ias ??= cfg?.ias ?? 32;
    granule ??= 4096;
  } else if (fmt === IoPgtableFmt.ARM_MALI_LPAE) {
    if (root === undefined && options.ttbr === undefined && cfg?.armMaliLpaeCfg !== undefined) {
      root = rootFromRegister(fmt, cfg.armMaliLpaeCfg.transtab, false);
    }
    ias ??= cfg?.ias ?? 48;
    granule ??= 4096;
    startLevel ??= 0;
  } else if (isStage2(fmt)) {
    const s2 = cfg?.armLpaeS2Cfg;
    if (s2 !== undefined) {
      if (root === undefined && options.ttbr === undefined)
        root = rootFromRegister(fmt, s2.vttbr, false);
      ias ??= 64 - s2.vtcr.tsz;
      granule ??= granuleFromTg(s2.vtcr.tg, false);
      startLevel ??= (granule === 4096 ? 2 : 3) - s2.vtcr.sl;
    }
  } else {
    const s1 = cfg?.armLpaeS1Cfg;
    if (s1 !== undefined) {
      if (root === undefined && options.ttbr === undefined)
        root = rootFromRegister(fmt, s1.ttbr, false);
      ias ??= 64 - s1.tcr.tsz;
      granule ??= granuleFromTg(s1.tcr.tg, ttbr1);
      mair ??= s1.mair;
    }
  }
  if (root === undefined && options.ttbr !== undefined)
    root = rootFromRegister(fmt, options.ttbr, mtkExt);
  if (root === undefined)
    throw new SocmemError('EINVAL', `io-pgtable dump: no root table address for ${fmt}`);
  ias ??= cfg?.ias ?? defaultIas(fmt);
  granule ??= 4096;
  if (![4096, 16384, 65536].includes(granule))
    throw new SocmemError('EINVAL', `io-pgtable dump: granule ${granule} is not 4K, 16K or 64K`);
  if (
    granule !== 4096 &&
    (fmt === IoPgtableFmt.ARM_V7S || fmt === IoPgtableFmt.ARM_MALI_LPAE || fmt.startsWith('ARM_32'))
  ) {
    throw new SocmemError('EINVAL', `io-pgtable dump: ${fmt} has only a 4K granule`);
  }
  const maxIas = fmt === IoPgtableFmt.ARM_V7S ? (mtkExt ? 34 : 32) : 52;
  const minIas = fmt === IoPgtableFmt.ARM_V7S ? 20 : Math.log2(granule) + 1;
  if (!Number.isInteger(ias) || ias < minIas || ias > maxIas) {
    throw new SocmemError(
      'EINVAL',
      `io-pgtable dump: ias ${ias} outside ${minIas}..${maxIas} for ${fmt}`,
    );
  }
  if (
    !Number.isSafeInteger(root) ||
    root < 0 ||
    root % (fmt === IoPgtableFmt.ARM_V7S ? 4 : 8) !== 0
  ) {
    throw new SocmemError(
      'EINVAL',
      `io-pgtable dump: root ${hex(root)} is not an aligned physical address`,
    );
  }

  let startEntries: number;
  if (fmt === IoPgtableFmt.ARM_V7S) {
    startLevel = 1;
    startEntries = 2 ** (ias - 20);
  } else {
    startLevel ??= lpaeStartLevel(ias, granule);
    if (!Number.isInteger(startLevel) || startLevel < 0 || startLevel > 3) {
      throw new SocmemError('EINVAL', `io-pgtable dump: start level ${startLevel} outside 0..3`);
    }
    const bits = ias - lpaeLevelShift(startLevel, granule);
    startEntries = bits > 0 ? 2 ** bits : 1;
    if (startEntries > MAX_START_ENTRIES) {
      throw new SocmemError(
        'EINVAL',
        `io-pgtable dump: start level ${startLevel} cannot resolve ${ias} input bits with a ${granule}-byte granule`,
      );
    }
  }
  return {
    fmt,
    root,
    ias,
    granule,
    startLevel,
    startEntries,
    ttbr1,
    mtkExt,
    mair: mair ?? DUMP_DEFAULT_MAIR,
    s2fwb: isStage2(fmt) && (quirks & IO_PGTABLE_QUIRK_ARM_S2FWB) !== 0,
  };
}
