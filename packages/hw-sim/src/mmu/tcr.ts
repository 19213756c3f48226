import { high32, low32 } from '../bits';
import { hex, SocmemError } from '../errors/socmem-error';

/** The TTBR0 half of a TCR_EL1 value, decoded (ARM ARM D19.2.139, TCR_EL1). */
export interface DecodedTcr {
  /** T0SZ [5:0]; the input size is 64 - T0SZ. */
  readonly t0sz: number;
  readonly inputBits: number;
  /** TG0 [15:14]: 0b00 4K, 0b01 64K, 0b10 16K. */
  readonly granuleShift: 12 | 14 | 16;
  /** IPS [34:32] as a size in bits (32, 36, 40, 42, 44, 48, 52; 52 only with 64K, else 48). */
  readonly outputBits: number;
  /** IRGN0 [9:8]: 0 = walks are Normal Non-cacheable; otherwise they are cacheable (coherent with the CPU cache). */
  readonly irgn0: number;
  /** ORGN0 [11:10]. */
  readonly orgn0: number;
  /** SH0 [13:12]. */
  readonly sh0: number;
  /** EPD0 (bit 7): walks through TTBR0 are disabled; a TLB miss is a translation fault. */
  readonly epd0: boolean;
  /** AS (bit 36): 16-bit ASIDs. */
  readonly asid16: boolean;
}

const IPS_BITS = [32, 36, 40, 42, 44, 48, 52];

/** Decodes the TTBR0 fields of a TCR_EL1 value; EINVAL for reserved encodings the model does not take. */
export function decodeTcr(tcr: bigint | number): DecodedTcr {
  let lo: number;
  let hi: number;
  if (typeof tcr === 'bigint') {
    const masked = BigInt.asUintN(64, tcr);
    lo = Number(masked & 0xffff_ffffn);
    hi = Number(masked >> 32n);
  } else {
    if (!Number.isSafeInteger(tcr) || tcr < 0)
      throw new SocmemError('EINVAL', `tcr: ${tcr} is not a register value`);
    lo = low32(tcr);
    hi = high32(tcr);
  }
  const t0sz = lo & 0x3f;
  const tg0 = (lo >>> 14) & 3;
  if (tg0 === 3) throw new SocmemError('EINVAL', `tcr: TG0 0b11 is reserved (TCR ${hex(lo)})`);
  const granuleShift = tg0 === 0 ? 12 : tg0 === 1 ? 16 : 14;
  const maxIn = granuleShift === 16 ? 52 : 48;
  const inputBits = 64 - t0sz;
  // T0SZ below 16 (12 with 64K) or above 39 is CONSTRAINED UNPREDICTABLE without FEAT_LVA/TTST.
  if (inputBits > maxIn || inputBits < 25) {
    throw new SocmemError(
      'EINVAL',
      `tcr: T0SZ ${t0sz} gives a ${inputBits}-bit input, outside 25..${maxIn}`,
    );
  }
  const ips = hi & 7;
  if (ips >= IPS_BITS.length) throw new SocmemError('EINVAL', `tcr: IPS ${ips} is reserved`);
  let outputBits = IPS_BITS[ips]!;
  // IPS 52 without the 64K granule (and without FEAT_LPA2) is treated as 48 bits (ARM ARM D8.1.8).
  if (outputBits === 52 && granuleShift !== 16) outputBits = 48;
  return {
    t0sz,
    inputBits,
    granuleShift,
    outputBits,
    irgn0: (lo >>> 8) & 3,
    orgn0: (lo >>> 10) & 3,
    sh0: (lo >>> 12) & 3,
    epd0: (lo & 0x80) !== 0,
    asid16: (hi & 0x10) !== 0,
  };
}
