import type { PageTableWalker } from './page-table-walker';
import { applyAccess } from './permissions';
import type { Tlb } from './tlb';
import { TranslationResult, type Translator, type WalkConfig } from './translation';

/**
 * One translation regime as hardware runs it: the current register state (a WalkConfig plus
 * ASID/VMID tags), a TLB and a walker. A translation looks in the TLB first; on a miss it walks
 * and caches the result (translations that fail only on permission are cached too, as the
 * architecture allows). Permissions for `access` are checked on hits as well.
 */
export class MmuTranslator implements Translator {
  readonly walker: PageTableWalker;
  readonly tlb: Tlb;
  /** The tables and geometry the registers currently describe. Changing it does not flush the TLB. */
  config: WalkConfig;
  asid: number;
  vmid: number;
  /** The record of the last {@link translatePa} that missed the TLB (its fault, when it returned -1). */
  readonly last = new TranslationResult();

  constructor(
    walker: PageTableWalker,
    tlb: Tlb,
    config: WalkConfig,
    tags: { asid?: number; vmid?: number } = {},
  ) {
    this.walker = walker;
    this.tlb = tlb;
    this.config = config;
    this.asid = tags.asid ?? 0;
    this.vmid = tags.vmid ?? 0;
  }

  /** TLB lookup, else walk + insert; fills `out`, returns false on a fault. */
  translate(inputAddress: number, access: number, out: TranslationResult): boolean {
    const config = this.config;
    if (this.tlb.lookup(this.asid, this.vmid, inputAddress, out)) {
      return applyAccess(out, access, config.format, config.stage);
    }
    const ok = this.walker.walk(config, inputAddress, access, out);
    if (ok || out.fault === 'permission') this.tlb.insert(this.asid, this.vmid, out);
    return ok;
  }

  /**
   * The hot-path form of {@link translate}: the output address, or -1 on a fault (then `last`
   * holds the fault record). A TLB hit writes no record at all.
   */
  translatePa(inputAddress: number, access: number): number {
    const pa = this.tlb.lookupPa(this.asid, this.vmid, inputAddress, access);
    if (pa >= 0) return pa;
    return this.translateSlow(inputAddress, access, pa === -2);
  }

  /** A miss (walk) or a refused hit (permission fault record from the entry). */
  private translateSlow(inputAddress: number, access: number, refused: boolean): number {
    const out = this.last;
    const config = this.config;
    if (refused && this.tlb.refill(this.asid, this.vmid, inputAddress, out)) {
      applyAccess(out, access, config.format, config.stage);
      return -1;
    }
    const ok = this.walker.walk(config, inputAddress, access, out);
    if (ok || out.fault === 'permission') this.tlb.insert(this.asid, this.vmid, out);
    return ok ? out.pa : -1;
  }
}
