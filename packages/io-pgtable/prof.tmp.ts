import { createMachine } from '@socmem/hw-sim';
import { allocIoPgtableOps } from './src/index';
for (const enabled of [false, true]) {
  const m = createMachine({ cache: { enabled } });
  const ops = allocIoPgtableOps('ARM_64_LPAE_S1', { quirks: 0, pgsizeBitmap: 0x40201000, ias: 48, oas: 48, coherentWalk: true, tlb: null, machine: m }, null);
  const N = 1 << 18;
  let best = [1e9, 1e9, 1e9];
  for (let rep = 0; rep < 15; rep++) {
    let t = performance.now();
    for (let i = 0; i < N; i++) ops.mapPages(i * 4096, 0x8000_0000 + i * 4096, 4096, 1, 3);
    const tm = (performance.now() - t) * 1e6 / N;
    t = performance.now();
    let s = 0;
    for (let i = 0; i < N; i++) s += ops.iovaToPhys(i * 4096 + 5);
    const ti = (performance.now() - t) * 1e6 / N;
    t = performance.now();
    for (let i = 0; i < N; i++) ops.unmapPages(i * 4096, 4096, 1, null);
    const tu = (performance.now() - t) * 1e6 / N;
    best = [Math.min(best[0]!, tm), Math.min(best[1]!, ti), Math.min(best[2]!, tu)];
  }
  console.log(`cache ${enabled}: best map ${best[0]!.toFixed(1)} iova ${best[1]!.toFixed(1)} unmap ${best[2]!.toFixed(1)} ns`, m.bus.counters.reads);
}
