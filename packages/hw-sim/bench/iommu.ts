import type { BenchCase } from '@socmem/bench';
import { benchScale } from '@socmem/bench';
import {
  ARM_SMMU_CB_S1_MAIR0,
  ARM_SMMU_CB_SCTLR,
  ARM_SMMU_CB_TCR,
  ARM_SMMU_CB_TCR2,
  ARM_SMMU_CB_TTBR0,
  ARM_SMMU_CBA2R_VA64,
  ARM_SMMU_GR0_S2CR_BASE,
  ARM_SMMU_GR0_SMR_BASE,
  ARM_SMMU_GR0_sCR0,
  ARM_SMMU_GR1_CBA2R_BASE,
  ARM_SMMU_GR1_CBAR_BASE,
  ARM_SMMU_SCTLR_CFIE,
  ARM_SMMU_SCTLR_CFRE,
  ARM_SMMU_SCTLR_M,
  ARM_SMMU_SMR_VALID,
  ARM_SMMU_sCR0_GFRE,
  ArmSmmuV2,
  createMachine,
  DmaEngine,
  type Machine,
} from '@socmem/hw-sim';

const MiB = 1024 * 1024;
const SMMU_BASE = 0x2000_0000;
const SRC_PA = 0x4000_0000;
const DST_PA = 0x5000_0000;
const TABLES = 0x7000_0000;
const SRC_IOVA = 0x1000_0000;
const DST_IOVA = 0x2000_0000;
/** Stage-1 page: valid page, AF, AP[1] (EL0), nG, SH inner, AttrIndx 1 (cacheable). */
const PAGE_ATTRS = 0x3 | (1 << 10) | (1 << 6) | (1 << 11) | (3 << 8) | (1 << 2);

/**
 * 4 KiB-granule, 39-bit stage-1 tables written descriptor by descriptor on the bus (hw-sim may
 * not import io-pgtable): level 1 at TABLES, level 2 and level 3 tables bump-allocated after it.
 */
function buildTables(
  machine: Machine,
  mappings: readonly { iova: number; pa: number; size: number }[],
): void {
  const bus = machine.bus;
  let next = TABLES + 0x1000;
  const table = (at: number): number => {
    const lo = bus.read32(at);
    if ((lo & 3) === 3) return lo & 0xffff_f000;
    const fresh = next;
    next += 0x1000;
    bus.write32(at, (fresh | 3) >>> 0);
    bus.write32(at + 4, 0);
    return fresh;
  };
  for (const { iova, pa, size } of mappings) {
    for (let offset = 0; offset < size; offset += 0x1000) {
      const va = iova + offset;
      const l2 = table(TABLES + 8 * Math.floor(va / 2 ** 30));
      const l3 = table(l2 + 8 * (Math.floor(va / 2 ** 21) % 512));
      const at = l3 + 8 * (Math.floor(va / 4096) % 512);
      bus.write32(at, ((pa + offset) | PAGE_ATTRS) >>> 0);
      bus.write32(at + 4, 0);
    }
  }
}

function iommuCopyCase(): BenchCase {
  const bytes = Math.max(MiB, Math.floor((64 * MiB * benchScale()) / 4096) * 4096);
  const machine = createMachine({ pageAllocator: false });
  // One context bank whose TLB holds every page of both buffers: the copy runs on TLB hits.
  const smmu = new ArmSmmuV2(machine, { contextBanks: 1, tlbSets: 16384, tlbWays: 4 });
  const bus = machine.bus;
  bus.mapMmio(SMMU_BASE, smmu.mmioSize, smmu);
  buildTables(machine, [
    { iova: SRC_IOVA, pa: SRC_PA, size: bytes },
    { iova: DST_IOVA, pa: DST_PA, size: bytes },
  ]);
  const cb = SMMU_BASE + smmu.contextBankOffset(0);
  bus.write32(SMMU_BASE + 0x1000 + ARM_SMMU_GR1_CBA2R_BASE, ARM_SMMU_CBA2R_VA64);
  bus.write32(SMMU_BASE + 0x1000 + ARM_SMMU_GR1_CBAR_BASE, 1 << 16);
  bus.write32(cb + ARM_SMMU_CB_TCR2, 5);
  bus.write32(cb + ARM_SMMU_CB_TCR, (1 << 23) | (3 << 12) | (1 << 10) | (1 << 8) | 25);
  bus.write64(cb + ARM_SMMU_CB_TTBR0, (1n << 48n) | BigInt(TABLES));
  bus.write32(cb + ARM_SMMU_CB_S1_MAIR0, 0xf404_ff44);
  bus.write32(cb + ARM_SMMU_CB_SCTLR, ARM_SMMU_SCTLR_CFIE | ARM_SMMU_SCTLR_CFRE | ARM_SMMU_SCTLR_M);
  bus.write32(SMMU_BASE + ARM_SMMU_GR0_S2CR_BASE, 0);
  bus.write32(SMMU_BASE + ARM_SMMU_GR0_SMR_BASE, (ARM_SMMU_SMR_VALID | 1) >>> 0);
  bus.write32(SMMU_BASE + ARM_SMMU_GR0_sCR0, ARM_SMMU_sCR0_GFRE);
  machine.ram.fill(SRC_PA, 0xa5, bytes);
  const engine = new DmaEngine(machine, { name: 'dma', streamId: 1, iommu: smmu });
  const copy = (): void => {
    engine.startCopy(SRC_IOVA, DST_IOVA, bytes);
    if (engine.run() !== 'done') throw new Error(`iommu bench: DMA copy ended ${engine.state}`);
  };
  copy(); // warms the TLB and materialises the destination frames
  if (machine.ram.read32(DST_PA + bytes - 4) !== 0xa5a5_a5a5)
    throw new Error('iommu bench: copy is wrong');
  const rawSource = new Uint8Array(bytes).fill(0xa5);
  const rawDestination = new Uint8Array(bytes);
  return {
    name: `DmaEngine copy ${bytes / MiB} MiB through SMMUv2, 4 KiB pages, warm TLB`,
    kind: 'throughput',
    subject: { label: 'DmaEngine.run (startCopy)', work: bytes, run: copy },
    baseline: {
      label: 'raw Uint8Array copy',
      work: bytes,
      run: () => rawDestination.set(rawSource),
    },
    target: { ratio: 0.5 },
  };
}

/** IOMMU and bus-master benchmarks, each beside a same-run raw baseline (issue 3 targets). */
export const iommuBenchCases: BenchCase[] = [iommuCopyCase()];
