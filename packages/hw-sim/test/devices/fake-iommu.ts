import {
  ACCESS_WRITE,
  type FaultKind,
  type Iommu,
  type IommuOutcome,
  type ResumeListener,
  type TranslationResult,
} from '@socmem/hw-sim';

/**
 * A table-driven IOMMU for bus-master tests: 4 KiB pages mapped in a Map, optional read-only
 * pages, pages that fault with a given kind, and pages that stall until `release()`.
 */
export class FakeIommu implements Iommu {
  readonly name = 'fake-iommu';
  readonly pages = new Map<number, number>();
  readonly readOnly = new Set<number>();
  readonly faults = new Map<number, FaultKind>();
  readonly stallPages = new Set<number>();
  readonly ignoredPages = new Set<number>();
  readonly calls: { streamId: number; iova: number; access: number }[] = [];
  private readonly listeners: ResumeListener[] = [];

  map(iova: number, pa: number, size: number): void {
    for (let offset = 0; offset < size; offset += 4096)
      this.pages.set((iova + offset) / 4096, pa + offset);
  }

  translate(streamId: number, iova: number, access: number, out: TranslationResult): IommuOutcome {
    this.calls.push({ streamId, iova, access });
    const page = Math.floor(iova / 4096);
    out.inputAddress = iova;
    if (this.stallPages.has(page)) return 'stalled';
    if (this.ignoredPages.has(page)) return 'ignored';
    const kind = this.faults.get(page);
    const pa = this.pages.get(page);
    if (
      kind !== undefined ||
      pa === undefined ||
      ((access & ACCESS_WRITE) !== 0 && this.readOnly.has(page))
    ) {
      out.fault = kind ?? (pa === undefined ? 'translation' : 'permission');
      out.faultLevel = 3;
      return 'fault';
    }
    out.fault = null;
    out.pa = pa + (iova % 4096);
    out.pageSize = 4096;
    return 'ok';
  }

  onResume(listener: ResumeListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** Stops stalling every page and tells the listeners. */
  release(streamId: number): void {
    this.stallPages.clear();
    for (const listener of this.listeners) listener(streamId);
  }
}
