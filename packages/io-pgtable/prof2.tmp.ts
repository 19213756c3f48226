import { createMachine } from '@socmem/hw-sim';
for (const enabled of [false, true]) {
  const m = createMachine({ cache: { enabled } });
  const cpu = m.cpu;
  const base = 0x7000_0000;
  for (let rep = 0; rep < 3; rep++) {
    const N = 1 << 22;
    let t = performance.now();
    let s = 0;
    for (let i = 0; i < N; i++) s += cpu.read32(base + ((i * 8) & 0xfffff));
    const r = (performance.now() - t) * 1e6 / N;
    t = performance.now();
    for (let i = 0; i < N; i++) cpu.write32(base + ((i * 8) & 0xfffff), i);
    const w = (performance.now() - t) * 1e6 / N;
    console.log(`cache ${enabled} read32 ${r.toFixed(1)} write32 ${w.toFixed(1)}`, s >= 0);
  }
}
