import { type Cpu, type Diagnostics, SocmemError } from '@socmem/hw-sim';
import {
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_NO_WARN,
  type IommuFlushOps,
  type IoPgtableCfg,
  type IoPgtableFmt,
  type IoPgtableOps,
} from '../io-pgtable';
import type { IommuIotlbGather } from '../iotlb-gather';
import { ARM_LPAE_MAX_LEVELS, ARM_LPAE_WARN_SOURCE } from './constants';
import { type ArmLpaeGeometry, armLpaeLvlShift } from './geometry';
import { armLpaeCheckInvariants } from './invariants';
import { armLpaeIovaToPhys } from './iova-to-phys';
import { armLpaeMapPages } from './map';
import { LPAE_KIND_MALI, type LpaeKind, PteHalves } from './prot-to-pte';
import type { ArmLpaeTableMemory } from './table-memory';
import { armLpaeUnmapPages } from './unmap';

const TWO_POW_32 = 0x1_0000_0000;

/**
 * `struct arm_lpae_io_pgtable`: one set of LPAE tables in simulated RAM and the ops on it.
 * Fields are public to the arm-lpae files (map, unmap, iova-to-phys, free), not to users.
 */
export class ArmLpaeIoPgtable implements IoPgtableOps {
  readonly fmt: IoPgtableFmt;
  readonly cfg: IoPgtableCfg;
  readonly cookie: unknown;
  readonly kind: LpaeKind;
  readonly mali: boolean;
  readonly quirks: number;
  readonly noWarn: boolean;
  readonly ttbr1: boolean;
  /** ARM_NS quirk: table descriptors carry NSTable. */
  readonly nsTables: boolean;
  readonly coherentWalk: boolean;
  readonly splitBlockOnPartialUnmap: boolean;
  readonly cpu: Cpu;
  readonly diagnostics: Diagnostics;
  readonly tables: ArmLpaeTableMemory;
  readonly tlb: IommuFlushOps | null;

  readonly startLevel: number;
  readonly bitsPerLevel: number;
  readonly pgdBits: number;
  /** ARM_LPAE_GRANULE: bytes of a non-start table. */
  readonly granule: number;
  readonly granule64k: boolean;
  readonly ptesPerTable: number;
  /** ARM_LPAE_PGD_SIZE. */
  readonly pgdSize: number;
  pgdPa = 0;
  /**
   * The input range a map or unmap accepts, [iovaMin, iovaEnd): [0, 2^ias), or with ARM_TTBR1
   * the signed [-2^ias, 0) (Linux's `iaext` test, decided once here instead of per call).
   */
  readonly iovaMin: number;
  readonly iovaEnd: number;
  /** 2^oas. */
  readonly oasLimit: number;
  /** pgsize_bitmap as halves, for the `(pgsize & bitmap) != pgsize` check. */
  readonly pgsizeLo: number;
  readonly pgsizeHi: number;
  /** Per level 0..4: ARM_LPAE_BLOCK_SIZE, its inverse (exact), and the index mask. */
  readonly blockSize = new Float64Array(ARM_LPAE_MAX_LEVELS + 1);
  readonly invBlockSize = new Float64Array(ARM_LPAE_MAX_LEVELS + 1);
  readonly indexMask = new Int32Array(ARM_LPAE_MAX_LEVELS + 1);

  /** Leaf attribute bits of the current map call, and the prot value they encode (-1: none). */
  readonly prot = new PteHalves();
  protFor = -1;
  /** Tables installed by the current map call, undone if it fails (parent entry, table). */
  readonly installedPtep = new Float64Array(ARM_LPAE_MAX_LEVELS);
  readonly installedTable = new Float64Array(ARM_LPAE_MAX_LEVELS);
  installedCount = 0;
  /**
   * Walk memo: the deepest table the last walk reached (level, table PA, and which slice of
   * the input space it covers). Only these ops write their tables, so a remembered path stays
   * valid until a table is freed; `tables.onFree` drops it then. It saves re-reading the
   * upper-level descriptors on every call (Linux re-reads them, from hot CPU cache lines).
   */
  memoLevel = -1;
  memoKey = 0;
  memoTable = 0;
  /** WARN_ONCE state of "Unmap of a partial large IOPTE is not allowed" (once per ops). */
  partialUnmapWarned = false;
  freed = false;

  constructor(
    fmt: IoPgtableFmt,
    cfg: IoPgtableCfg,
    cookie: unknown,
    kind: LpaeKind,
    geometry: ArmLpaeGeometry,
    tables: ArmLpaeTableMemory,
  ) {
    this.fmt = fmt;
    this.cfg = cfg;
    this.cookie = cookie;
    this.kind = kind;
    this.mali = kind === LPAE_KIND_MALI;
    this.quirks = cfg.quirks;
    this.noWarn = (cfg.quirks & IO_PGTABLE_QUIRK_NO_WARN) !== 0;
    this.ttbr1 = (cfg.quirks & IO_PGTABLE_QUIRK_ARM_TTBR1) !== 0;
    this.nsTables = (cfg.quirks & IO_PGTABLE_QUIRK_ARM_NS) !== 0;
    this.coherentWalk = cfg.coherentWalk;
    this.splitBlockOnPartialUnmap = cfg.splitBlockOnPartialUnmap ?? false;
    this.cpu = cfg.machine.cpu;
    this.diagnostics = cfg.machine.diagnostics;
    this.tables = tables;
    this.tlb = cfg.tlb;
    tables.onFree = () => {
      this.memoLevel = -1;
    };
    this.startLevel = geometry.startLevel;
    this.bitsPerLevel = geometry.bitsPerLevel;
    this.pgdBits = geometry.pgdBits;
    this.granule = 8 * 2 ** geometry.bitsPerLevel;
    this.granule64k = this.granule === 0x1_0000;
    this.ptesPerTable = 2 ** geometry.bitsPerLevel;
    this.pgdSize = 8 * 2 ** geometry.pgdBits;
    this.iovaMin = this.ttbr1 ? -(2 ** cfg.ias) : 0;
    this.iovaEnd = this.ttbr1 ? 0 : 2 ** cfg.ias;
    this.oasLimit = 2 ** cfg.oas;
    this.pgsizeLo = cfg.pgsizeBitmap >>> 0;
    this.pgsizeHi = Math.floor(cfg.pgsizeBitmap / TWO_POW_32) >>> 0;
    for (let level = 0; level <= ARM_LPAE_MAX_LEVELS; level++) {
      const shift = armLpaeLvlShift(level, geometry.bitsPerLevel);
      this.blockSize[level] = 2 ** shift;
      this.invBlockSize[level] = 2 ** -shift;
      // ARM_LPAE_LVL_IDX: pgd_bits wide at the start level, bits_per_level below.
      const bits = level === geometry.startLevel ? geometry.pgdBits : geometry.bitsPerLevel;
      this.indexMask[level] = bits >= 31 ? -1 : 2 ** bits - 1;
    }
  }

  mapPages(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number {
    if (this.freed) throw this.usedAfterFree();
    return armLpaeMapPages(this, iova, paddr, pgsize, pgcount, prot);
  }

  unmapPages(
    iova: number,
    pgsize: number,
    pgcount: number,
    gather?: IommuIotlbGather | null,
  ): number {
    if (this.freed) throw this.usedAfterFree();
    return armLpaeUnmapPages(this, iova, pgsize, pgcount, gather ?? null);
  }

  iovaToPhys(iova: number): number {
    if (this.freed) throw this.usedAfterFree();
    return armLpaeIovaToPhys(this, iova);
  }

  /** Checks the tables in RAM against what the ops hold (see armLpaeCheckInvariants); throws InvariantError. */
  checkInvariants(): void {
    armLpaeCheckInvariants(this);
  }

  /**
   * `(pgsize & pgsize_bitmap) == pgsize` for a positive safe integer `pgsize`, on u32 halves
   * since the bitmap may hold 1 << 42. 0x1_0000_0000 is 2^32, a literal because this runs on
   * every map and unmap (a module constant would be reloaded per call).
   */
  pgsizeSupported(pgsize: number): boolean {
    if (!(pgsize > 0) || !Number.isSafeInteger(pgsize)) return false;
    const hi = Math.floor(pgsize / 0x1_0000_0000);
    return ((pgsize >>> 0) & this.pgsizeLo) >>> 0 === pgsize >>> 0 && (hi & this.pgsizeHi) === hi;
  }

  /** The inverse of Linux's `iaext` test: `iova` lies in [iovaMin, iovaEnd). */
  iovaInRange(iova: number): boolean {
    return iova >= this.iovaMin && iova < this.iovaEnd;
  }

  /** ARM_LPAE_LVL_IDX(iova, lvl): exact for every integer below 2^53 and for signed TTBR1 IOVAs. */
  index(iova: number, level: number): number {
    return Math.floor(iova * this.invBlockSize[level]!) & this.indexMask[level]!;
  }

  /** Remembers that `table` is the level-`level` table on the path of `iova`. */
  remember(iova: number, level: number, table: number): void {
    if (level === this.startLevel) return;
    this.memoLevel = level;
    this.memoKey = Math.floor(iova * this.invBlockSize[level - 1]!);
    this.memoTable = table;
  }

  /**
   * The level to start a walk for `iova` towards entries of `size` bytes: the remembered
   * table's level when it is on the path and not below the target, else the start level
   * (the table is then `memoTable`, else `pgdPa`).
   */
  walkStart(iova: number, size: number): number {
    const level = this.memoLevel;
    if (
      level > 0 &&
      size <= this.blockSize[level]! &&
      Math.floor(iova * this.invBlockSize[level - 1]!) === this.memoKey
    ) {
      return level;
    }
    return this.startLevel;
  }

  /** The table to start a walk at, for a level returned by walkStart. */
  walkTable(level: number): number {
    return level === this.startLevel ? this.pgdPa : this.memoTable;
  }

  /** `arm_lpae_max_entries(i)`: entries left in the table page holding index i. */
  maxEntries(index: number): number {
    return this.ptesPerTable - (index & (this.ptesPerTable - 1));
  }

  /** Size of the table at `level`: the PGD at the start level, a granule below. */
  tableSize(level: number): number {
    return level === this.startLevel ? this.pgdSize : this.granule;
  }

  /** A kernel WARN (WARN_ON / WARN_ONCE): a diagnostic event, never an exception. */
  warn(message: string): void {
    this.diagnostics.warn(ARM_LPAE_WARN_SOURCE, message);
  }

  private usedAfterFree(): SocmemError {
    return new SocmemError('EINVAL', `io-pgtable-arm: ${this.fmt} ops used after freeIoPgtableOps`);
  }
}
