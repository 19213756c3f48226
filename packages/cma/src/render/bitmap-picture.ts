import { hex } from '@socmem/hw-sim';
import type { Cma } from '../cma/cma';
import { cmaDebugfs } from '../cma/cma-debug';

/** Options of {@link renderCmaBitmap}. */
export interface BitmapPictureOptions {
  /** Bits per character. Default: enough that each range fits 16 lines of 64. */
  readonly bitsPerChar?: number;
}

/**
 * A text picture of an area's bitmaps: a header with the debugfs figures, then per range
 * lines of 64 characters, `#` for allocated bits, `.` for free ones and `+` for a character
 * covering both.
 */
export function renderCmaBitmap(cma: Cma, options: BitmapPictureOptions = {}): string {
  const debug = cmaDebugfs(cma);
  const pageSize = cma.registry.pageSize;
  const lines = [
    `cma ${cma.name.trim()}: ${debug.count} pages (${(debug.count * pageSize) / 0x10_0000} MiB), order_per_bit ${debug.order_per_bit}, used ${debug.used}, maxchunk ${debug.maxchunk}, ${cma.ranges.length} range${cma.ranges.length === 1 ? '' : 's'}`,
  ];
  cma.ranges.forEach((range, r) => {
    const bitmap = range.bitmap;
    if (bitmap === null) {
      lines.push(`range ${r}: base_pfn ${hex(range.basePfn)} (not activated)`);
      return;
    }
    const perChar = options.bitsPerChar ?? Math.max(1, Math.ceil(bitmap.size / (64 * 16)));
    lines.push(
      `range ${r}: base_pfn ${hex(range.basePfn)}, ${bitmap.size} bits, ${perChar} bit${perChar > 1 ? 's' : ''}/char`,
    );
    let row = '';
    let rowStart = 0;
    for (let bit = 0; bit < bitmap.size; bit += perChar) {
      let set = 0;
      const end = Math.min(bitmap.size, bit + perChar);
      for (let k = bit; k < end; k++) if (bitmap.test(k)) set++;
      row += set === 0 ? '.' : set === end - bit ? '#' : '+';
      if (row.length === 64 || end === bitmap.size) {
        const pfn = range.basePfn + rowStart * 2 ** cma.orderPerBit;
        lines.push(`${hex(pfn).padStart(11)} |${row}|`);
        row = '';
        rowStart = end;
      }
    }
  });
  return lines.join('\n');
}
