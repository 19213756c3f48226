import { mmuBenchCases } from './mmu';
const c = mmuBenchCases[Number(process.argv[2] ?? 1)]!;
const t0 = performance.now();
let n = 0;
while (performance.now() - t0 < 3000) { c.subject.run(); n++; }
console.log(c.subject.label, (((performance.now() - t0) * 1e6) / (n * c.subject.work)).toFixed(2));
