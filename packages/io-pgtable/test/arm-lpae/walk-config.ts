import type { WalkConfig } from '@socmem/hw-sim';
import type { IoPgtableCfg, IoPgtableFmt } from '../../src/io-pgtable';

const PS_BITS = [32, 36, 40, 42, 44, 48, 52];

/**
 * The WalkConfig hardware derives from the register values in an allocated cfg, decoded the
 * way an SMMU does (ARM ARM D8.1/D8.2; QEMU smmu_ptw_64_s1/s2): the granule from TG0, the
 * input size from T0SZ, the output size from IPS/PS, the start level from T0SZ at stage 1 and
 * from SL0 at stage 2 (with the concatenation it implies), cacheable walks from IRGN0.
 * Built from registers only, never from the library's internal geometry.
 */
export function walkConfigFromCfg(fmt: IoPgtableFmt, cfg: IoPgtableCfg): WalkConfig {
  if (fmt === 'ARM_MALI_LPAE') {
    const mali = cfg.armMaliLpaeCfg!;
    return {
      format: 'mali',
      stage: 1,
      granuleShift: 12,
      inputBits: cfg.ias,
      outputBits: cfg.oas,
      startLevel: 0,
      concatenatedTables: 1,
      tableBase: mali.transtab - (mali.transtab % 64),
      // TRANSTAB.SHARE_OUTER: the GPU walks coherently with the CPU.
      coherentWalk: (mali.transtab & 0x10) !== 0,
      mtkExtension: false,
    };
  }
  const stage1 = fmt === 'ARM_64_LPAE_S1' || fmt === 'ARM_32_LPAE_S1';
  const format = fmt === 'ARM_32_LPAE_S1' || fmt === 'ARM_32_LPAE_S2' ? 'lpae32' : 'lpae64';
  const fields = stage1 ? cfg.armLpaeS1Cfg!.tcr : cfg.armLpaeS2Cfg!.vtcr;
  const granuleShift = fields.tg === 0 ? 12 : fields.tg === 1 ? 16 : 14;
  const inputBits = 64 - fields.tsz;
  const outputBits = PS_BITS[stage1 ? cfg.armLpaeS1Cfg!.tcr.ips : cfg.armLpaeS2Cfg!.vtcr.ps]!;
  const stride = granuleShift - 3;
  let startLevel: number;
  let concatenatedTables = 1;
  if (stage1) {
    startLevel = 4 - Math.ceil((inputBits - granuleShift) / stride);
  } else {
    const sl0 = cfg.armLpaeS2Cfg!.vtcr.sl;
    startLevel = granuleShift === 12 ? 2 - sl0 : 3 - sl0;
    const bitsAtStart = inputBits - (granuleShift + (3 - startLevel) * stride);
    if (bitsAtStart > stride) concatenatedTables = 2 ** (bitsAtStart - stride);
  }
  return {
    format,
    stage: stage1 ? 1 : 2,
    granuleShift,
    inputBits,
    outputBits,
    startLevel,
    concatenatedTables,
    tableBase: stage1 ? cfg.armLpaeS1Cfg!.ttbr : cfg.armLpaeS2Cfg!.vttbr,
    coherentWalk: fields.irgn !== 0,
    mtkExtension: false,
  };
}
