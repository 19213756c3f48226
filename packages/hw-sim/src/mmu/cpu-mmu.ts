import type { Cpu } from '../cpu/cpu';
import { hex, SocmemError } from '../errors/socmem-error';
import { lpaeStartLevel } from './lpae-geometry';
import { MmuTranslator } from './mmu-translator';
import type { PageTableWalker } from './page-table-walker';
import { applyAccess } from './permissions';
import { decodeTcr } from './tcr';
import type { Tlb } from './tlb';
import {
  ACCESS_PRIV,
  ACCESS_READ,
  ACCESS_WRITE,
  TranslationResult,
  type WalkConfig,
} from './translation';
import { resetResult, walkFault } from './walk-fault';

/** The translation registers of the CPU's EL1&0 stage-1 regime (TTBR0 half). */
export interface CpuTranslationRegisters {
  /** TTBR0_EL1: BADDR [47:1] (PA[51:48] in [5:2] with a 64K granule and 52-bit output), ASID [63:48] when a bigint. */
  readonly ttbr0: number | bigint;
  /** TCR_EL1: T0SZ [5:0], EPD0 7, IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12], TG0 [15:14], IPS [34:32], AS 36. */
  readonly tcr: bigint | number;
  /** MAIR_EL1: eight attribute bytes, indexed by AttrIndx. */
  readonly mair: bigint | number;
  /** The current ASID, when `ttbr0` is a number (a number cannot hold bits [63:48] exactly). */
  readonly asid?: number;
}

const TWO_POW_48 = 2 ** 48;

/**
 * The CPU's optional stage-1 VMSAv8-64 MMU (EL1&0, TTBR0 only): virtual loads and stores
 * translated through a TLB and a page-table walker, then performed by the {@link Cpu} (through
 * its data cache). Walks are cacheable (coherent with the data cache) when TCR.IRGN0 is not 0.
 * While disabled, virtual addresses are physical (SCTLR_EL1.M = 0).
 */
export class CpuMmu {
  readonly cpu: Cpu;
  readonly walker: PageTableWalker;
  readonly tlb: Tlb;
  /** Loads and stores are privileged (EL1) while true, unprivileged (EL0, LDTR/STTR-like) otherwise. */
  privileged = true;
  private translator: MmuTranslator | null = null;
  private enabledFlag = false;
  private epd0 = false;
  private mairLo = 0;
  private mairHi = 0;
  private readonly scratch = new TranslationResult();
  private readonly bytes = new Uint8Array(4);

  constructor(cpu: Cpu, walker: PageTableWalker, tlb: Tlb) {
    this.cpu = cpu;
    this.walker = walker;
    this.tlb = tlb;
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  /** The walk configuration the registers describe (null before setTranslationRegisters). */
  get config(): WalkConfig | null {
    return this.translator?.config ?? null;
  }

  /** The current ASID. */
  get asid(): number {
    return this.translator?.asid ?? 0;
  }

  /**
   * Loads TTBR0/TCR/MAIR. Like writing the system registers, this does not invalidate the TLB.
   * EINVAL for encodings the model does not take (reserved TG0/IPS, a misaligned table base).
   */
  setTranslationRegisters(registers: CpuTranslationRegisters): void {
    const tcr = decodeTcr(registers.tcr);
    let baseLo: number;
    let baseHi: number;
    let asid = registers.asid ?? 0;
    if (typeof registers.ttbr0 === 'bigint') {
      const value = BigInt.asUintN(64, registers.ttbr0);
      baseLo = Number(value & 0xffff_fffen);
      baseHi = Number((value >> 32n) & 0xffffn);
      if (registers.asid === undefined) asid = Number(value >> 48n);
    } else {
      if (
        !Number.isSafeInteger(registers.ttbr0) ||
        registers.ttbr0 < 0 ||
        registers.ttbr0 >= TWO_POW_48
      ) {
        throw new SocmemError(
          'EINVAL',
          `cpu mmu: TTBR0 ${hex(registers.ttbr0)} is not a 48-bit register value (pass a bigint for ASID bits)`,
        );
      }
      baseLo = (registers.ttbr0 % 0x1_0000_0000) & 0xffff_fffe;
      baseHi = Math.floor(registers.ttbr0 / 0x1_0000_0000);
    }
    if (!tcr.asid16) asid &= 0xff;
    let tableBase = baseHi * 0x1_0000_0000 + (baseLo >>> 0);
    if (tcr.granuleShift === 16 && tcr.outputBits === 52) {
      // FEAT_LPA: TTBR bits [5:2] hold PA[51:48] and the table is at least 64-byte aligned.
      tableBase = tableBase - (tableBase % 64) + ((baseLo >>> 2) & 0xf) * TWO_POW_48;
    }
    const startLevel = lpaeStartLevel(tcr.granuleShift, tcr.inputBits);
    const config: WalkConfig = {
      format: 'lpae64',
      stage: 1,
      granuleShift: tcr.granuleShift,
      inputBits: tcr.inputBits,
      outputBits: tcr.outputBits,
      startLevel,
      concatenatedTables: 1,
      tableBase,
      coherentWalk: tcr.irgn0 !== 0,
      mtkExtension: false,
    };
    this.walker.prepare(config); // validates (EINVAL) before any state changes
    const mair =
      typeof registers.mair === 'bigint'
        ? BigInt.asUintN(64, registers.mair)
        : BigInt(registers.mair);
    this.mairLo = Number(mair & 0xffff_ffffn);
    this.mairHi = Number(mair >> 32n);
    this.epd0 = tcr.epd0;
    if (this.translator === null)
      this.translator = new MmuTranslator(this.walker, this.tlb, config, { asid });
    else {
      this.translator.config = config;
      this.translator.asid = asid;
    }
  }

  /** Turns translation on (SCTLR_EL1.M = 1). EINVAL before the registers are set. */
  enable(): void {
    if (this.translator === null)
      throw new SocmemError('EINVAL', 'cpu mmu: enable before setTranslationRegisters');
    this.enabledFlag = true;
  }

  /** Turns translation off: virtual addresses are physical again. The TLB keeps its entries. */
  disable(): void {
    this.enabledFlag = false;
  }

  /** The MAIR_EL1 attribute byte for AttrIndx `index` (0..7). */
  memoryType(index: number): number {
    const word = index < 4 ? this.mairLo : this.mairHi;
    return (word >>> ((index & 3) * 8)) & 0xff;
  }

  /** Translates `va` for `access` (ACCESS_* bits); false on a fault (see `out.fault`). */
  translate(va: number, access: number, out: TranslationResult): boolean {
    const translator = this.translator;
    if (!this.enabledFlag || translator === null) {
      resetResult(out, va);
      out.pa = va;
      out.pageSize = 4096;
      out.level = 3;
      out.permissions = 63;
      return applyAccess(out, access, 'lpae64', 1);
    }
    if (this.epd0) {
      // TTBR0 walks disabled: only what the TLB already holds translates.
      if (this.tlb.lookup(translator.asid, translator.vmid, va, out))
        return applyAccess(out, access, 'lpae64', 1);
      resetResult(out, va);
      return walkFault(out, 'translation', 0, translator.config, access);
    }
    return translator.translate(va, access, out);
  }

  /** A 32-bit virtual load. EFAULT on a translation fault. */
  read32(va: number): number {
    if ((va & 0xfff) > 0xffc) {
      this.read(va, this.bytes, 0, 4);
      const b = this.bytes;
      return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    }
    return this.cpu.read32(this.translateOrThrow(va, ACCESS_READ));
  }

  /** A 32-bit virtual store. EFAULT on a translation fault (nothing is stored). */
  write32(va: number, value: number): void {
    if ((va & 0xfff) > 0xffc) {
      const b = this.bytes;
      b[0] = value;
      b[1] = value >>> 8;
      b[2] = value >>> 16;
      b[3] = value >>> 24;
      this.write(va, b, 0, 4);
      return;
    }
    this.cpu.write32(this.translateOrThrow(va, ACCESS_WRITE), value);
  }

  /** Loads `length` bytes at `va`, page by page. EFAULT on the first faulting page. */
  read(va: number, dst: Uint8Array, dstOffset = 0, length = dst.length - dstOffset): void {
    let done = 0;
    while (done < length) {
      const pa = this.translateOrThrow(va + done, ACCESS_READ);
      const chunk = Math.min(
        length - done,
        this.scratch.pageSize - ((va + done) % this.scratch.pageSize),
      );
      this.cpu.read(pa, dst, dstOffset + done, chunk);
      done += chunk;
    }
  }

  /** Stores `length` bytes at `va`. Every page is translated first, so a fault stores nothing (EFAULT). */
  write(va: number, src: Uint8Array, srcOffset = 0, length = src.length - srcOffset): void {
    for (let pass = 0; pass < 2; pass++) {
      let done = 0;
      while (done < length) {
        const pa = this.translateOrThrow(va + done, ACCESS_WRITE);
        const chunk = Math.min(
          length - done,
          this.scratch.pageSize - ((va + done) % this.scratch.pageSize),
        );
        if (pass === 1) this.cpu.write(pa, src, srcOffset + done, chunk);
        done += chunk;
      }
    }
  }

  /** TLBI VMALLE1: forget every translation. */
  tlbiAll(): void {
    this.tlb.invalidateAll();
  }

  /** TLBI ASIDE1: forget the non-global translations of `asid`. */
  tlbiAsid(asid: number): void {
    this.tlb.invalidateAsid(asid);
  }

  /** TLBI VAE1 (with `asid`: that ASID's and global entries) or TLBI VAAE1 (without: every ASID). */
  tlbiVa(va: number, asid?: number): void {
    this.tlb.invalidateVa(va, asid);
  }

  private translateOrThrow(va: number, kind: number): number {
    const access = kind | (this.privileged ? ACCESS_PRIV : 0);
    const out = this.scratch;
    if (this.translate(va, access, out)) return out.pa;
    const what = kind === ACCESS_WRITE ? 'write' : 'read';
    throw new SocmemError(
      'EFAULT',
      `cpu mmu: ${what} of va ${hex(va)}: ${out.fault} fault at level ${out.faultLevel} (FSC ${hex(out.faultStatus)})`,
    );
  }
}
