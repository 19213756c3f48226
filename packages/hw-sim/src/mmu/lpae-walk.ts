import type { DescriptorReader } from './descriptor-reader';
import type { LpaeGeometry } from './lpae-geometry';
import { applyAccess } from './permissions';
import type { TranslationResult, WalkConfig } from './translation';
import { walkFault } from './walk-fault';

// Descriptor bits appear below as literals with their names in comments, 2^32 as 0x1_0000_0000
// and level sizes come from the geometry: V8 reloads a module-level constant from the module
// context on every access (~1 ns each), and a walk reads them at every level.
// Low half: AF bit 10 (0x400), nG bit 11 (0x800), NS bit 5 (0x20), AP[2:1] bits 7:6.
// High half (bit n of the descriptor is bit n - 32): UXN/XN 54 (0x40_0000), PXN 53 (0x20_0000);
// table attributes NSTable 63 (0x8000_0000), APTable[1] 62 (0x4000_0000, read-only),
// APTable[0] 61 (0x2000_0000, no EL0), UXNTable 60 (0x1000_0000), PXNTable 59 (0x800_0000).

/**
 * The address field of an LPAE descriptor, bits [47:shift] (ARM ARM D8.3), plus PA[51:48]
 * from bits [15:12] with a 64K granule and 52-bit output (FEAT_LPA).
 */
function descriptorAddress(lo: number, hi: number, shift: number, pa52: boolean): number {
  let high = hi & 0xffff;
  if (pa52) high |= ((lo >>> 12) & 0xf) << 16;
  if (shift >= 32) {
    high &= ~((1 << (shift - 32)) - 1);
    return high * 0x1_0000_0000;
  }
  const low = (lo & ~((1 << shift) - 1)) >>> 0;
  return high * 0x1_0000_0000 + low;
}

/**
 * Walks VMSAv8-64 / VMSAv7-LPAE / Mali tables (ARM ARM D8.2-D8.4; QEMU get_phys_addr_lpae and
 * smmu_ptw_64_s1/s2; reference io-pgtable.md §2, §7). Check order at a descriptor: fault on an
 * invalid or reserved descriptor (translation), output or next-table address above the output
 * size (address size), then at the leaf AF (access flag) before permission (ARM ARM D8.5.1).
 * The address-size check covers the output-address field only, bits [47:granule] (plus
 * [15:12] as PA[51:48] with 52-bit 64K), at the level of the descriptor, table or leaf, as
 * QEMU get_phys_addr_lpae checks `descaddr >> outputsize`; descriptor bits [51:48] (RES0 in
 * tables, DBM/GP in leaves) are outside the field and never fault.
 */
export function walkLpae(
  reader: DescriptorReader,
  geometry: LpaeGeometry,
  config: WalkConfig,
  inputAddress: number,
  access: number,
  out: TranslationResult,
): boolean {
  // An input address outside the T0SZ/VTCR.T0SZ range faults before any read: a level-0
  // translation fault (ARM ARM D8.2.5 / FSC 0b000100; SMMUv2 reports it as TF). VMSAv7 long
  // descriptors have no level 0 and report it at level 1 (FSR 0b000101; QEMU
  // get_phys_addr_lpae starts AArch32 regimes with `level = 1`).
  if (!(inputAddress >= 0 && inputAddress < geometry.inputLimit))
    return walkFault(out, 'translation', config.format === 'lpae32' ? 1 : 0, config, access);
  // A TTBR base above the output size is an address-size fault at level 0 (FSC 0b000000:
  // "level 0 of translation or translation table base register").
  let table = config.tableBase;
  if (table >= geometry.outputLimit) return walkFault(out, 'address-size', 0, config, access);
  let level = geometry.startLevel;
  let indexBits = geometry.startIndexBits;
  let tableHi = 0;
  const isMali = config.format === 'mali';
  for (;;) {
    const shift = geometry.levelShift[level]!;
    const size = geometry.levelSize[level]!;
    const above =
      inputAddress < 0x1_0000_0000 && shift < 32
        ? inputAddress >>> shift
        : Math.floor(inputAddress / size);
    // indexBits is at most 17 (a 13-bit stride plus 16 concatenated tables): a 32-bit mask works.
    const descriptorPa = table + (above & ((1 << indexBits) - 1)) * 8;
    out.walkReads++;
    if (!reader.read64(descriptorPa, config.coherentWalk)) {
      out.faultDescriptorAddress = descriptorPa;
      return walkFault(out, 'external-abort', level, config, access);
    }
    const lo = reader.lo;
    const hi = reader.hi;
    if ((lo & 1) === 0) return walkFault(out, 'translation', level, config, access);
    const type = lo & 3;
    if (level < 3 && type === 3) {
      const next = descriptorAddress(lo, hi, geometry.granuleShift, geometry.pa52);
      if (next >= geometry.outputLimit)
        return walkFault(out, 'address-size', level, config, access);
      if (geometry.tableAttributes) tableHi |= hi & 0xf800_0000; // bits 63:59
      table = next;
      level++;
      indexBits = geometry.stride;
      continue;
    }
    // A leaf: a level-3 page (0b11; Mali 0b01) or a block where the granule allows one.
    // A level-3 0b01 (LPAE) or a block at any other level is a translation fault.
    if (level === 3 ? type !== geometry.pageType : (geometry.blockLevels & (1 << level)) === 0) {
      return walkFault(out, 'translation', level, config, access);
    }
    const base = descriptorAddress(lo, hi, shift, geometry.pa52);
    if (base >= geometry.outputLimit) return walkFault(out, 'address-size', level, config, access);
    out.level = level;
    out.pageSize = size;
    out.pa =
      base +
      (inputAddress < 0x1_0000_0000 && shift < 32
        ? inputAddress & (size - 1)
        : inputAddress % size);
    out.descriptorLo = lo;
    out.descriptorHi = hi;
    out.shareability = (lo >>> 8) & 3;
    if (config.stage === 1) {
      out.memoryAttributes = (lo >>> 2) & 7;
      out.nonGlobal = !isMali && (lo & 0x800) !== 0;
      out.nonSecure = !isMali && ((lo & 0x20) !== 0 || (tableHi & 0x8000_0000) !== 0); // NSTable
    } else {
      out.memoryAttributes = (lo >>> 2) & 0xf;
    }
    out.permissions = isMali
      ? maliPermissions(lo, hi)
      : config.stage === 1
        ? stage1Permissions(lo, hi, tableHi, config.format === 'lpae64')
        : stage2Permissions(lo, hi, geometry.stage2Xnx, config.format === 'lpae32');
    // Mali has no access flag (Linux never sets AF for ARM_MALI_LPAE).
    if (!isMali && (lo & 0x400) === 0) return walkFault(out, 'access-flag', level, config, access);
    return applyAccess(out, access, config.format, config.stage);
  }
}

/**
 * Stage 1 AP[2:1] (bits 7:6): AP[1] grants EL0 access, AP[2] makes the page read-only
 * (ARM ARM D8.4.1, Table D8-47). Hierarchical APTable/UXNTable/PXNTable (bits 62:59) further
 * restrict (D8.4.2). UXN (54) and PXN (53) forbid execution; on VMSAv8-64 a page writable at
 * EL0 is also privileged-execute-never (D8.4.1.2, "implicit PXN"), and EL0 execution depends
 * on UXN alone. VMSAv7 long descriptors (`aarch64` false) have no implicit PXN, but an
 * instruction fetch needs read permission at its privilege: PL0 executes only pages PL0 may
 * read (ARM ARM B3.7.2; QEMU get_S1prot, `xn = xn || !(user_rw & PAGE_READ)`).
 */
function stage1Permissions(lo: number, hi: number, tableHi: number, aarch64: boolean): number {
  // AP[2] / APTable[1]; AP[1] / APTable[0]; PXN / PXNTable; UXN / UXNTable (see the file note).
  const readOnly = (lo & 0x80) !== 0 || (tableHi & 0x4000_0000) !== 0;
  const user = (lo & 0x40) !== 0 && (tableHi & 0x2000_0000) === 0;
  const userWrite = user && !readOnly;
  let permissions = 1 | (readOnly ? 0 : 2);
  if ((hi & 0x20_0000) === 0 && (tableHi & 0x800_0000) === 0 && !(aarch64 && userWrite))
    permissions |= 4;
  if (user) permissions |= 8 | (readOnly ? 0 : 16);
  if ((hi & 0x40_0000) === 0 && (tableHi & 0x1000_0000) === 0 && (aarch64 || user))
    permissions |= 32;
  return permissions;
}

/**
 * Stage 2 S2AP (bits 7:6: bit 6 read, bit 7 write) for every privilege, and XN (bit 54); with
 * FEAT_XNX (lpae64) XN[1:0] (bits 54:53): 0b00 executable at EL1 and EL0, 0b01 EL0 only,
 * 0b10 neither, 0b11 EL1 only (ARM ARM D8.4.3). A VMSAv7 (AArch32 EL2) stage 2 grants execute
 * only where HAP[1] grants read (ARM ARM B3.7.2; QEMU get_S2prot:
 * `arm_el_is_aa64(env, 2) || prot & PAGE_READ`); AArch64 stage 2 execute ignores S2AP.
 */
function stage2Permissions(lo: number, hi: number, xnx: boolean, execNeedsRead: boolean): number {
  const data = ((lo >>> 6) & 1) | ((lo >>> 6) & 2);
  let permissions = data | (data << 3);
  if (execNeedsRead && (data & 1) === 0) return permissions;
  const xn = xnx ? (hi >>> 21) & 3 : (hi >>> 21) & 2;
  if (xn === 0 || xn === 3) permissions |= 4;
  if (xn === 0 || xn === 1) permissions |= 32;
  return permissions;
}

/**
 * Mali: HAP-style read (bit 6) and write (bit 7) with no privilege distinction, XN at bit 54
 * (Linux arm_lpae_prot_to_pte for ARM_MALI_LPAE; reference io-pgtable.md §2.2).
 */
function maliPermissions(lo: number, hi: number): number {
  const data = ((lo >>> 6) & 1) | ((lo >>> 6) & 2);
  const exec = (hi & 0x40_0000) === 0 ? 4 : 0; // XN, bit 54
  return data | exec | ((data | exec) << 3);
}
