import { SocmemError } from '@socmem/hw-sim';
import { defaultOrders } from './constants';

/** Page size and the two orders a buddy allocator is built with. */
export interface BuddyGeometry {
  readonly pageSize: number;
  readonly maxPageOrder: number;
  readonly pageblockOrder: number;
}

/**
 * The geometry of a buddy allocator from its options: arm64's defaults for the page size
 * (see {@link defaultOrders}), the pageblock order capped at MAX_PAGE_ORDER. EINVAL for a page
 * size other than 4K/16K/64K, MAX_PAGE_ORDER outside 1..20, or a pageblock order outside
 * 1..MAX_PAGE_ORDER.
 */
export function resolveBuddyGeometry(options: {
  readonly pageSize?: number;
  readonly maxPageOrder?: number;
  readonly pageblockOrder?: number;
}): BuddyGeometry {
  const pageSize = options.pageSize ?? 4096;
  if (pageSize !== 4096 && pageSize !== 16384 && pageSize !== 65536) {
    throw new SocmemError('EINVAL', `buddy allocator: page size ${pageSize} is not 4K, 16K or 64K`);
  }
  const defaults = defaultOrders(pageSize);
  const maxPageOrder = options.maxPageOrder ?? defaults.maxPageOrder;
  const pageblockOrder = options.pageblockOrder ?? Math.min(defaults.pageblockOrder, maxPageOrder);
  if (!Number.isInteger(maxPageOrder) || maxPageOrder < 1 || maxPageOrder > 20) {
    throw new SocmemError(
      'EINVAL',
      `buddy allocator: MAX_PAGE_ORDER ${maxPageOrder} is outside 1..20`,
    );
  }
  if (!Number.isInteger(pageblockOrder) || pageblockOrder < 1 || pageblockOrder > maxPageOrder) {
    throw new SocmemError(
      'EINVAL',
      `buddy allocator: pageblock order ${pageblockOrder} is outside 1..${maxPageOrder}`,
    );
  }
  return { pageSize, maxPageOrder, pageblockOrder };
}
