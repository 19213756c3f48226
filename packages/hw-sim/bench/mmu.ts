import type { BenchCase } from '@socmem/bench';
import {
  ACCESS_PRIV,
  ACCESS_READ,
  createMachine,
  MmuTranslator,
  PageTableWalker,
  Tlb,
  TranslationResult,
  type WalkConfig,
} from '@socmem/hw-sim';

const PAGES = 256;
const OPS = 1 << 16;

/**
 * MMU benchmarks: a TLB-hit translation (MmuTranslator.translate with a warm 256-entry TLB)
 * beside a raw Int32Array page lookup, and a full 4-level walk beside four dependent raw
 * Int32Array loads (the pointer chase a walk does, without decoding or the bus).
 */
function createMmuBenchCases(): BenchCase[] {
  const machine = createMachine({ pageAllocator: false });
  const tableBase = 0x4010_0000;
  const put = (pa: number, lo: number, hi = 0) => {
    machine.bus.write32(pa, lo >>> 0);
    machine.bus.write32(pa + 4, hi);
  };
  // VA [0, 1 MiB) -> PA 0x5000_0000.., 48-bit input, 4K granule: L0 -> L1 -> L2 -> L3.
  put(tableBase, tableBase + 0x1000 + 3);
  put(tableBase + 0x1000, tableBase + 0x2000 + 3);
  put(tableBase + 0x2000, tableBase + 0x3000 + 3);
  for (let page = 0; page < PAGES; page++)
    put(tableBase + 0x3000 + page * 8, 0x5000_0000 + page * 0x1000 + 0x703);
  const config: WalkConfig = {
    format: 'lpae64',
    stage: 1,
    granuleShift: 12,
    inputBits: 48,
    outputBits: 48,
    startLevel: 0,
    concatenatedTables: 1,
    tableBase,
    coherentWalk: false,
    mtkExtension: false,
  };
  const walker = new PageTableWalker(machine.bus, machine.cache, 'bench-walker');
  const tlb = new Tlb(
    { name: 'bench-tlb', sets: 64, ways: 4 },
    machine.rng.fork('bench-tlb'),
    machine.trace,
  );
  const translator = new MmuTranslator(walker, tlb, config);
  const out = new TranslationResult();
  const access = ACCESS_READ | ACCESS_PRIV;
  const addresses = new Float64Array(OPS);
  for (let index = 0; index < OPS; index++)
    addresses[index] = ((index * 97) % PAGES) * 0x1000 + ((index * 61) & 0xffc);
  for (let page = 0; page < PAGES; page++) translator.translate(page * 0x1000, access, out);
  const rawTable = new Int32Array(PAGES);
  for (let page = 0; page < PAGES; page++) rawTable[page] = 0x5_0000 + page;
  const chase = new Int32Array(4 * 512);
  for (let level = 0; level < 3; level++) chase[level * 512] = (level + 1) * 512;
  let sink = 0;

  return [
    {
      name: 'TLB-hit translation (MmuTranslator.translate, warm 256-entry TLB)',
      kind: 'time',
      subject: {
        label: 'translate',
        work: OPS,
        run: () => {
          let sum = 0;
          for (let index = 0; index < OPS; index++) {
            translator.translate(addresses[index]!, access, out);
            sum = (sum + out.pa) | 0;
          }
          sink ^= sum;
        },
      },
      baseline: {
        label: 'raw Int32Array page lookup',
        work: OPS,
        run: () => {
          let sum = 0;
          for (let index = 0; index < OPS; index++) {
            const va = addresses[index]!;
            sum = (sum + rawTable[(va >>> 12) & (PAGES - 1)]! * 4096 + (va & 0xfff)) | 0;
          }
          sink ^= sum;
        },
      },
      target: { ratio: 3, note: 'issue 3 target, applied to the full-record path too' },
    },
    {
      name: 'TLB-hit translation, PA only (MmuTranslator.translatePa, warm 256-entry TLB)',
      kind: 'time',
      subject: {
        label: 'translatePa',
        work: OPS,
        run: () => {
          let sum = 0;
          for (let index = 0; index < OPS; index++)
            sum = (sum + translator.translatePa(addresses[index]!, access)) | 0;
          sink ^= sum;
        },
      },
      baseline: {
        label: 'raw Int32Array page lookup',
        work: OPS,
        run: () => {
          let sum = 0;
          for (let index = 0; index < OPS; index++) {
            const va = addresses[index]!;
            sum = (sum + rawTable[(va >>> 12) & (PAGES - 1)]! * 4096 + (va & 0xfff)) | 0;
          }
          sink ^= sum;
        },
      },
      target: { ratio: 3, note: 'issue 3: TLB hit at most 3x a raw lookup' },
    },
    {
      name: 'full 4-level walk (PageTableWalker.walk, 4K granule, non-coherent)',
      kind: 'time',
      subject: {
        label: 'walk',
        work: OPS / 16,
        run: () => {
          let sum = 0;
          for (let index = 0; index < OPS / 16; index++) {
            walker.walk(config, addresses[index]!, access, out);
            sum = (sum + out.pa) | 0;
          }
          sink ^= sum;
        },
      },
      baseline: {
        label: 'four dependent raw Int32Array loads',
        work: OPS / 16,
        run: () => {
          let sum = 0;
          for (let index = 0; index < OPS / 16; index++) {
            let at = 0;
            for (let level = 0; level < 4; level++) at = chase[at + (index & 7)]! | (sink & 0);
            sum = (sum + at) | 0;
          }
          sink ^= sum;
        },
      },
    },
  ];
}

/** The MMU benchmark cases (the package's bench/index.ts runs them). */
export const mmuBenchCases: BenchCase[] = createMmuBenchCases();
