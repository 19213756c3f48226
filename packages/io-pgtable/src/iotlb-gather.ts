/**
 * `struct iommu_iotlb_gather` (include/linux/iommu.h): the range of IOVA whose TLB entries an
 * unmap has invalidated in page tables but not yet in the TLB. `start` begins at the largest
 * address (ULONG_MAX in Linux) and `end` at 0, so the first added page sets both.
 */
export class IommuIotlbGather {
  start = Number.MAX_SAFE_INTEGER;
  end = 0;
  pgsize = 0;
  /** True when the caller defers invalidation to a flush queue (then tlbAddPage is not called). */
  queued = false;
}

/** `iommu_iotlb_gather_init`. */
export function iommuIotlbGatherInit(gather: IommuIotlbGather): void {
  gather.start = Number.MAX_SAFE_INTEGER;
  gather.end = 0;
  gather.pgsize = 0;
  gather.queued = false;
}

/** `iommu_iotlb_gather_queued`. */
export function iommuIotlbGatherQueued(gather: IommuIotlbGather | null | undefined): boolean {
  return gather?.queued === true;
}
