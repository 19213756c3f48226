import type { IommuFlushOps } from '../src/io-pgtable';
import type { IommuIotlbGather } from '../src/iotlb-gather';

/** One recorded TLB callback. */
export type TlbCall =
  | { op: 'flushAll'; cookie: unknown }
  | { op: 'flushWalk'; iova: number; size: number; granule: number; cookie: unknown }
  | {
      op: 'addPage';
      gather: IommuIotlbGather | null;
      iova: number;
      granule: number;
      cookie: unknown;
    };

/** Flush ops that record every call, in order (shared by the LPAE and v7s tests). */
export function recordingTlb(): { tlb: IommuFlushOps; calls: TlbCall[] } {
  const calls: TlbCall[] = [];
  const tlb: IommuFlushOps = {
    tlbFlushAll: (cookie) => calls.push({ op: 'flushAll', cookie }),
    tlbFlushWalk: (iova, size, granule, cookie) =>
      calls.push({ op: 'flushWalk', iova, size, granule, cookie }),
    tlbAddPage: (gather, iova, granule, cookie) =>
      calls.push({ op: 'addPage', gather, iova, granule, cookie }),
  };
  return { tlb, calls };
}
