import type { FaultKind, TranslationResult } from '../mmu/translation';

declare module '../observability/trace' {
  interface TraceEvents {
    /** An IOMMU fault: context bank (-1 for an SMMU global fault, 0 for a SysMMU), stream, address, fault kind, level. */
    'iommu-fault': {
      iommu: string;
      context: number;
      streamId: number;
      iova: number;
      fault: FaultKind;
      level: number;
    };
  }
}

/**
 * What an IOMMU did with one transaction:
 * - `'ok'`: translated; `out.pa` is the output address and `out.pageSize` the size of the
 *   naturally aligned region the translation covers (the master may use it for every byte of
 *   that region);
 * - `'fault'`: terminated with an abort; `out.fault` and `out.faultLevel` say why;
 * - `'stalled'`: held by the IOMMU (SMMUv2 stall mode, SysMMU blocked on a fault) until software
 *   lets it continue; the master presents the same transaction again after the IOMMU's
 *   {@link Iommu.onResume} listeners run, and gets the outcome of the retry then;
 * - `'ignored'`: faulted without an abort to the master (SMMUv2 SCTLR.CFRE=0 terminate mode,
 *   sCR0.GFRE=0): reads of the region return zeros and writes to it are dropped.
 */
export type IommuOutcome = 'ok' | 'fault' | 'stalled' | 'ignored';

/** A listener told that transactions stalled for `streamId` may now be presented again. */
export type ResumeListener = (streamId: number) => void;

/**
 * The contract between a bus master and the IOMMU in front of it, so a master behaves the same
 * behind any IOMMU model. Implementations fill `out` and never throw for a fault.
 */
export interface Iommu {
  readonly name: string;
  /**
   * Translates the input address `iova` of a transaction from `streamId` for `access`
   * (ACCESS_READ / ACCESS_WRITE, optionally | ACCESS_EXEC | ACCESS_PRIV).
   */
  translate(streamId: number, iova: number, access: number, out: TranslationResult): IommuOutcome;
  /** Registers a listener for "stalled transactions may continue"; returns its remover. */
  onResume(listener: ResumeListener): () => void;
}
