import { createMachine } from '@socmem/hw-sim';
import { bootMemory, GFP_KERNEL, Bitmap } from '../src/index';
const machine = createMachine({ ram: [{ base: 0x4000_0000, size: 1024 << 20 }], pageAllocator: false, cache: { enabled: false } });
const mm = bootMemory(machine, { contiguous: false });
const buddy = mm.buddy;
const owner = buddy.owners.id('bench');
const batch = 256;
const held = new Int32Array(batch);
function run() { for (let k = 0; k < batch; k++) held[k] = buddy.allocFrames(GFP_KERNEL, 0, owner); for (let k = batch - 1; k >= 0; k--) buddy.freeFrames(held[k]!, 0); }
for (let i = 0; i < 20000; i++) run();
const res: number[] = [];
for (let t = 0; t < 15; t++) { const s = process.hrtime.bigint(); for (let i = 0; i < 4000; i++) run(); const e = process.hrtime.bigint(); res.push(Number(e - s) / (4000 * batch)); }
res.sort((a, b) => a - b);
console.log('order0 min', res[0]!.toFixed(2), 'median', res[7]!.toFixed(2), 'ns/op');
// bitmap: fragmented 1M bits
const bm = new Bitmap(1 << 20);
for (let b = 0; b < (1 << 20); b += 200) bm.set(b, 1 + (b % 7));
let sink = 0;
const r2: number[] = [];
for (let t = 0; t < 9; t++) { const s = process.hrtime.bigint(); for (let i = 0; i < 50; i++) sink += bm.findNextZeroAreaOff(0, 256, 255, 0); const e = process.hrtime.bigint(); r2.push(Number(e - s) / 50); }
r2.sort((a, b) => a - b);
const r3: number[] = [];
for (let t = 0; t < 9; t++) { const s = process.hrtime.bigint(); for (let i = 0; i < 200000; i++) sink += bm.findNextZeroAreaOff((i * 64) & 0xfffff, 16, 3, 3); const e = process.hrtime.bigint(); r3.push(Number(e - s) / 200000); }
r3.sort((a, b) => a - b);
console.log('bitmap big min', r2[0]!.toFixed(0), 'small min', r3[0]!.toFixed(2), sink === 1 ? '' : '');
