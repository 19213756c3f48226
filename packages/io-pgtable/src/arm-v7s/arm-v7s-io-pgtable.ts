import { hex, InvariantError, type Machine, SocmemError } from '@socmem/hw-sim';
import {
  IO_PGTABLE_QUIRK_ARM_MTK_EXT,
  IOMMU_READ,
  IOMMU_WRITE,
  type IoPgtableCfg,
  IoPgtableFmt,
  type IoPgtableOps,
} from '../io-pgtable';
import type { IommuIotlbGather } from '../iotlb-gather';
import { IoPgtableMapError } from '../map-error';
import { ARM_V7S_CONT_PAGES, ARM_V7S_LVL1_SHIFT, ARM_V7S_WARN_SOURCE } from './constants';
import { armV7sMapOne } from './map';
import {
  type ArmV7sLevel,
  armV7sIopteToPaddr,
  armV7sLvlMask,
  armV7sPteIsCont,
  armV7sPteIsTable,
  armV7sPteIsValid,
} from './pte';
import type { ArmV7sTableAllocator } from './table-allocator';
import { armV7sUnmapOne } from './unmap';

/**
 * One ARM_V7S page table (`struct arm_v7s_io_pgtable`): a level-1 table of 2^(ias-20) entries
 * and 1 KiB level-2 tables in simulated RAM, written through the machine's CPU (and cleaned
 * from its cache for a non-coherent walker), behaving as Linux v6.13 io-pgtable-arm-v7s.c.
 */
export class ArmV7sIoPgtable implements IoPgtableOps {
  readonly fmt = IoPgtableFmt.ARM_V7S;
  readonly cfg: IoPgtableCfg;
  readonly cookie: unknown;
  /** Physical address of the level-1 table. */
  readonly pgd: number;
  /** Entries of the level-1 table (4096 for a 32-bit input space). */
  readonly l1Entries: number;
  readonly l1Size: number;
  /** @internal */
  readonly tables: ArmV7sTableAllocator;
  /** @internal */
  readonly machine: Machine;
  /** @internal */
  readonly mtkEnabled: boolean;
  private readonly inputLimit: number;
  private readonly outputLimit: number;
  /** Entries read by one unmap (a supersection or large page reads 16). @internal */
  readonly scratch = new Uint32Array(ARM_V7S_CONT_PAGES);
  /**
   * WARN_ONCE state of the two "Unmap of a partial large IOPTE is not allowed" sites (large
   * entry, section), kept per table instance rather than per boot so tests stay independent.
   */
  readonly warnedPartialUnmap = [false, false];
  private freed = false;

  constructor(cfg: IoPgtableCfg, cookie: unknown, tables: ArmV7sTableAllocator, pgd: number) {
    this.cfg = cfg;
    this.cookie = cookie;
    this.tables = tables;
    this.machine = cfg.machine;
    this.pgd = pgd;
    this.mtkEnabled = (cfg.quirks & IO_PGTABLE_QUIRK_ARM_MTK_EXT) !== 0;
    this.l1Entries = 2 ** (cfg.ias - ARM_V7S_LVL1_SHIFT);
    this.l1Size = this.l1Entries * 4;
    this.inputLimit = 2 ** cfg.ias;
    this.outputLimit = 2 ** cfg.oas;
  }

  /**
   * `ARM_V7S_LVL_IDX(addr, lvl)`. Literals, as this runs on every map, unmap and lookup:
   * 0x10_0000 and 0x1000 are 2^ARM_V7S_LVL1_SHIFT and 2^ARM_V7S_LVL2_SHIFT, 0xff is
   * ARM_V7S_LVL2_ENTRIES - 1.
   */
  lvlIdx(iova: number, lvl: ArmV7sLevel): number {
    if (lvl === 1) return Math.floor(iova / 0x10_0000) & (this.l1Entries - 1);
    return Math.floor(iova / 0x1000) & 0xff;
  }

  /** Reads a descriptor as the CPU sees it. @internal */
  readPte(ptep: number): number {
    return this.machine.cpu.read32(ptep);
  }

  /** `__arm_v7s_set_pte`: writes `num` copies of `pte` and syncs them. @internal */
  setPte(ptep: number, pte: number, num: number): void {
    const cpu = this.machine.cpu;
    for (let i = 0; i < num; i++) cpu.write32(ptep + i * 4, pte);
    this.pteSync(ptep, num);
  }

  /** `__arm_v7s_pte_sync`: cleans descriptors for a non-coherent walker. @internal */
  pteSync(ptep: number, num: number): void {
    if (!this.cfg.coherentWalk) this.machine.cache.clean(ptep, num * 4);
  }

  /** `iopte_to_paddr`. @internal */
  iopteToPaddr(pte: number, lvl: ArmV7sLevel): number {
    return armV7sIopteToPaddr(pte, lvl, this.mtkEnabled);
  }

  /** Records a kernel WARN. @internal */
  warn(message: string): void {
    this.machine.diagnostics.warn(ARM_V7S_WARN_SOURCE, message);
  }

  /** `io_pgtable_tlb_flush_walk`. @internal */
  tlbFlushWalk(iova: number, size: number, granule: number): void {
    this.cfg.tlb?.tlbFlushWalk(iova, size, granule, this.cookie);
  }

  /**
   * `io_pgtable_tlb_add_page`. v7s calls it whenever the gather is not queued, a NULL gather
   * included, so the callback may receive null as Linux's does.
   * @internal
   */
  tlbAddPage(gather: IommuIotlbGather | null, iova: number, granule: number): void {
    const addPage = this.cfg.tlb?.tlbAddPage;
    if (addPage !== undefined) addPage(gather, iova, granule, this.cookie);
  }

  mapPages(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number {
    this.assertLive('mapPages');
    if (!isU64(iova) || !isU64(paddr) || iova >= this.inputLimit || paddr >= this.outputLimit) {
      this.warn(
        `map of iova ${hex(iova)} pa ${hex(paddr)} outside ias ${this.cfg.ias} / oas ${this.cfg.oas}`,
      );
      throw new IoPgtableMapError(
        'ERANGE',
        `io-pgtable-arm-v7s: iova ${hex(iova)} or pa ${hex(paddr)} out of range`,
        0,
      );
    }
    if ((prot & (IOMMU_READ | IOMMU_WRITE)) === 0) {
      throw new IoPgtableMapError(
        'EINVAL',
        `io-pgtable-arm-v7s: prot ${hex(prot)} grants neither read nor write`,
        0,
      );
    }
    if (
      !Number.isSafeInteger(pgsize) ||
      pgsize <= 0 ||
      !Number.isSafeInteger(pgcount) ||
      pgcount < 0
    ) {
      throw new IoPgtableMapError(
        'EINVAL',
        `io-pgtable-arm-v7s: bad pgsize ${pgsize} / pgcount ${pgcount}`,
        0,
      );
    }
    // Linux's loop starts from ret = -EINVAL, so mapping no page at all fails.
    if (pgcount === 0) throw new IoPgtableMapError('EINVAL', 'io-pgtable-arm-v7s: pgcount 0', 0);
    let mapped = 0;
    try {
      for (let page = 0; page < pgcount; page++) {
        armV7sMapOne(this, iova + mapped, paddr + mapped, pgsize, prot, 1, this.pgd);
        mapped += pgsize;
      }
    } catch (error) {
      // v7s maps page by page: report what was mapped before the failing page.
      if (SocmemError.isInstance(error)) throw IoPgtableMapError.fromError(error, mapped);
      throw error;
    }
    return mapped;
  }

  unmapPages(
    iova: number,
    pgsize: number,
    pgcount: number,
    gather?: IommuIotlbGather | null,
  ): number {
    this.assertLive('unmapPages');
    if (!isU64(iova) || iova >= this.inputLimit) {
      this.warn(`unmap of iova ${hex(iova)} outside ias ${this.cfg.ias}`);
      return 0;
    }
    const g = gather ?? null;
    let unmapped = 0;
    for (let page = 0; page < pgcount; page++) {
      if (armV7sUnmapOne(this, g, iova + unmapped, pgsize, 1, this.pgd) === 0) break;
      unmapped += pgsize;
    }
    return unmapped;
  }

  iovaToPhys(iova: number): number {
    this.assertLive('iovaToPhys');
    let pte = this.readPte(this.pgd + this.lvlIdx(iova, 1) * 4);
    let lvl: ArmV7sLevel = 1;
    if (armV7sPteIsTable(pte, 1)) {
      const table = this.iopteToPaddr(pte, 1);
      lvl = 2;
      pte = this.readPte(table + this.lvlIdx(iova, 2) * 4);
    }
    if (!armV7sPteIsValid(pte)) return 0;
    let mask = armV7sLvlMask(lvl);
    if (armV7sPteIsCont(pte, lvl)) mask = (mask * ARM_V7S_CONT_PAGES) >>> 0;
    // `iova & ~mask` with a u32 mask keeps only the low 32 bits of the iova, as in C.
    return this.iopteToPaddr(pte, lvl) + (((iova >>> 0) & ~mask) >>> 0);
  }

  /** `arm_v7s_free_pgtable`: frees every level-2 table, then the level-1 table. */
  free(): void {
    this.assertLive('free');
    for (let i = 0; i < this.l1Entries; i++) {
      const pte = this.readPte(this.pgd + i * 4);
      if (armV7sPteIsTable(pte, 1)) this.tables.freeL2(this.iopteToPaddr(pte, 1));
    }
    this.tables.freeL1(this.pgd, this.l1Size);
    this.freed = true;
  }

  /** Every level-1 table descriptor points at its own allocated level-2 table, and no table leaks. */
  checkInvariants(): void {
    if (this.freed) return;
    this.tables.checkInvariants();
    const seen = new Set<number>();
    for (let i = 0; i < this.l1Entries; i++) {
      const pte = this.readPte(this.pgd + i * 4);
      if (!armV7sPteIsTable(pte, 1)) continue;
      const table = this.iopteToPaddr(pte, 1);
      if (!this.tables.isL2Table(table))
        throw new InvariantError(
          'io-pgtable-arm-v7s',
          `L1[${i}] points at ${hex(table)}, not a table`,
        );
      if (seen.has(table))
        throw new InvariantError(
          'io-pgtable-arm-v7s',
          `level-2 table ${hex(table)} referenced twice`,
        );
      seen.add(table);
    }
    if (seen.size !== this.tables.l2Tables) {
      throw new InvariantError(
        'io-pgtable-arm-v7s',
        `${this.tables.l2Tables} level-2 tables allocated, ${seen.size} referenced`,
      );
    }
  }

  private assertLive(operation: string): void {
    if (this.freed)
      throw new SocmemError('EINVAL', `io-pgtable-arm-v7s: ${operation} after the table was freed`);
  }
}

/** A value an `unsigned long` can hold, as a JS number. */
function isU64(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
