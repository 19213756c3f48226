import { mmuBenchCases } from './mmu';
import { Tlb, TranslationResult, createMachine } from '@socmem/hw-sim';
const c = mmuBenchCases[0]!;
const m = createMachine({ pageAllocator: false });
const tlb = new Tlb({ name: 'x', sets: 64, ways: 4 }, m.rng.fork('x'), m.trace);
const out = new TranslationResult();
for (let p = 0; p < 256; p++) { out.inputAddress = p * 4096; out.pa = 0x5000_0000 + p * 4096; out.pageSize = 4096; out.permissions = 63; tlb.insert(0, 0, out); }
let t0 = performance.now();
let s = 0;
for (let i = 0; i < 5_000_000; i++) { tlb.lookup(0, 0, ((i * 97) & 255) * 4096 + 12, out); s += out.pa; }
console.log('lookup ns', ((performance.now() - t0) * 1e6) / 5e6, tlb.counters.hits, tlb.counters.misses);
{
const t1 = performance.now();
for (let i = 0; i < 5_000_000; i++) { tlb.lookup(0, 0, ((i * 97) & 255) * 4096 + 12, out); s += out.pa; }
console.log('lookup ns again', ((performance.now() - t1) * 1e6) / 5e6);
}
