/**
 * Two IOMMUs, two page-table formats, one SoC.
 *
 * A "GPU" DMA engine sits behind an Arm SMMUv2 (stage-1 context bank, ARM_64_LPAE_S1 tables,
 * coherent walk) and a "camera" DMA engine behind an Exynos-style System MMU (ARM_V7S tables,
 * non-coherent walk: every descriptor write is cleaned from the CPU cache). @socmem/io-pgtable
 * writes the tables into simulated RAM exactly as Linux would; the hardware models know nothing
 * of it and walk them from the registers alone. Each engine copies a pattern through its IOMMU;
 * the program prints the table trees, then sends each engine to an unmapped address to show
 * the fault registers. It checks every result and exits non-zero on wrong data.
 */
import {
  ArmSmmuV2,
  createMachine,
  DmaEngine,
  hex,
  type Machine,
  SYSMMU_MMIO_SIZE,
  SysMmu,
} from '@socmem/hw-sim';
import {
  allocIoPgtableOps,
  dumpIoPgtableOps,
  formatIoPgtableMappings,
  formatIoPgtableTree,
  freeIoPgtableOps,
  IOMMU_CACHE,
  IOMMU_READ,
  IOMMU_WRITE,
  type IoPgtableCfg,
  type IoPgtableOps,
} from '@socmem/io-pgtable';
import { SmmuStage1Context } from './smmu-context';
import { SysMmuContext } from './sysmmu-context';

const SMMU_BASE = 0x1200_0000;
const SYSMMU_BASE = 0x1300_0000;
const GPU_STREAM = 0x42;
const SZ_4K = 0x1000;
const SZ_64K = 0x1_0000;
const SZ_1M = 0x10_0000;
const SZ_2M = 0x20_0000;
const SZ_16M = 0x100_0000;
const SZ_1G = 0x4000_0000;
let failures = 0;

function say(text = ''): void {
  console.log(text);
}

function check(what: string, ok: boolean, detail = ''): void {
  if (!ok) failures++;
  say(`    ${ok ? 'ok  ' : 'FAIL'} ${what}${detail === '' ? '' : `: ${detail}`}`);
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** Buddy order of a buffer of `bytes` (a power-of-two number of pages). */
function bufferOrder(bytes: number): number {
  return Math.log2(bytes / SZ_4K);
}

/** Physically contiguous, naturally aligned pages for a buffer. */
function allocBuffer(machine: Machine, bytes: number): number {
  return machine.pageAllocator.allocPages(bufferOrder(bytes), 'example-buffer');
}

/** Gives back a buffer from allocBuffer. */
function freeBuffer(machine: Machine, pa: number, bytes: number): void {
  machine.pageAllocator.freePages(pa, bufferOrder(bytes));
}

/** Fills a buffer with a pattern through the CPU, then cleans it for a non-coherent device. */
function writePattern(machine: Machine, pa: number, bytes: number, seed: number): Uint8Array {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 7 + seed) & 0xff;
  machine.cpu.write(pa, data);
  machine.cache.clean(pa, bytes);
  return data;
}

/** Invalidates, then reads what the device wrote, and compares. */
function checkCopy(machine: Machine, what: string, pa: number, expected: Uint8Array): void {
  machine.cache.invalidate(pa, expected.length);
  const got = new Uint8Array(expected.length);
  machine.cpu.read(pa, got);
  const bad = got.findIndex((byte, i) => byte !== expected[i]);
  check(
    what,
    bad < 0,
    bad < 0 ? `${expected.length} bytes match` : `first difference at byte ${bad}`,
  );
}

function runCopy(engine: DmaEngine, src: number, dst: number, bytes: number): string {
  engine.startCopy(src, dst, bytes);
  return engine.run();
}

say('socmem demo: io-pgtable tables in two IOMMUs\n');
const machine = createMachine({ seed: 7 });
const smmu = new ArmSmmuV2(machine, { name: 'smmu0', contextBanks: 2 });
machine.bus.mapMmio(SMMU_BASE, smmu.mmioSize, smmu);
const sysmmu = new SysMmu(machine, { name: 'sysmmu-cam' });
machine.bus.mapMmio(SYSMMU_BASE, SYSMMU_MMIO_SIZE, sysmmu);
const gpu = new DmaEngine(machine, { name: 'gpu-dma', streamId: GPU_STREAM, iommu: smmu });
const camera = new DmaEngine(machine, { name: 'cam-dma', iommu: sysmmu });
say(
  `SMMUv2 at ${hex(SMMU_BASE)} (${smmu.mmioSize / 1024} KiB of registers), SysMMU at ${hex(SYSMMU_BASE)}`,
);

// ---------------------------------------------------------------------------------------------
say('\n1. ARM_64_LPAE_S1 tables for the GPU, in SMMU context bank 0');
const context = new SmmuStage1Context(machine, smmu, SMMU_BASE, 0);
const lpaeCfg: IoPgtableCfg = {
  quirks: 0,
  pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G,
  ias: 36,
  oas: 40,
  coherentWalk: true,
  tlb: context.flushOps,
  machine,
};
const lpae: IoPgtableOps = allocIoPgtableOps('ARM_64_LPAE_S1', lpaeCfg, context);
const s1 = lpaeCfg.armLpaeS1Cfg!;
say(`    TTBR0 ${hex(s1.ttbr)}  TCR fields ${JSON.stringify(s1.tcr)}  MAIR ${hex(s1.mair)}`);
context.attach(lpaeCfg, GPU_STREAM);

const gpuSrc = allocBuffer(machine, 4 * SZ_4K);
const gpuDst = allocBuffer(machine, 4 * SZ_4K);
const GPU_SRC_IOVA = 0x1000_0000;
const GPU_DST_IOVA = 0x2000_0000;
lpae.mapPages(GPU_SRC_IOVA, gpuSrc, SZ_4K, 4, IOMMU_READ | IOMMU_CACHE);
lpae.mapPages(GPU_DST_IOVA, gpuDst, SZ_4K, 4, IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE);
say(
  `    mapped IOVA ${hex(GPU_SRC_IOVA)} -> ${hex(gpuSrc)} (read-only) and ${hex(GPU_DST_IOVA)} -> ${hex(gpuDst)}, 16 KiB each`,
);
const gpuPattern = writePattern(machine, gpuSrc, 4 * SZ_4K, 0x11);
const gpuState = runCopy(gpu, GPU_SRC_IOVA, GPU_DST_IOVA, 4 * SZ_4K);
check(
  'GPU DMA copy through the SMMU',
  gpuState === 'done',
  `job ${gpuState}, ${gpu.bytesDone} bytes`,
);
checkCopy(machine, 'the CPU reads the copy', gpuDst, gpuPattern);

// ---------------------------------------------------------------------------------------------
say('\n2. ARM_V7S tables for the camera, in the SysMMU (non-coherent walk)');
const cameraIommu = new SysMmuContext(machine, SYSMMU_BASE);
const v7sCfg: IoPgtableCfg = {
  quirks: 0,
  pgsizeBitmap: SZ_4K | SZ_64K | SZ_1M | SZ_16M,
  ias: 32,
  oas: 32,
  coherentWalk: false,
  tlb: cameraIommu.flushOps,
  machine,
};
const v7s: IoPgtableOps = allocIoPgtableOps('ARM_V7S', v7sCfg, cameraIommu);
const regs = v7sCfg.armV7sCfg!;
say(
  `    TTBR ${hex(regs.ttbr)}  TCR ${hex(regs.tcr)}  PRRR ${hex(regs.prrr)}  NMRR ${hex(regs.nmrr)}`,
);
cameraIommu.attach(v7sCfg);

const camSrc = allocBuffer(machine, SZ_64K);
const camDst = allocBuffer(machine, SZ_64K);
const CAM_SRC_IOVA = 0x0040_0000;
const CAM_DST_IOVA = 0x0080_0000;
// The source as one 64 KiB large page (16 repeated entries), the destination as 16 small pages.
v7s.mapPages(CAM_SRC_IOVA, camSrc, SZ_64K, 1, IOMMU_READ);
v7s.mapPages(CAM_DST_IOVA, camDst, SZ_4K, 16, IOMMU_READ | IOMMU_WRITE);
say(
  `    mapped IOVA ${hex(CAM_SRC_IOVA)} -> ${hex(camSrc)} (one 64K large page) and ${hex(CAM_DST_IOVA)} -> ${hex(camDst)} (16 x 4K)`,
);
const camPattern = writePattern(machine, camSrc, SZ_64K, 0x5a);
const camState = runCopy(camera, CAM_SRC_IOVA, CAM_DST_IOVA, SZ_64K);
check(
  'camera DMA copy through the SysMMU',
  camState === 'done',
  `job ${camState}, ${camera.bytesDone} bytes`,
);
checkCopy(machine, 'the CPU reads the copy', camDst, camPattern);

// ---------------------------------------------------------------------------------------------
say('\n3. The tables, as the walkers see them (io-pgtable dump)');
for (const ops of [lpae, v7s]) {
  const dump = dumpIoPgtableOps(ops);
  say(indent(formatIoPgtableTree(dump)));
  say('    ranges:');
  say(indent(formatIoPgtableMappings(dump)));
  check(`${ops.fmt} decodes without errors`, dump.errors.length === 0);
  say();
}

// ---------------------------------------------------------------------------------------------
say('4. Faults: DMA to addresses nobody mapped');
const UNMAPPED = 0x3000_0000;
const gpuFault = runCopy(gpu, GPU_SRC_IOVA, UNMAPPED, SZ_4K);
const smmuFault = context.faultRegisters();
say(
  `    SMMU CB0: FSR ${hex(smmuFault.fsr)}  FAR ${hex(smmuFault.far)}  FSYNR0 ${hex(smmuFault.fsynr0)}`,
);
check(
  'the GPU job stops with an error',
  gpuFault === 'error',
  `job ${gpuFault}, fault ${gpu.fault?.kind} at ${hex(gpu.fault?.address ?? 0)}`,
);
check(
  'FSR.TF (translation fault) and FAR = the IOVA',
  (smmuFault.fsr & 0x2) !== 0 && smmuFault.far === BigInt(UNMAPPED),
);
check('FSYNR0.WNR: it was a write', (smmuFault.fsynr0 & 0x10) !== 0);
context.clearFault(smmuFault.fsr);

const camFault = runCopy(camera, CAM_SRC_IOVA, UNMAPPED, SZ_4K);
const sysFault = cameraIommu.faultRegisters();
say(
  `    SysMMU: INT_STATUS ${hex(sysFault.intStatus)}  PAGE_FAULT_ADDR ${hex(sysFault.pageFaultAddr)}`,
);
check('the camera job is held by the blocked SysMMU', camFault === 'stalled', `job ${camFault}`);
check(
  'INT_STATUS.PAGEFAULT and the fault address',
  sysFault.intStatus === 1 && sysFault.pageFaultAddr === UNMAPPED,
);
say('    the fault handler maps a page there, clears the interrupt and unblocks; the job resumes:');
const spare = allocBuffer(machine, SZ_4K);
v7s.mapPages(UNMAPPED, spare, SZ_4K, 1, IOMMU_READ | IOMMU_WRITE);
cameraIommu.clearFaultAndResume(sysFault.intStatus);
const resumed = camera.run();
check('the camera job completes after the fix-up', resumed === 'done', `job ${resumed}`);
checkCopy(machine, 'the spare page holds the copied bytes', spare, camPattern.subarray(0, SZ_4K));

// ---------------------------------------------------------------------------------------------
say('\n5. Teardown');
freeIoPgtableOps(lpae);
freeIoPgtableOps(v7s);
for (const pa of [gpuSrc, gpuDst]) freeBuffer(machine, pa, 4 * SZ_4K);
for (const pa of [camSrc, camDst]) freeBuffer(machine, pa, SZ_64K);
freeBuffer(machine, spare, SZ_4K);
const leaks = machine.pageAllocator.leakReport();
check('every table and buffer page went back', leaks.length === 0, JSON.stringify(leaks));
machine.checkInvariants();

say(failures === 0 ? '\nall checks passed' : `\n${failures} check(s) FAILED`);
process.exitCode = failures === 0 ? 0 : 1;
