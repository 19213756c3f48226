import type { LeakReportEntry } from '@socmem/hw-sim';
import type { OwnerRegistry } from './owner-registry';
import { type PageFrames, PG_ALLOCATED, PG_HEAD } from './page-frames';

/** Pages still allocated, grouped by owner tag and sorted by it; one allocation per PG_HEAD frame. */
export function frameLeakReport(frames: PageFrames, owners: OwnerRegistry): LeakReportEntry[] {
  const pages = new Map<number, number>();
  const allocations = new Map<number, number>();
  for (let index = 0; index < frames.frameCount; index++) {
    const flags = frames.flags[index]!;
    if ((flags & PG_ALLOCATED) === 0) continue;
    const owner = frames.owner[index]!;
    pages.set(owner, (pages.get(owner) ?? 0) + 1);
    if ((flags & PG_HEAD) !== 0) allocations.set(owner, (allocations.get(owner) ?? 0) + 1);
  }
  return [...pages.entries()]
    .map(([owner, count]) => ({
      owner: owners.name(owner),
      pages: count,
      allocations: allocations.get(owner) ?? 0,
    }))
    .sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
}
