import type { TranslationResult } from '../mmu/translation';
import { resetResult } from '../mmu/walk-fault';

/**
 * Fills `out` for a transaction an IOMMU passes through untranslated (SMMUv2 sCR0.CLIENTPD,
 * S2CR bypass or SCTLR.M = 0; a disabled SysMMU): the output address is the input address and
 * every permission is granted. The span is 1 GiB rather than a page, so a master moves large
 * bursts between two translations.
 */
export function fillBypass(out: TranslationResult, iova: number): void {
  resetResult(out, iova);
  out.pa = iova;
  out.pageSize = 0x4000_0000;
  out.readable = true;
  out.writable = true;
  out.executable = true;
  out.permissions = 63; // every PERMISSION_* bit
}
