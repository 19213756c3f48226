import { hex } from '@socmem/hw-sim';
import type { BuddyAllocator } from '../mm/buddy-allocator';
import { MIGRATETYPE_NAMES } from '../mm/constants';
import { PG_ALLOCATED, PG_CONTIG, PG_LRU, PG_RESERVED } from '../mm/page-frames';

/** Frame states in a picture, from most to least important when several share one character. */
export const FRAME_GLYPHS = {
  pinned: 'P',
  unmovable: 'U',
  cmaAllocated: 'C',
  movable: 'm',
  reserved: 'r',
  free: '.',
} as const;

/** The glyphs in FRAME_GLYPHS order, so a lower position means a more important state. */
const PRIORITY: readonly string[] = Object.values(FRAME_GLYPHS);

/** Options of {@link renderMemoryRange}. */
export interface MemoryPictureOptions {
  /** Pages per character. Default: a pageblock per 64-character line. */
  readonly pagesPerChar?: number;
}

/**
 * A text picture of the frames in [startPfn, endPfn): one line per pageblock, with its
 * migratetype, then one character per `pagesPerChar` frames: `.` free, `m` movable page,
 * `P` pinned (or extra-referenced) movable page, `C` CMA-allocated, `U` unmovable,
 * `r` reserved. A character covering several frames shows the most important state.
 */
export function renderMemoryRange(
  buddy: BuddyAllocator,
  startPfn: number,
  endPfn: number,
  options: MemoryPictureOptions = {},
): string {
  const frames = buddy.frames;
  const blockPages = 2 ** buddy.pageblockOrder;
  const perChar = options.pagesPerChar ?? Math.max(1, blockPages / 64);
  const lines: string[] = [];
  let pfn = startPfn;
  while (pfn < endPfn) {
    const blockEnd = Math.min(endPfn, (Math.floor(pfn / blockPages) + 1) * blockPages);
    const index = frames.indexOf(pfn);
    let label: string;
    if (index < 0) label = 'hole';
    else {
      const block = index >>> buddy.pageblockOrder;
      label = frames.isIsolated(block)
        ? `Isolate(${MIGRATETYPE_NAMES[frames.underlyingType(block)]})`
        : (MIGRATETYPE_NAMES[frames.underlyingType(block)] ?? '?');
    }
    let row = '';
    for (let at = pfn; at < blockEnd; at += perChar) {
      let best = PRIORITY.length - 1;
      for (let k = at; k < Math.min(at + perChar, blockEnd); k++) {
        const glyph = PRIORITY.indexOf(frameGlyph(buddy, k));
        if (glyph < best) best = glyph;
      }
      row += PRIORITY[best];
    }
    lines.push(`${hex(pfn).padStart(11)} ${label.padEnd(17)}|${row}|`);
    pfn = blockEnd;
  }
  lines.push(
    `legend: . free  m movable  P pinned  C CMA-allocated  U unmovable  r reserved  (${perChar} page${perChar > 1 ? 's' : ''}/char)`,
  );
  return lines.join('\n');
}

/** The glyph of one frame (free frames inside a free block included). */
export function frameGlyph(buddy: BuddyAllocator, pfn: number): string {
  const frames = buddy.frames;
  const index = frames.indexOf(pfn);
  if (index < 0) return FRAME_GLYPHS.reserved;
  const flags = frames.flags[index]!;
  if ((flags & PG_ALLOCATED) !== 0) {
    if ((flags & PG_LRU) !== 0) {
      return frames.pinCount[index]! > 0 || frames.refcount[index]! > 1
        ? FRAME_GLYPHS.pinned
        : FRAME_GLYPHS.movable;
    }
    return (flags & PG_CONTIG) !== 0 ? FRAME_GLYPHS.cmaAllocated : FRAME_GLYPHS.unmovable;
  }
  if ((flags & PG_RESERVED) !== 0) return FRAME_GLYPHS.reserved;
  return FRAME_GLYPHS.free; // the head (PG_BUDDY) or a tail frame of a free block
}
