/** What the format decoders need from the walker: descriptor reads through the bus. */
export interface DescriptorReader {
  /** The last descriptor read, as u32 halves (hi is 0 after a 32-bit read). */
  lo: number;
  hi: number;
  /** Reads the 64-bit descriptor at `pa`; false on an external abort (BusError). */
  read64(pa: number, coherent: boolean): boolean;
  /** Reads the 32-bit descriptor at `pa`; false on an external abort (BusError). */
  read32(pa: number, coherent: boolean): boolean;
}
