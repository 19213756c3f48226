import { hex, SocmemError } from '../errors/socmem-error';
import type { DescriptorReader } from './descriptor-reader';
import { applyAccess } from './permissions';
import { POW2 } from './pow2';
import type { TranslationResult, WalkConfig } from './translation';
import { walkFault } from './walk-fault';

// 2^32 appears as the literal 0x1_0000_0000: V8 reloads a module-level constant from the module
// context on every access, and a walk needs it several times.

/** Checks a v7s config (ARM ARM B3.5, short-descriptor format; Linux io-pgtable-arm-v7s limits). */
export function validateV7sConfig(config: WalkConfig): void {
  const where = 'v7s walk config';
  if (config.stage !== 1)
    throw new SocmemError(
      'EINVAL',
      `${where}: stage ${config.stage} (short descriptors are stage 1 only)`,
    );
  if (config.granuleShift !== 12)
    throw new SocmemError('EINVAL', `${where}: granule shift ${config.granuleShift} is not 12`);
  const maxIn = config.mtkExtension ? 34 : 32;
  if (config.inputBits < 32 || config.inputBits > maxIn) {
    throw new SocmemError(
      'EINVAL',
      `${where}: input size ${config.inputBits} bits is outside 32..${maxIn}`,
    );
  }
  // 40 bits is the most a supersection can address (PA[39:32] in bits [23:20] and [8:5]);
  // MediaTek 4 GB mode reaches 35 bits (Linux arm_v7s_alloc_pgtable rejects oas > 35 with
  // IO_PGTABLE_QUIRK_ARM_MTK_EXT, and ias > 34).
  const maxOut = config.mtkExtension ? 35 : 40;
  if (
    !Number.isInteger(config.outputBits) ||
    config.outputBits < 32 ||
    config.outputBits > maxOut
  ) {
    throw new SocmemError(
      'EINVAL',
      `${where}: output size ${config.outputBits} bits is outside 32..${maxOut}${config.mtkExtension ? ' (MediaTek 4 GB mode)' : ''}`,
    );
  }
  if (config.startLevel !== 1 || config.concatenatedTables !== 1) {
    throw new SocmemError(
      'EINVAL',
      `${where}: start level ${config.startLevel} / ${config.concatenatedTables} tables (must be 1 / 1)`,
    );
  }
  const tableBytes = 4 * 2 ** (config.inputBits - 20);
  if (
    !Number.isSafeInteger(config.tableBase) ||
    config.tableBase < 0 ||
    config.tableBase % tableBytes !== 0
  ) {
    throw new SocmemError(
      'EINVAL',
      `${where}: table base ${hex(config.tableBase)} is not aligned to its ${tableBytes}-byte table`,
    );
  }
}

/**
 * Output addresses: sections and pages carry a 32-bit PA. A supersection carries PA[39:32]
 * in bits [23:20] (PA[35:32]) and [8:5] (PA[39:36]) — QEMU get_phys_addr_v6 always decodes
 * all eight, as on LPAE-capable cores, where the ARM ARM requires 40-bit supersections
 * (`outputBits` 40). That extension is optional without LPAE (e.g. Cortex-A8 TRM §6.3: "does
 * not support the optional extension of physical address bits [39:32]"), where software
 * must leave them zero; the model's choice is that PA bits at or above `outputBits` are not
 * implemented and are ignored. The same holds for MediaTek PA bits 32..34. The short-descriptor format has no address-size fault
 * (ARM ARM B3.13.3, Table B3-23 has no such FS encoding), so no output address faults.
 *
 * Walks ARMv7 short-descriptor tables (ARM ARM B3.5.1; Linux io-pgtable-arm-v7s; reference
 * io-pgtable.md §4): level 1 holds 1 MiB sections, 16 MiB supersections (bit 18, the entry
 * repeated 16 times) or page-table pointers (bits [31:10]); level 2 holds 64 KiB large pages
 * (type 0b01, XN bit 15, TEX [14:12]) and 4 KiB small pages (type 0b1x, XN bit 0, TEX [8:6]).
 * Domains are not modelled (every domain is a client). Type 0b11 at level 1 is a section with
 * PXN (bit 0), as on cores with the PXN extension.
 */
export function walkV7s(
  reader: DescriptorReader,
  config: WalkConfig,
  inputAddress: number,
  access: number,
  out: TranslationResult,
): boolean {
  if (!(inputAddress >= 0 && inputAddress < POW2[config.inputBits]!))
    return walkFault(out, 'translation', 1, config, access);
  const l1Index =
    inputAddress < 0x1_0000_0000 ? inputAddress >>> 20 : Math.floor(inputAddress / 0x10_0000);
  const l1Pa = config.tableBase + l1Index * 4;
  out.walkReads++;
  if (!reader.read32(l1Pa, config.coherentWalk)) {
    out.faultDescriptorAddress = l1Pa;
    return walkFault(out, 'external-abort', 1, config, access);
  }
  const l1 = reader.lo;
  const l1Type = l1 & 3;
  if (l1Type === 0) return walkFault(out, 'translation', 1, config, access);
  const offset = inputAddress % 0x1_0000_0000;
  if (l1Type !== 1) {
    // Section or supersection. Attributes: B 2, C 3, XN 4, AP[1:0] 11:10, TEX 14:12, AP2 15, S 16, nG 17, NS 19.
    const supersection = (l1 & 0x4_0000) !== 0;
    const size = supersection ? 0x100_0000 : 0x10_0000;
    const low = (l1 & (supersection ? 0xff00_0000 : 0xfff0_0000)) >>> 0;
    // PA[39:32]: PA[35:32] from bits [23:20], PA[39:36] from bits [8:5].
    const high = config.mtkExtension
      ? mtkHighBits(l1)
      : supersection
        ? ((l1 >>> 20) & 0xf) | (((l1 >>> 5) & 0xf) << 4)
        : 0;
    const base = low + (high & ((1 << (config.outputBits - 32)) - 1)) * 0x1_0000_0000;
    const xn = !config.mtkExtension && (l1 & 0x10) !== 0;
    const pxn = l1Type === 3;
    const ap = ((l1 >>> 10) & 3) | ((l1 >>> 13) & 4);
    const attributes = (((l1 >>> 12) & 7) << 2) | ((l1 >>> 2) & 3);
    out.nonSecure = (l1 & 0x8_0000) !== 0;
    return finishLeaf(
      out,
      config,
      access,
      1,
      size,
      base,
      offset,
      l1,
      ap,
      xn,
      pxn,
      attributes,
      (l1 >>> 16) & 1,
      (l1 & 0x2_0000) !== 0,
    );
  }
  // Page table: base [31:10], PXN bit 2, NS bit 3.
  const l2Pa = (l1 & 0xffff_fc00) >>> 0;
  const l2DescriptorPa = l2Pa + ((offset >>> 12) & 0xff) * 4;
  out.walkReads++;
  if (!reader.read32(l2DescriptorPa, config.coherentWalk)) {
    out.faultDescriptorAddress = l2DescriptorPa;
    return walkFault(out, 'external-abort', 2, config, access);
  }
  const l2 = reader.lo;
  const l2Type = l2 & 3;
  if (l2Type === 0) return walkFault(out, 'translation', 2, config, access);
  // Both page kinds: B 2, C 3, AP[1:0] 5:4, AP2 9, S 10, nG 11.
  const large = l2Type === 1;
  const size = large ? 0x1_0000 : 0x1000;
  let base = (l2 & (large ? 0xffff_0000 : 0xffff_f000)) >>> 0;
  if (config.mtkExtension)
    base += (mtkHighBits(l2) & ((1 << (config.outputBits - 32)) - 1)) * 0x1_0000_0000;
  const xn = large ? (l2 & 0x8000) !== 0 : (l2 & 1) !== 0;
  const tex = large ? (l2 >>> 12) & 7 : (l2 >>> 6) & 7;
  const ap = ((l2 >>> 4) & 3) | ((l2 >>> 7) & 4);
  out.nonSecure = (l1 & 8) !== 0;
  return finishLeaf(
    out,
    config,
    access,
    2,
    size,
    base,
    offset,
    l2,
    ap,
    xn,
    (l1 & 4) !== 0,
    (tex << 2) | ((l2 >>> 2) & 3),
    (l2 >>> 10) & 1,
    (l2 & 0x800) !== 0,
  );
}

/**
 * MediaTek 4 GB mode: PA[34:32] as a 3-bit number — bit 32 in bit 9, bit 33 in bit 4, bit 34
 * in bit 5 (Linux ARM_V7S_ATTR_MTK_PA_BIT32/33/34).
 */
function mtkHighBits(descriptor: number): number {
  return (
    ((descriptor >>> 9) & 1) | (((descriptor >>> 4) & 1) << 1) | (((descriptor >>> 5) & 1) << 2)
  );
}

function finishLeaf(
  out: TranslationResult,
  config: WalkConfig,
  access: number,
  level: number,
  size: number,
  base: number,
  offset: number,
  descriptor: number,
  ap: number,
  xn: boolean,
  pxn: boolean,
  attributes: number,
  shareable: number,
  nonGlobal: boolean,
): boolean {
  out.level = level;
  out.pageSize = size;
  out.pa = base + (offset & (size - 1));
  out.descriptorLo = descriptor >>> 0;
  out.descriptorHi = 0;
  out.memoryAttributes = attributes;
  out.shareability = shareable;
  out.nonGlobal = nonGlobal;
  if (config.mtkExtension) {
    // MediaTek's M4U takes no permissions: Linux requires IO_PGTABLE_QUIRK_NO_PERMS with ARM_MTK_EXT,
    // and bits 4, 5 and 9 carry PA bits instead of XN/AP.
    out.permissions = 63; // every PERMISSION_* bit
    return applyAccess(out, access, config.format, config.stage);
  }
  const accessFlagEnable = config.accessFlagEnable ?? true;
  out.permissions = accessFlagEnable
    ? simplifiedPermissions(ap, xn, pxn)
    : fullPermissions(ap, xn, pxn);
  // With SCTLR.AFE = 1, AP[0] is the access flag (ARM ARM B3.7.3).
  if (accessFlagEnable && (ap & 1) === 0)
    return walkFault(out, 'access-flag', level, config, access);
  return applyAccess(out, access, config.format, config.stage);
}

/**
 * SCTLR.AFE = 1 simplified model, AP[2:1] (ARM ARM B3.7.1, Table B3-9): AP[1] grants PL0
 * access, AP[2] makes it read-only. Execution needs read permission and !XN (and !PXN at PL1).
 */
function simplifiedPermissions(ap: number, xn: boolean, pxn: boolean): number {
  const readOnly = (ap & 4) !== 0;
  const user = (ap & 2) !== 0;
  let permissions = 1 | (readOnly ? 0 : 2);
  if (!xn && !pxn) permissions |= 4;
  if (user) permissions |= 8 | (readOnly ? 0 : 16) | (xn ? 0 : 32);
  return permissions;
}

/** Full AP[2:0] model with SCTLR.AFE = 0 (ARM ARM B3.7.1, Table B3-8); 0b100 is reserved: no access. */
const FULL_AP: readonly number[] = [
  0b000_000, 0b000_011, 0b001_011, 0b011_011, 0b000_000, 0b000_001, 0b001_001, 0b001_001,
];

function fullPermissions(ap: number, xn: boolean, pxn: boolean): number {
  let permissions = FULL_AP[ap]!;
  if (!xn && (permissions & 1) !== 0 && !pxn) permissions |= 4;
  if (!xn && (permissions & 8) !== 0) permissions |= 32;
  return permissions;
}
