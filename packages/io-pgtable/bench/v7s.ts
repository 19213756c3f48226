/**
 * ARM_V7S (Linux v6.13 io-pgtable-arm-v7s) map/unmap of 4 KiB pages beside the same raw
 * typed-array radix table the LPAE cases use. No target: issue 4's targets are Linux's LPAE
 * figures; this shows what the short-descriptor format costs on the same machine.
 */
import type { BenchCase } from '@socmem/bench';
import { createMachine } from '@socmem/hw-sim';
import { allocIoPgtableOps, IOMMU_READ, IOMMU_WRITE } from '../src/index';
import type { RawRadixTable } from './raw-radix-table';

const SZ_4K = 0x1000;
const SZ_64K = 0x1_0000;
const SZ_1M = 0x10_0000;
const SZ_16M = 0x100_0000;
/** Output addresses must stay below 2^32 (oas 32), so the pages start at 2 GiB. */
const PA = 0x8000_0000;

export function v7sPairCase(pages: number, raw: RawRadixTable): BenchCase {
  const count = Math.min(pages, 1 << 19); // 2 GiB of IOVA, all below 2^32
  const machine = createMachine({ cache: { enabled: false } });
  const ops = allocIoPgtableOps(
    'ARM_V7S',
    {
      quirks: 0,
      pgsizeBitmap: SZ_4K | SZ_64K | SZ_1M | SZ_16M,
      ias: 32,
      oas: 32,
      coherentWalk: true,
      tlb: null,
      machine,
    },
    null,
  );
  const rw = IOMMU_READ | IOMMU_WRITE;
  return {
    name: `ARM_V7S map+unmap 4K page x ${count}, cache off (per pair)`,
    kind: 'time',
    subject: {
      label: 'mapPages(4K, 1) + unmapPages(4K, 1)',
      work: count,
      run: () => {
        for (let i = 0; i < count; i++) ops.mapPages(i * SZ_4K, PA + i * SZ_4K, SZ_4K, 1, rw);
        for (let i = 0; i < count; i++) ops.unmapPages(i * SZ_4K, SZ_4K, 1, null);
      },
    },
    baseline: {
      label: 'raw typed-array radix map + unmap',
      work: count,
      run: () => {
        for (let i = 0; i < count; i++) raw.map(i * SZ_4K, PA + i * SZ_4K);
        for (let i = 0; i < count; i++) raw.unmap(i * SZ_4K);
      },
    },
  };
}
