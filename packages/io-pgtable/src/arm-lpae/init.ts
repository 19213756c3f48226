import { hex, SocmemError } from '@socmem/hw-sim';
import {
  IO_PGTABLE_QUIRK_ARM_HD,
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_ARM_OUTER_WBWA,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_NO_WARN,
  type IoPgtableCfg,
  type IoPgtableFmt,
  type IoPgtableInitFns,
  type IoPgtableOps,
} from '../io-pgtable';
import { ARM_LPAE_S2_MAX_CONCAT_PAGES, ARM_LPAE_WARN_SOURCE } from './constants';
import { armLpaeFreePgtable } from './free';
import {
  ARM_LPAE_4K_PGSIZES,
  type ArmLpaeGeometry,
  armLpaeConcatMandatory,
  armLpaeGeometry,
  armLpaeRestrictPgsizes,
} from './geometry';
import { ArmLpaeIoPgtable } from './pgtable';
import { LPAE_KIND_MALI, LPAE_KIND_STAGE1, LPAE_KIND_STAGE2, type LpaeKind } from './prot-to-pte';
import {
  ARM_LPAE_MAIR,
  ARM_MALI_LPAE_MEMATTR,
  armLpaeS1Tcr,
  armLpaeS2Vtcr,
  armMaliLpaeTranstab,
} from './registers';
import { bitmapAnd, isBitmap } from './size-bitmap';
import { ArmLpaeTableMemory } from './table-memory';

/** Quirks each format accepts (v6.16; stage 2 took none before v6.12, Mali takes none). */
const S1_QUIRKS =
  IO_PGTABLE_QUIRK_ARM_NS |
  IO_PGTABLE_QUIRK_ARM_TTBR1 |
  IO_PGTABLE_QUIRK_ARM_OUTER_WBWA |
  IO_PGTABLE_QUIRK_ARM_HD |
  IO_PGTABLE_QUIRK_NO_WARN;
const S2_QUIRKS = IO_PGTABLE_QUIRK_ARM_S2FWB | IO_PGTABLE_QUIRK_NO_WARN;

function kindOf(fmt: IoPgtableFmt): LpaeKind {
  if (fmt === 'ARM_32_LPAE_S1' || fmt === 'ARM_64_LPAE_S1') return LPAE_KIND_STAGE1;
  if (fmt === 'ARM_32_LPAE_S2' || fmt === 'ARM_64_LPAE_S2') return LPAE_KIND_STAGE2;
  if (fmt === 'ARM_MALI_LPAE') return LPAE_KIND_MALI;
  throw new SocmemError('EINVAL', `io-pgtable-arm: format ${String(fmt)} is not an LPAE format`);
}

function checkInputs(cfg: IoPgtableCfg, what: string): number {
  if (!Number.isInteger(cfg.ias) || cfg.ias < 0)
    throw new SocmemError('EINVAL', `${what}: ias ${cfg.ias} is not a bit count`);
  if (!Number.isInteger(cfg.oas) || cfg.oas < 0)
    throw new SocmemError('EINVAL', `${what}: oas ${cfg.oas} is not a bit count`);
  if (!isBitmap(cfg.pgsizeBitmap))
    throw new SocmemError('EINVAL', `${what}: pgsizeBitmap ${cfg.pgsizeBitmap} is not a bitmap`);
  if (!Number.isInteger(cfg.quirks) || cfg.quirks < 0)
    throw new SocmemError('EINVAL', `${what}: quirks ${cfg.quirks} is not a bitmap`);
  const host = cfg.hostPageSize ?? 4096;
  if (host !== 0x1000 && host !== 0x4000 && host !== 0x1_0000) {
    throw new SocmemError('EINVAL', `${what}: hostPageSize ${host} is not 4K, 16K or 64K`);
  }
  return host;
}

function checkQuirks(quirks: number, allowed: number, what: string): void {
  if ((quirks & ~allowed) !== 0) {
    throw new SocmemError(
      'EINVAL',
      `${what}: quirks ${hex(quirks)} include ${hex((quirks & ~allowed) >>> 0)}, not supported by this format`,
    );
  }
}

/**
 * `arm_{32,64}_lpae_alloc_pgtable_s{1,2}` and `arm_mali_lpae_alloc_pgtable` (v6.16): checks
 * the format's quirks and limits, narrows the page sizes and address sizes, picks the
 * geometry (stage-2 concatenation only where mandatory), computes the register values,
 * allocates the PGD, and fills the caller's cfg on success only.
 */
function armLpaeAlloc(fmt: IoPgtableFmt, cfg: IoPgtableCfg, cookie: unknown): ArmLpaeIoPgtable {
  const kind = kindOf(fmt);
  const what = `io-pgtable-arm ${fmt}`;
  const hostPageSize = checkInputs(cfg, what);
  let bitmap = cfg.pgsizeBitmap;
  if (fmt === 'ARM_32_LPAE_S1' && (cfg.ias > 32 || cfg.oas > 40)) {
    throw new SocmemError('EINVAL', `${what}: ias ${cfg.ias} / oas ${cfg.oas} exceed 32 / 40 bits`);
  }
  if (fmt === 'ARM_32_LPAE_S2' && (cfg.ias > 40 || cfg.oas > 40)) {
    throw new SocmemError('EINVAL', `${what}: ias ${cfg.ias} / oas ${cfg.oas} exceed 40 / 40 bits`);
  }
  if (kind === LPAE_KIND_MALI) {
    checkQuirks(cfg.quirks, 0, what);
    if (cfg.ias > 48 || cfg.oas > 40)
      throw new SocmemError(
        'EINVAL',
        `${what}: ias ${cfg.ias} / oas ${cfg.oas} exceed 48 / 40 bits`,
      );
  }
  if (fmt !== 'ARM_64_LPAE_S1' && fmt !== 'ARM_64_LPAE_S2')
    bitmap = bitmapAnd(bitmap, ARM_LPAE_4K_PGSIZES);
  if (kind === LPAE_KIND_STAGE1) checkQuirks(cfg.quirks, S1_QUIRKS, what);
  if (kind === LPAE_KIND_STAGE2) checkQuirks(cfg.quirks, S2_QUIRKS, what);

  const sizes = armLpaeRestrictPgsizes(bitmap, cfg.ias, cfg.oas, hostPageSize);
  let geometry: ArmLpaeGeometry = armLpaeGeometry(sizes.pgsizeBitmap, sizes.ias, sizes.oas, what);
  if (kind === LPAE_KIND_STAGE2 && armLpaeConcatMandatory(geometry, sizes.ias, sizes.oas)) {
    if (2 ** geometry.pgdBits > ARM_LPAE_S2_MAX_CONCAT_PAGES) {
      cfg.machine.diagnostics.warn(
        ARM_LPAE_WARN_SOURCE,
        'WARN_ON(pgd entries > ARM_LPAE_S2_MAX_CONCAT_PAGES)',
      );
      throw new SocmemError(
        'EINVAL',
        `${what}: concatenation is mandatory for ias ${sizes.ias} / oas ${sizes.oas} but needs ${2 ** geometry.pgdBits} tables (max 16)`,
      );
    }
    geometry = {
      ...geometry,
      pgdBits: geometry.pgdBits + geometry.bitsPerLevel,
      startLevel: geometry.startLevel + 1,
    };
  }
  // "Mali seems to need a full 4-level table regardless of IAS": a one-entry PGD at level 0.
  if (kind === LPAE_KIND_MALI && geometry.startLevel > 0)
    geometry = { ...geometry, startLevel: 0, pgdBits: 0 };

  const granule = 2 ** geometry.pgShift;
  const done: IoPgtableCfg = {
    ...cfg,
    pgsizeBitmap: sizes.pgsizeBitmap,
    ias: sizes.ias,
    oas: sizes.oas,
  };
  delete done.armLpaeS1Cfg;
  delete done.armLpaeS2Cfg;
  delete done.armMaliLpaeCfg;
  delete done.armV7sCfg;
  const s1Tcr =
    kind === LPAE_KIND_STAGE1
      ? armLpaeS1Tcr(granule, sizes.ias, sizes.oas, cfg.coherentWalk, cfg.quirks, what)
      : null;
  const s2Vtcr =
    kind === LPAE_KIND_STAGE2
      ? armLpaeS2Vtcr(granule, sizes.ias, sizes.oas, geometry.startLevel, cfg.coherentWalk, what)
      : null;

  const allocator = cfg.allocator ?? cfg.machine.pageAllocator;
  const tables = new ArmLpaeTableMemory(
    allocator,
    cfg.machine.cache,
    cfg.machine.failPoints,
    cfg.coherentWalk,
  );
  const data = new ArmLpaeIoPgtable(fmt, done, cookie, kind, geometry, tables);
  data.pgdPa = tables.alloc(data.pgdSize);

  if (s1Tcr !== null) done.armLpaeS1Cfg = { ttbr: data.pgdPa, tcr: s1Tcr, mair: ARM_LPAE_MAIR };
  if (s2Vtcr !== null) done.armLpaeS2Cfg = { vttbr: data.pgdPa, vtcr: s2Vtcr };
  if (kind === LPAE_KIND_MALI) {
    done.armMaliLpaeCfg = {
      transtab: armMaliLpaeTranstab(data.pgdPa, cfg.coherentWalk),
      memattr: ARM_MALI_LPAE_MEMATTR,
    };
  }
  // Linux's init fns write the narrowed sizes and register values into the caller's cfg.
  cfg.pgsizeBitmap = done.pgsizeBitmap;
  cfg.ias = done.ias;
  cfg.oas = done.oas;
  if (done.armLpaeS1Cfg !== undefined)
    cfg.armLpaeS1Cfg = { ...done.armLpaeS1Cfg, tcr: { ...done.armLpaeS1Cfg.tcr } };
  if (done.armLpaeS2Cfg !== undefined)
    cfg.armLpaeS2Cfg = { ...done.armLpaeS2Cfg, vtcr: { ...done.armLpaeS2Cfg.vtcr } };
  if (done.armMaliLpaeCfg !== undefined) cfg.armMaliLpaeCfg = { ...done.armMaliLpaeCfg };
  return data;
}

/** `arm_lpae_free_pgtable`: frees every table, start level first, depth first. */
function armLpaeFree(ops: IoPgtableOps): void {
  if (!(ops instanceof ArmLpaeIoPgtable)) {
    throw new SocmemError(
      'EINVAL',
      `io-pgtable-arm: ops of format ${ops.fmt} were not made by the LPAE init fns`,
    );
  }
  if (ops.freed) throw new SocmemError('EINVAL', `io-pgtable-arm: ${ops.fmt} ops freed twice`);
  armLpaeFreePgtable(ops, ops.startLevel, ops.pgdPa);
  ops.freed = true;
}

/**
 * `io_pgtable_arm_{32,64}_lpae_s{1,2}_init_fns` and `io_pgtable_arm_mali_lpae_init_fns`:
 * one object serving the five LPAE formats (it dispatches on `fmt`).
 */
export const armLpaeInitFns: IoPgtableInitFns = {
  alloc: armLpaeAlloc,
  free: armLpaeFree,
};
