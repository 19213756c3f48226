/**
 * Sparse frame storage. RAM is kept as 4 KiB frames materialised on first write; every
 * untouched frame is the one shared zero frame, so reads never branch on "allocated?".
 * A bank keeps a flat table of frame references (8 bytes per 4 KiB frame, 0.2% of the
 * simulated size), because one table lookup is what makes a u32 access cheap.
 */
export const FRAME_SHIFT = 12;
export const FRAME_SIZE = 1 << FRAME_SHIFT;
export const FRAME_MASK = FRAME_SIZE - 1;

/** The shared frame every untouched address reads from. Never written. */
export const ZERO_FRAME_BYTES = new Uint8Array(FRAME_SIZE);
export const ZERO_FRAME_WORDS = new Uint32Array(ZERO_FRAME_BYTES.buffer);

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  // The simulated SoC is little-endian and u32 accesses index Uint32Arrays directly.
  throw new Error('socmem needs a little-endian host');
}
