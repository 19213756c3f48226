import { hex, SocmemError } from '@socmem/hw-sim';
import { hexU64 } from '../hex-u64';
import { IoPgtableMapError } from '../map-error';
import {
  iopteLeaf,
  iopteLeafType,
  iopteToPaddr,
  paddrToIopteHi,
  paddrToIopteLo,
} from './descriptor';
import { armLpaeInstallTable } from './install-table';
import type { ArmLpaeIoPgtable } from './pgtable';
import { armLpaeProtToPte } from './prot-to-pte';
import { armLpaeUnmapLevel } from './unmap';

/**
 * `arm_lpae_map_pages` (v6.16). Checks, in Linux's order: pgsize in the bitmap (WARN, EINVAL);
 * iova within ias (inverted for TTBR1) and paddr within oas (WARN, ERANGE); READ or WRITE
 * requested (EINVAL). Then walks from the start level, allocating missing tables, and writes
 * at most one table's worth of leaves (arm_lpae_max_entries). Returns the bytes mapped.
 *
 * Unlike Linux, a failed call also removes the empty tables it installed on the way (Linux
 * leaves them in place), so a throw leaves the tables exactly as they were.
 */
export function armLpaeMapPages(
  data: ArmLpaeIoPgtable,
  iova: number,
  paddr: number,
  pgsize: number,
  pgcount: number,
  prot: number,
): number {
  if (
    !Number.isInteger(iova) ||
    !Number.isInteger(paddr) ||
    !Number.isSafeInteger(pgcount) ||
    pgcount < 0
  ) {
    throw new IoPgtableMapError(
      'EINVAL',
      `io-pgtable-arm: map of iova ${iova}, paddr ${paddr}, pgcount ${pgcount}: not integers`,
      0,
    );
  }
  if (!data.pgsizeSupported(pgsize)) {
    data.warn(
      `WARN_ON(!pgsize || (pgsize & pgsize_bitmap) != pgsize): map pgsize ${hex(Number.isSafeInteger(pgsize) ? pgsize : 0)}`,
    );
    throw new IoPgtableMapError(
      'EINVAL',
      `io-pgtable-arm: pgsize ${pgsize} is not in pgsize_bitmap ${hex(data.cfg.pgsizeBitmap)}`,
      0,
    );
  }
  if (!data.iovaInRange(iova) || paddr < 0 || paddr >= data.oasLimit) {
    data.warn(`WARN_ON(iaext || paddr >> oas): map iova ${hexU64(iova)} paddr ${hexU64(paddr)}`);
    throw new IoPgtableMapError(
      'ERANGE',
      `io-pgtable-arm: map of iova ${hexU64(iova)} to paddr ${hexU64(paddr)} is outside ias ${data.cfg.ias} / oas ${data.cfg.oas}`,
      0,
    );
  }
  // 3 is IOMMU_READ | IOMMU_WRITE, a literal on the hot path (module constants are reloaded).
  if ((prot & 3) === 0) {
    throw new IoPgtableMapError(
      'EINVAL',
      `io-pgtable-arm: prot ${hex(prot)} grants neither IOMMU_READ nor IOMMU_WRITE`,
      0,
    );
  }
  // The attribute bits depend on prot and the fixed quirks only: encode once per prot value.
  if (prot !== data.protFor) {
    armLpaeProtToPte(data.kind, data.quirks, prot, data.prot);
    data.protFor = prot;
  }
  data.installedCount = 0;
  try {
    return mapWalk(data, iova, paddr, pgsize, pgcount);
  } catch (error) {
    undoInstalledTables(data);
    if (error instanceof IoPgtableMapError) throw error;
    if (SocmemError.isInstance(error)) throw IoPgtableMapError.fromError(error, 0);
    throw error;
  }
}

/** `__arm_lpae_map`, as a loop over levels. */
function mapWalk(
  data: ArmLpaeIoPgtable,
  iova: number,
  paddr: number,
  size: number,
  pgcount: number,
): number {
  const cpu = data.cpu;
  const first = data.walkStart(iova, size);
  let table = data.walkTable(first);
  for (let level = first; ; level++) {
    const index = data.index(iova, level);
    const ptep = table + index * 8;
    if (size === data.blockSize[level]) {
      data.remember(iova, level, table);
      const num = Math.min(pgcount, data.maxEntries(index));
      initPtes(data, iova, paddr, level, num, ptep);
      return num * size;
    }
    if (level >= 3) {
      data.warn(`WARN_ON(lvl >= ARM_LPAE_MAX_LEVELS - 1): no level maps pgsize ${hex(size)}`);
      throw new IoPgtableMapError(
        'EINVAL',
        `io-pgtable-arm: no table level maps pgsize ${hex(size)}`,
        0,
      );
    }
    const lo = cpu.read32(ptep);
    const hi = cpu.read32(ptep + 4);
    if (lo === 0 && hi === 0) {
      table = installTable(data, ptep);
      continue;
    }
    // An entry without SW_SYNC (bit 55, 1 << 23 of the high half) may not have reached memory yet.
    if (!data.coherentWalk && (hi & 0x80_0000) === 0) data.tables.sync(ptep, 1);
    if (iopteLeaf(lo, level, data.mali)) {
      if (!data.noWarn)
        data.warn(`WARN_ON: map of iova ${hexU64(iova)} over an existing block (unmap first)`);
      throw new IoPgtableMapError(
        'EEXIST',
        `io-pgtable-arm: iova ${hexU64(iova)} is inside a mapped block at level ${level}`,
        0,
      );
    }
    table = iopteToPaddr(lo, hi, data.granule64k);
  }
}

/** Allocates a granule table, installs it at `ptep` and records it for undoInstalledTables. */
function installTable(data: ArmLpaeIoPgtable, ptep: number): number {
  const table = data.tables.alloc(data.granule);
  armLpaeInstallTable(data, ptep, table);
  data.installedPtep[data.installedCount] = ptep;
  data.installedTable[data.installedCount] = table;
  data.installedCount++;
  return table;
}

/** Removes the tables a failed map installed, deepest first; they hold no leaf. */
function undoInstalledTables(data: ArmLpaeIoPgtable): void {
  for (let i = data.installedCount - 1; i >= 0; i--) {
    const ptep = data.installedPtep[i]!;
    data.cpu.write32(ptep, 0);
    data.cpu.write32(ptep + 4, 0);
    data.tables.sync(ptep, 1);
    data.tables.free(data.installedTable[i]!, data.granule);
  }
  data.installedCount = 0;
}

/**
 * `arm_lpae_init_pte`: refuses (EEXIST, nothing written) when any of the `num` slots holds a
 * leaf; unmaps and frees tables found in the slots (a block replacing a table); then writes
 * the leaves and cleans them for a non-coherent walk (`__arm_lpae_init_pte`).
 *
 * Linux checks slot by slot and may already have freed earlier tables when it finds a leaf;
 * here all slots are checked first so that EEXIST leaves every table untouched.
 */
function initPtes(
  data: ArmLpaeIoPgtable,
  iova: number,
  paddr: number,
  level: number,
  num: number,
  ptep: number,
): void {
  const cpu = data.cpu;
  let tables = 0;
  for (let i = 0; i < num; i++) {
    const lo = cpu.read32(ptep + i * 8);
    if (iopteLeaf(lo, level, data.mali)) {
      if (!data.noWarn)
        data.warn(
          `WARN_ON: map of iova ${hexU64(iova + i * data.blockSize[level]!)} over an existing mapping`,
        );
      throw new IoPgtableMapError(
        'EEXIST',
        `io-pgtable-arm: iova ${hexU64(iova + i * data.blockSize[level]!)} is already mapped`,
        0,
      );
    }
    if ((lo & 3) === 3) tables++; // ARM_LPAE_PTE_TYPE_TABLE (a literal: hot path)
  }
  const size = data.blockSize[level]!;
  if (tables > 0) {
    const tablep = ptep - data.index(iova, level) * 8;
    for (let i = 0; i < num; i++) {
      if ((cpu.read32(ptep + i * 8) & 3) !== 3) continue; // not ARM_LPAE_PTE_TYPE_TABLE
      if (armLpaeUnmapLevel(data, null, iova + i * size, size, 1, level, tablep) !== size) {
        data.warn('WARN_ON(1): could not unmap the table a block replaces');
        throw new IoPgtableMapError(
          'EINVAL',
          `io-pgtable-arm: could not free the table at iova ${hexU64(iova + i * size)}`,
          0,
        );
      }
    }
  }
  const prot = data.prot;
  const protLo = prot.lo | iopteLeafType(level, data.mali);
  const protHi = prot.hi;
  for (let i = 0; i < num; i++) {
    const pa = paddr + i * size;
    cpu.write32(ptep + i * 8, (protLo | paddrToIopteLo(pa)) >>> 0);
    cpu.write32(ptep + i * 8 + 4, (protHi | paddrToIopteHi(pa)) >>> 0);
  }
  data.tables.sync(ptep, num);
}
