import { hex, SocmemError } from '@socmem/hw-sim';
import type { DescriptorReader } from './types';

/**
 * A raw memory image (for instance a RAM dump from a board) whose first byte is at physical
 * address `base`, read as little-endian 32-bit words. Reads outside it throw EFAULT.
 */
export class MemoryImageReader implements DescriptorReader {
  readonly base: number;
  readonly size: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, base = 0) {
    if (!Number.isSafeInteger(base) || base < 0)
      throw new SocmemError('EINVAL', `memory image: base ${base} is not a physical address`);
    this.base = base;
    this.size = bytes.byteLength;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  read32(pa: number): number {
    const offset = pa - this.base;
    if (!Number.isSafeInteger(pa) || offset < 0 || offset + 4 > this.size) {
      throw new SocmemError(
        'EFAULT',
        `memory image: address ${hex(pa)} is outside the image (${hex(this.base)}-${hex(this.base + this.size - 1)})`,
      );
    }
    return this.view.getUint32(offset, true);
  }
}
