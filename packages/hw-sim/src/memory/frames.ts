/**
 * Sparse frame storage constants. RAM is kept as 4 KiB frames materialised on first write;
 * every untouched frame is the one shared zero frame, so reads never branch on "allocated?".
 * Frames are grouped in leaves of 1024 (4 MiB) so the top table of a 16 GiB bank has only
 * 4096 entries.
 */
export const FRAME_SHIFT = 12;
export const FRAME_SIZE = 1 << FRAME_SHIFT;
export const FRAME_MASK = FRAME_SIZE - 1;
export const LEAF_SHIFT = 10;
export const FRAMES_PER_LEAF = 1 << LEAF_SHIFT;
export const LEAF_MASK = FRAMES_PER_LEAF - 1;

/** The shared frame every untouched address reads from. Never written. */
export const ZERO_FRAME_BYTES = new Uint8Array(FRAME_SIZE);
export const ZERO_FRAME_WORDS = new Uint32Array(ZERO_FRAME_BYTES.buffer);

/** A leaf whose every frame is the zero frame. Never written; replaced on first write. */
export const ZERO_LEAF_BYTES: readonly Uint8Array[] = Object.freeze(
  new Array<Uint8Array>(FRAMES_PER_LEAF).fill(ZERO_FRAME_BYTES),
);
export const ZERO_LEAF_WORDS: readonly Uint32Array[] = Object.freeze(
  new Array<Uint32Array>(FRAMES_PER_LEAF).fill(ZERO_FRAME_WORDS),
);

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  // The simulated SoC is little-endian and u32 accesses index Uint32Arrays directly.
  throw new Error('socmem needs a little-endian host');
}
