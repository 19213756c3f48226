import type { IoPgtableCfg, IoPgtableFmt } from '../io-pgtable';

/**
 * Where descriptors are read from: 32-bit little-endian loads by physical address. A hw-sim
 * `Bus` (RAM as a device sees it, not the CPU cache) satisfies it, and so does a memory image
 * ({@link MemoryImageReader}). Reads outside memory throw.
 */
export interface DescriptorReader {
  read32(pa: number): number;
}

/** Decoded attributes of a leaf descriptor, in one shape for every format. */
export interface IoPgtableDumpAttributes {
  readonly read: boolean;
  readonly write: boolean;
  /** No XN bit set (neither PXN nor UXN at stage 1; XN[1:0] = 0 at stage 2). */
  readonly exec: boolean;
  /** Unprivileged access allowed (stage-1 AP[1], v7s AP1); true for stage 2 and Mali. */
  readonly user: boolean;
  /** 'normal-wb', 'normal-nc', 'device-nGnRE', ... from MAIR, MemAttr or TEX remap. */
  readonly memoryType: string;
  /** Raw index: AttrIndx (stage 1, Mali), MemAttr[3:0] (stage 2), TEX[0]:C:B (v7s). */
  readonly attrIndex: number;
  readonly shareability: 'non' | 'outer' | 'inner' | 'shareable';
  readonly nG: boolean;
  readonly ns: boolean;
  /** Access flag (v7s: AP0). */
  readonly af: boolean;
  /** LPAE DBM (bit 51). */
  readonly dbm: boolean;
  /** v7s supersection / large page, or the LPAE contiguous hint (bit 52). */
  readonly contiguous: boolean;
}

/** One range of input addresses mapped by adjacent leaves with contiguous output and equal attributes. */
export interface IoPgtableDumpMapping {
  /** First input address (below 2^ias; see {@link IoPgtableDump.ttbr1} for the upper range). */
  readonly iova: number;
  readonly pa: number;
  /** Bytes covered. */
  readonly size: number;
  /** Translation size of each leaf: page, block, section, large page (64K), supersection (16M). */
  readonly pageSize: number;
  readonly level: number;
  /** Descriptors merged into this range. */
  readonly entries: number;
  readonly attributes: IoPgtableDumpAttributes;
  /** The first leaf descriptor, as u32 halves. */
  readonly descriptorLo: number;
  readonly descriptorHi: number;
}

/** A run of entries in one table, as the tree printer shows it. */
export interface IoPgtableDumpEntry {
  /** Index of the first entry in its table. */
  readonly index: number;
  /** Entries in the run (leaves with contiguous output and equal attributes; 1 for a table). */
  readonly count: number;
  readonly iova: number;
  /** Input bytes the run covers. */
  readonly size: number;
  readonly kind: 'table' | 'leaf';
  /** Leaf: output address of the run; table: address of the next-level table. */
  readonly pa: number;
  /** Leaf: translation size of each entry (page, block, section, 64K large page, 16M supersection). */
  readonly pageSize: number;
  readonly attributes: IoPgtableDumpAttributes | null;
  readonly child: IoPgtableDumpTable | null;
}

/** One table found in the walk. */
export interface IoPgtableDumpTable {
  readonly level: number;
  readonly pa: number;
  /** Bytes of the table (several pages for a concatenated stage-2 PGD). */
  readonly bytes: number;
  readonly entriesTotal: number;
  readonly validEntries: number;
  /** First input address the table covers. */
  readonly iova: number;
  readonly entries: readonly IoPgtableDumpEntry[];
}

/** Something that could not be decoded: the walk skips it and goes on. */
export interface IoPgtableDumpError {
  readonly level: number;
  /** Address of the descriptor or table concerned. */
  readonly pa: number;
  readonly message: string;
}

/** Geometry the walk used. */
export interface IoPgtableDumpGeometry {
  readonly fmt: IoPgtableFmt;
  readonly root: number;
  readonly ias: number;
  /** 4096, 16384 or 65536 (v7s: 4096). */
  readonly granule: number;
  readonly startLevel: number;
  /** Entries of the start-level table (beyond one granule when stage-2 tables are concatenated). */
  readonly startEntries: number;
  readonly ttbr1: boolean;
  /** v7s: ARM_MTK_EXT descriptor bits. */
  readonly mtkExt: boolean;
  /** Stage-1 MAIR used to name AttrIndx values. */
  readonly mair: number;
  /** Stage 2 with S2FWB. */
  readonly s2fwb: boolean;
}

/** The result of {@link dumpIoPgtable}. */
export interface IoPgtableDump extends IoPgtableDumpGeometry {
  readonly mappings: readonly IoPgtableDumpMapping[];
  /** Every table, in walk order (the root first). */
  readonly tables: readonly IoPgtableDumpTable[];
  readonly errors: readonly IoPgtableDumpError[];
}

/**
 * What to decode. Either explicit geometry (`root`, `ias`, `granule`, `startLevel`, ...) or a
 * cfg as allocIoPgtableOps left it (its register block gives root and geometry); explicit
 * fields win over the cfg.
 */
export interface DumpIoPgtableOptions {
  readonly fmt: IoPgtableFmt;
  readonly memory: DescriptorReader;
  readonly cfg?: Pick<IoPgtableCfg, 'quirks' | 'ias' | 'oas'> &
    Partial<Pick<IoPgtableCfg, 'armLpaeS1Cfg' | 'armLpaeS2Cfg' | 'armV7sCfg' | 'armMaliLpaeCfg'>>;
  /** Physical address of the top-level table. */
  readonly root?: number;
  /** A raw register value (TTBR, VTTBR, v7s TTBR, Mali TRANSTAB) to take the root from. */
  readonly ttbr?: number;
  readonly ias?: number;
  readonly granule?: number;
  readonly startLevel?: number;
  readonly quirks?: number;
  readonly mair?: number;
}
