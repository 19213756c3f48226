import { hex, SocmemError } from '@socmem/hw-sim';
import {
  type ArmV7sCfg,
  IO_PGTABLE_QUIRK_ARM_MTK_EXT,
  IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT,
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_NO_PERMS,
  type IoPgtableCfg,
  IoPgtableFmt,
  type IoPgtableInitFns,
  type IoPgtableOps,
} from '../io-pgtable';
import { ArmV7sIoPgtable } from './arm-v7s-io-pgtable';
import {
  ARM_V7S_ADDR_BITS,
  ARM_V7S_LVL1_SHIFT,
  ARM_V7S_PRRR_DS0,
  ARM_V7S_PRRR_DS1,
  ARM_V7S_PRRR_NS1,
  ARM_V7S_PRRR_TYPE_DEVICE,
  ARM_V7S_PRRR_TYPE_NORMAL,
  ARM_V7S_RGN_NC,
  ARM_V7S_RGN_WBWA,
  ARM_V7S_TTBR_NOS,
  ARM_V7S_TTBR_S,
  armV7sNmrrIr,
  armV7sNmrrOr,
  armV7sPrrrNos,
  armV7sPrrrTr,
  armV7sTtbrIrgnAttr,
  armV7sTtbrOrgnAttr,
} from './constants';
import { ArmV7sTableAllocator } from './table-allocator';

const SZ_4K = 0x1000;
const SZ_64K = 0x1_0000;
const SZ_1M = 0x10_0000;
const SZ_16M = 0x100_0000;
const TWO_POW_32 = 0x1_0000_0000;
const ACCEPTED_QUIRKS =
  IO_PGTABLE_QUIRK_ARM_NS |
  IO_PGTABLE_QUIRK_NO_PERMS |
  IO_PGTABLE_QUIRK_ARM_MTK_EXT |
  IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT;

/** PRRR as Linux programs it: TR1 device, TR4/TR7 normal, DS0, DS1, NS1, NOS7 (0x800b8204). */
export const ARM_V7S_PRRR =
  (armV7sPrrrTr(1, ARM_V7S_PRRR_TYPE_DEVICE) |
    armV7sPrrrTr(4, ARM_V7S_PRRR_TYPE_NORMAL) |
    armV7sPrrrTr(7, ARM_V7S_PRRR_TYPE_NORMAL) |
    ARM_V7S_PRRR_DS0 |
    ARM_V7S_PRRR_DS1 |
    ARM_V7S_PRRR_NS1 |
    armV7sPrrrNos(7)) >>>
  0;

/** NMRR as Linux programs it: index 7 inner and outer write-back write-allocate (0x40004000). */
export const ARM_V7S_NMRR =
  (armV7sNmrrIr(7, ARM_V7S_RGN_WBWA) | armV7sNmrrOr(7, ARM_V7S_RGN_WBWA)) >>> 0;

/** Keeps only the bits of `bitmap` (a number, possibly above 2^32) that are in `sizes`. */
function restrictBitmap(bitmap: number, sizes: readonly number[]): number {
  let out = 0;
  for (const size of sizes) if (Math.floor(bitmap / size) % 2 === 1) out += size;
  return out;
}

/** `arm_v7s_alloc_pgtable`: validates the cfg, allocates the level-1 table, fills the registers. */
function armV7sAllocPgtable(fmt: IoPgtableFmt, cfg: IoPgtableCfg, cookie: unknown): IoPgtableOps {
  if (fmt !== IoPgtableFmt.ARM_V7S)
    throw new SocmemError('EINVAL', `io-pgtable-arm-v7s: format ${fmt} is not ARM_V7S`);
  const mtk = (cfg.quirks & IO_PGTABLE_QUIRK_ARM_MTK_EXT) !== 0;
  const maxIas = mtk ? 34 : ARM_V7S_ADDR_BITS;
  const maxOas = mtk ? 35 : ARM_V7S_ADDR_BITS;
  if (!Number.isInteger(cfg.ias) || cfg.ias > maxIas || cfg.ias < ARM_V7S_LVL1_SHIFT) {
    throw new SocmemError(
      'EINVAL',
      `io-pgtable-arm-v7s: ias ${cfg.ias} outside ${ARM_V7S_LVL1_SHIFT}..${maxIas}`,
    );
  }
  if (!Number.isInteger(cfg.oas) || cfg.oas > maxOas || cfg.oas < 1) {
    throw new SocmemError('EINVAL', `io-pgtable-arm-v7s: oas ${cfg.oas} outside 1..${maxOas}`);
  }
  if ((cfg.quirks & ~ACCEPTED_QUIRKS) !== 0) {
    throw new SocmemError(
      'EINVAL',
      `io-pgtable-arm-v7s: unsupported quirks ${hex(cfg.quirks & ~ACCEPTED_QUIRKS)}`,
    );
  }
  if (mtk && (cfg.quirks & IO_PGTABLE_QUIRK_NO_PERMS) === 0) {
    throw new SocmemError('EINVAL', 'io-pgtable-arm-v7s: ARM_MTK_EXT needs NO_PERMS');
  }
  if ((cfg.quirks & IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT) !== 0 && !mtk) {
    throw new SocmemError('EINVAL', 'io-pgtable-arm-v7s: ARM_MTK_TTBR_EXT needs ARM_MTK_EXT');
  }
  const ttbrExt = (cfg.quirks & IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT) !== 0;
  const tables = new ArmV7sTableAllocator({
    machine: cfg.machine,
    allocator: cfg.allocator ?? cfg.machine.pageAllocator,
    coherentWalk: cfg.coherentWalk,
    tableLimit: ttbrExt ? 2 ** cfg.oas : TWO_POW_32,
  });
  const l1Size = 2 ** (cfg.ias - ARM_V7S_LVL1_SHIFT) * 4;
  // Allocate first so that a failure leaves the caller's cfg untouched.
  const pgd = tables.allocL1(l1Size);

  // Supersections only when the caller asked for 16M.
  cfg.pgsizeBitmap = restrictBitmap(cfg.pgsizeBitmap, [SZ_4K, SZ_64K, SZ_1M, SZ_16M]);
  const registers: ArmV7sCfg = { ttbr: 0, tcr: 0, nmrr: ARM_V7S_NMRR, prrr: ARM_V7S_PRRR };
  if (mtk) {
    registers.ttbr = ((pgd >>> 0) | Math.floor(pgd / TWO_POW_32)) >>> 0;
  } else {
    const walkAttrs = cfg.coherentWalk
      ? ARM_V7S_TTBR_NOS |
        armV7sTtbrIrgnAttr(ARM_V7S_RGN_WBWA) |
        armV7sTtbrOrgnAttr(ARM_V7S_RGN_WBWA)
      : armV7sTtbrIrgnAttr(ARM_V7S_RGN_NC) | armV7sTtbrOrgnAttr(ARM_V7S_RGN_NC);
    registers.ttbr = ((pgd >>> 0) | ARM_V7S_TTBR_S | walkAttrs) >>> 0;
  }
  cfg.armV7sCfg = registers;
  const ownCfg: IoPgtableCfg = { ...cfg, armV7sCfg: { ...registers } };
  return new ArmV7sIoPgtable(ownCfg, cookie, tables, pgd);
}

/** `io_pgtable_arm_v7s_init_fns`: what the format dispatcher calls for ARM_V7S. */
export const armV7sInitFns: IoPgtableInitFns = {
  alloc: armV7sAllocPgtable,
  free(ops: IoPgtableOps): void {
    if (!(ops instanceof ArmV7sIoPgtable)) {
      throw new SocmemError(
        'EINVAL',
        `io-pgtable-arm-v7s: ops of format ${ops.fmt} are not ARM_V7S ops`,
      );
    }
    ops.free();
  },
};
