/**
 * The contract between page-table walkers, TLBs and the translation units that use them
 * (CPU MMU, SMMUv2 context banks, SysMMU). Hardware knows nothing of software: a walker gets
 * only what the registers say (a WalkConfig) and decodes descriptors from memory by itself.
 */

/** Access kinds, OR-ed together. */
export const ACCESS_READ = 1;
export const ACCESS_WRITE = 2;
export const ACCESS_EXEC = 4;
/** Privileged (EL1 / PL1) access; without it the access is unprivileged. */
export const ACCESS_PRIV = 8;

/** Descriptor formats the walker decodes. */
export type PageTableFormat =
  /** VMSAv8-64 long descriptors (AArch64 LPAE), 4K/16K/64K granules, stage 1 or 2. */
  | 'lpae64'
  /** VMSAv7 LPAE (AArch32 long descriptors): 32-bit input, 40-bit output, 4K granule. */
  | 'lpae32'
  /** ARMv7 short descriptors (v7s): sections, supersections, large and small pages. */
  | 'v7s'
  /** Arm Mali GPU variant of LPAE (different leaf type bits). */
  | 'mali';

/** Why a translation failed, as the architecture classifies it. */
export type FaultKind =
  | 'translation'
  | 'access-flag'
  | 'permission'
  | 'address-size'
  | 'external-abort';

/** Everything a walker needs, as decoded from translation registers (TTBR/TCR/VTCR/...). */
export interface WalkConfig {
  readonly format: PageTableFormat;
  /** 1 or 2. v7s and Mali are stage 1 only. */
  readonly stage: 1 | 2;
  /** log2 of the granule: 12, 14 or 16 (lpae64); 12 for every other format. */
  readonly granuleShift: 12 | 14 | 16;
  /** Input address size in bits (64 - T0SZ; 32 for v7s). */
  readonly inputBits: number;
  /** Output address size in bits (from IPS/PS; 32 for v7s, up to 35 with the MediaTek extension). */
  readonly outputBits: number;
  /** Level of the table at `tableBase` (LPAE: from T0SZ at stage 1, from SL0 at stage 2; v7s: 1). */
  readonly startLevel: number;
  /** Stage 2: how many top-level tables are concatenated at `tableBase` (1 when none). */
  readonly concatenatedTables: number;
  /** Physical address of the top-level table (the TTBR/VTTBR base address field). */
  readonly tableBase: number;
  /** True: walker reads snoop the CPU cache; false: they read RAM directly. */
  readonly coherentWalk: boolean;
  /** v7s only: MediaTek 4 GB-mode extension bits (PA bits 32..34 in the descriptor). */
  readonly mtkExtension: boolean;
  /**
   * v7s only: SCTLR.AFE (SMMU_CBn_SCTLR.AFE). True (the default, what Linux's v7s code assumes):
   * the simplified access-permission model, AP[0] is the access flag. False: the full AP[2:0]
   * model and no access-flag faults (ARM ARM B3.7.1, B3.7.3).
   */
  readonly accessFlagEnable?: boolean;
}

/**
 * Permission bits of a translation for both privilege levels, as kept in TLB entries:
 * bits 0..2 = privileged read/write/execute, bits 3..5 = unprivileged read/write/execute.
 * `(permissions >>> (access & ACCESS_PRIV ? 0 : 3)) & (access & 7)` is what `access` needs.
 */
export const PERMISSION_PRIV_READ = 1;
export const PERMISSION_PRIV_WRITE = 2;
export const PERMISSION_PRIV_EXEC = 4;
export const PERMISSION_USER_READ = 8;
export const PERMISSION_USER_WRITE = 16;
export const PERMISSION_USER_EXEC = 32;

/**
 * The outcome of one translation, reused across calls so the hot path allocates nothing.
 * When `fault` is null the translation succeeded and the address/permission fields are valid;
 * otherwise `fault`, `faultLevel` and `inputAddress` say what went wrong.
 */
export class TranslationResult {
  /** The input address that was translated. */
  inputAddress = 0;
  /** Output address for `inputAddress` (page offset included). */
  pa = 0;
  /** Bytes covered by the leaf descriptor (4 KiB page, 2 MiB block, 1 MiB section, ...). */
  pageSize = 0;
  /** Level of the leaf descriptor (LPAE 0..3, v7s 1..2). */
  level = 0;
  readable = false;
  writable = false;
  executable = false;
  /** Stage 1 LPAE: AttrIndx (MAIR index); stage 2: MemAttr[3:0]; v7s: TEX[0]:C:B packed as TEX<<2|C<<1|B. */
  memoryAttributes = 0;
  /** SH[1:0] for LPAE, S bit for v7s. */
  shareability = 0;
  /** nG: the translation is tagged with the ASID. */
  nonGlobal = false;
  /** NS bit of the leaf (stage 1). */
  nonSecure = false;
  /** Leaf descriptor as two u32 halves (hi is 0 for 32-bit descriptors). */
  descriptorLo = 0;
  descriptorHi = 0;
  /** Null on success. */
  fault: FaultKind | null = null;
  /** Level at which the fault was found. */
  faultLevel = 0;
  /** Memory reads the walk made (0 on a TLB hit). */
  walkReads = 0;
  /** PERMISSION_* bits for both privilege levels (readable/writable/executable are the access's view). */
  permissions = 0;
  /** Stage (1 or 2) of the translation that faulted. */
  faultStage = 0;
  /**
   * Fault status code as the architecture encodes it for the format: the long-descriptor
   * FSC (ESR/FSR.STATUS, e.g. 0b0001_LL translation, 0b0010_LL access flag, 0b0011_LL
   * permission, 0b0000_LL address size, 0b0101_LL external abort on walk) or the
   * short-descriptor FS[4:0] for v7s. 0 on success.
   */
  faultStatus = 0;
  /** The ACCESS_* bits of the access that faulted (its WnR, InD and privilege syndrome bits). */
  faultAccess = 0;
  /** External abort on walk: the physical address of the descriptor read that failed (-1 otherwise). */
  faultDescriptorAddress = -1;

  /** Copies another result into this one. */
  copyFrom(other: TranslationResult): void {
    this.inputAddress = other.inputAddress;
    this.pa = other.pa;
    this.pageSize = other.pageSize;
    this.level = other.level;
    this.readable = other.readable;
    this.writable = other.writable;
    this.executable = other.executable;
    this.memoryAttributes = other.memoryAttributes;
    this.shareability = other.shareability;
    this.nonGlobal = other.nonGlobal;
    this.nonSecure = other.nonSecure;
    this.descriptorLo = other.descriptorLo;
    this.descriptorHi = other.descriptorHi;
    this.fault = other.fault;
    this.faultLevel = other.faultLevel;
    this.walkReads = other.walkReads;
    this.permissions = other.permissions;
    this.faultStage = other.faultStage;
    this.faultStatus = other.faultStatus;
    this.faultAccess = other.faultAccess;
    this.faultDescriptorAddress = other.faultDescriptorAddress;
  }
}

/**
 * A translation unit's view of its walker: what the CPU MMU, SMMU context banks and SysMMU
 * call. Implementations check permissions for `access` and fill `out`; they return true on
 * success and false on a fault (never throw for a fault).
 */
export interface Translator {
  translate(inputAddress: number, access: number, out: TranslationResult): boolean;
}
