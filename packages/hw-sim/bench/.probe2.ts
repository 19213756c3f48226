import { TranslationResult } from '@socmem/hw-sim';
const out = new TranslationResult();
function a(o: TranslationResult, i: number) { o.inputAddress = i; o.pa = i + 5; o.pageSize = 4096; o.level = 3; o.permissions = 63; o.readable = true; o.writable = true; o.executable = true; }
function b(o: TranslationResult, i: number) { o.memoryAttributes = 1; o.shareability = 3; o.nonGlobal = false; o.nonSecure = false; o.descriptorLo = 0x703; o.descriptorHi = 0; }
function c(o: TranslationResult) { o.fault = null; o.faultLevel = 0; o.faultStage = 0; o.faultStatus = 0; o.faultAccess = 0; o.faultDescriptorAddress = -1; o.walkReads = 0; }
for (const [name, f] of [['a', (i: number) => a(out, i)], ['b', (i: number) => b(out, i)], ['c', (_i: number) => c(out)]] as const) {
  const t = performance.now();
  for (let i = 0; i < 5e6; i++) f(i);
  console.log(name, ((performance.now() - t) * 1e6) / 5e6);
}
console.log(Object.keys(out).length);
