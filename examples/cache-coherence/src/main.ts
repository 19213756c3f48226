/**
 * Cache coherence, the bug every DMA driver writer meets once.
 *
 * A CPU with a write-back data cache and a DMA device that is NOT cache-coherent share one
 * buffer in RAM. The device reads and writes RAM directly, so:
 *   - what the CPU wrote sits in its cache until it is cleaned (written back): the device
 *     reads stale RAM unless software cleans first (Linux: dma_sync_single_for_device);
 *   - what the device wrote lands in RAM, but the CPU keeps reading its old cached copy
 *     unless software invalidates first (Linux: dma_sync_single_for_cpu).
 * A coherent device (one that snoops the cache) needs neither.
 */
import { createMachine, hex, type Machine } from '@socmem/hw-sim';

const BUFFER = 0x4800_0000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let failures = 0;

function say(text: string): void {
  console.log(text);
}

function check(what: string, actual: string, expected: string): void {
  const ok = actual === expected;
  if (!ok) failures++;
  say(
    `    ${ok ? 'ok  ' : 'FAIL'} ${what}: ${JSON.stringify(actual)}${ok ? '' : ` (expected ${JSON.stringify(expected)})`}`,
  );
}

function cpuWriteText(machine: Machine, pa: number, text: string): void {
  const bytes = encoder.encode(text.padEnd(32, '\0'));
  machine.cpu.write(pa, bytes);
}

function cpuReadText(machine: Machine, pa: number): string {
  const bytes = new Uint8Array(32);
  machine.cpu.read(pa, bytes);
  return decoder.decode(bytes).replace(/\0+$/, '');
}

function deviceReadText(machine: Machine, coherent: boolean, pa: number): string {
  const bytes = new Uint8Array(32);
  machine.devicePort(coherent ? 'gpu' : 'dma0', { coherent }).read(pa, bytes);
  return decoder.decode(bytes).replace(/\0+$/, '');
}

function deviceWriteText(machine: Machine, coherent: boolean, pa: number, text: string): void {
  machine
    .devicePort(coherent ? 'gpu' : 'dma0', { coherent })
    .write(pa, encoder.encode(text.padEnd(32, '\0')));
}

say('socmem demo: a CPU and a DMA device sharing a buffer');
say(`buffer at physical ${hex(BUFFER)}; CPU data cache 32 KiB, 4-way, 64-byte lines, write-back\n`);

const machine = createMachine({ seed: 2026 });

say('1. CPU -> non-coherent device, without cache maintenance');
cpuWriteText(machine, BUFFER, 'hello device');
say(`    the CPU wrote "hello device"; line dirty in the cache: ${machine.cache.isDirty(BUFFER)}`);
check('device reads (stale RAM)', deviceReadText(machine, false, BUFFER), '');

say('2. CPU -> non-coherent device, after cleaning the buffer (dma_sync_single_for_device)');
machine.cache.clean(BUFFER, 32);
check('device reads', deviceReadText(machine, false, BUFFER), 'hello device');

say('3. device -> CPU, without cache maintenance');
deviceWriteText(machine, false, BUFFER, 'hello CPU');
check('CPU reads (its stale cached copy)', cpuReadText(machine, BUFFER), 'hello device');

say('4. device -> CPU, after invalidating the buffer (dma_sync_single_for_cpu)');
machine.cache.invalidate(BUFFER, 32);
check('CPU reads', cpuReadText(machine, BUFFER), 'hello CPU');

say('5. the same exchange with a coherent device: no maintenance needed');
cpuWriteText(machine, BUFFER + 64, 'snooped');
check(
  'coherent device reads the dirty CPU line',
  deviceReadText(machine, true, BUFFER + 64),
  'snooped',
);
cpuReadText(machine, BUFFER + 64);
deviceWriteText(machine, true, BUFFER + 64, 'written by device');
check(
  'CPU reads what the coherent device wrote',
  cpuReadText(machine, BUFFER + 64),
  'written by device',
);

const counters = machine.counters();
say(
  `\ncache: ${counters.cache['hits']} hits, ${counters.cache['misses']} misses, ${counters.cache['writebacks']} write-backs, ${counters.cache['snoops']} snoops`,
);
machine.checkInvariants();

if (failures > 0) {
  say(`\n${failures} check(s) failed`);
  process.exit(1);
}
say('\nall checks passed: stale data appeared exactly where the cache rules say it must.');
