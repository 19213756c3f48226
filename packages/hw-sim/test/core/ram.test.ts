import { BusError, createMachine, Ram, SocmemError } from '@socmem/hw-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const GiB = 1024 ** 3;

describe('Ram', () => {
  it('reads zero from untouched memory and costs host memory only for touched frames', () => {
    const ram = new Ram([
      { base: 0x4000_0000, size: GiB },
      { base: 0x4_0000_0000, size: 16 * GiB },
    ]);
    expect(ram.read32(0x4000_0000)).toBe(0);
    expect(ram.read32(0x4_0000_0000 + 15 * GiB)).toBe(0);
    expect(ram.hostBytes).toBe(0);
    ram.write32(0x4_0000_0000 + 15 * GiB, 0x1234_5678);
    expect(ram.read32(0x4_0000_0000 + 15 * GiB)).toBe(0x1234_5678);
    expect(ram.hostBytes).toBe(4096);
    ram.checkInvariants();
  });

  it('is little-endian across widths, aligned and unaligned, across frame boundaries', () => {
    const ram = new Ram([{ base: 0x8000_0000, size: 0x10_0000 }]);
    const bank = ram.banks[0]!;
    bank.write32(0x8000_0ffe, 0xa1b2_c3d4); // crosses the 4 KiB frame boundary
    expect(bank.read8(0x8000_0ffe)).toBe(0xd4);
    expect(bank.read8(0x8000_0fff)).toBe(0xc3);
    expect(bank.read8(0x8000_1000)).toBe(0xb2);
    expect(bank.read8(0x8000_1001)).toBe(0xa1);
    expect(bank.read16(0x8000_0fff)).toBe(0xb2c3);
    expect(bank.read32(0x8000_0ffe)).toBe(0xa1b2_c3d4);
    bank.write16(0x8000_1fff, 0xbeef);
    expect(bank.read8(0x8000_1fff)).toBe(0xef);
    expect(bank.read8(0x8000_2000)).toBe(0xbe);
    ram.checkInvariants();
  });

  it('bulk read/write/fill/copy cross frame and bank boundaries', () => {
    const ram = new Ram([
      { base: 0x1000_0000, size: 0x2000 },
      { base: 0x1000_2000, size: 0x2000 }, // adjacent bank: one physical range
    ]);
    const data = Uint8Array.from({ length: 0x1800 }, (_, index) => (index * 7) & 0xff);
    ram.write(0x1000_1400, data);
    const back = new Uint8Array(0x1800);
    ram.read(0x1000_1400, back);
    expect(back).toEqual(data);
    ram.fill(0x1000_1ff0, 0xab, 0x20);
    expect(ram.banks[0]!.read8(0x1000_1fff)).toBe(0xab);
    expect(ram.banks[1]!.read8(0x1000_200f)).toBe(0xab);
    ram.copy(0x1000_0000, 0x1000_1ff0, 0x20);
    expect(ram.banks[0]!.read32(0x1000_0000)).toBe(0xabab_abab);
    ram.checkInvariants();
  });

  it('copy is memmove: overlapping ranges keep the source bytes', () => {
    const ram = new Ram([{ base: 0, size: 0x10000 }]);
    const data = Uint8Array.from({ length: 0x3000 }, (_, index) => index & 0xff);
    ram.write(0x1000, data);
    ram.copy(0x1800, 0x1000, 0x3000);
    const back = new Uint8Array(0x3000);
    ram.read(0x1800, back);
    expect(back).toEqual(data);
  });

  it('zeroing a whole frame returns its host memory; copying untouched frames materialises nothing', () => {
    const ram = new Ram([{ base: 0, size: 0x100000 }]);
    ram.fill(0x3000, 0x55, 0x2000);
    expect(ram.hostBytes).toBe(0x2000);
    ram.fill(0x3000, 0, 0x1000);
    expect(ram.hostBytes).toBe(0x1000);
    ram.copy(0x20000, 0x40000, 0x10000);
    expect(ram.hostBytes).toBe(0x1000);
    ram.checkInvariants();
  });

  it('throws a typed bus error outside RAM and writes nothing of a range that leaves RAM', () => {
    const ram = new Ram([{ base: 0x4000_0000, size: 0x2000 }]);
    expect(() => ram.read32(0x3fff_fffc)).toThrow(BusError);
    expect(() => ram.write32(0x4000_2000, 1)).toThrow(BusError);
    expect(() => ram.write(0x4000_1ffc, new Uint8Array(8).fill(9))).toThrow(BusError);
    expect(ram.read32(0x4000_1ffc)).toBe(0);
    expect(ram.hostBytes).toBe(0);
  });

  it('rejects bad bank layouts with errno codes', () => {
    expect(() => new Ram([])).toThrow(/EINVAL/);
    expect(() => new Ram([{ base: 0x1001, size: 0x1000 }])).toThrow(
      /EINVAL: ram: bank dram0 base 0x1001/,
    );
    expect(() => new Ram([{ base: 0, size: 100 }])).toThrow(/EINVAL/);
    expect(() => new Ram([{ base: 2 ** 52 - 0x1000, size: 0x2000 }])).toThrow(/ERANGE/);
    expect(
      () =>
        new Ram([
          { base: 0, size: 0x2000 },
          { base: 0x1000, size: 0x2000 },
        ]),
    ).toThrow(/EBUSY/);
    try {
      new Ram([{ base: 0x1001, size: 0x1000 }]);
    } catch (error) {
      expect(SocmemError.isInstance(error, 'EINVAL')).toBe(true);
    }
  });

  it('supports physical addresses up to 52 bits', () => {
    const top = 2 ** 52 - 0x10000;
    const ram = new Ram([{ base: top, size: 0x10000 }]);
    ram.write32(top + 0xfffc, 0xcafe_f00d);
    expect(ram.read32(top + 0xfffc)).toBe(0xcafe_f00d);
  });

  it('matches a plain reference array over random operation sequences', () => {
    const size = 3 * 4096 + 512;
    const base = 0x8_0000_0000 - 4096; // straddles 2^35 so frame math above 32 bits is exercised
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('w8' as const), at: fc.nat(size - 1), value: fc.nat(255) }),
      fc.record({ kind: fc.constant('w16' as const), at: fc.nat(size - 2), value: fc.nat(0xffff) }),
      fc.record({
        kind: fc.constant('w32' as const),
        at: fc.nat(size - 4),
        value: fc.nat(0xffff_ffff),
      }),
      fc.record({
        kind: fc.constant('fill' as const),
        at: fc.nat(size - 1),
        value: fc.nat(255),
        length: fc.nat(6000),
      }),
      fc.record({
        kind: fc.constant('copy' as const),
        at: fc.nat(size - 1),
        from: fc.nat(size - 1),
        length: fc.nat(6000),
      }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
        const machine = createMachine({ ram: [{ base, size: 4 * 4096 }], pageAllocator: false });
        const ram = machine.ram;
        const bank = ram.banks[0]!;
        const model = new Uint8Array(size);
        for (const op of operations) {
          if (op.kind === 'w8') {
            bank.write8(base + op.at, op.value);
            model[op.at] = op.value;
          } else if (op.kind === 'w16') {
            bank.write16(base + op.at, op.value);
            model[op.at] = op.value & 0xff;
            model[op.at + 1] = op.value >>> 8;
          } else if (op.kind === 'w32') {
            bank.write32(base + op.at, op.value);
            for (let index = 0; index < 4; index++)
              model[op.at + index] = (op.value >>> (8 * index)) & 0xff;
          } else if (op.kind === 'fill') {
            const length = Math.min(op.length, size - op.at);
            ram.fill(base + op.at, op.value, length);
            model.fill(op.value, op.at, op.at + length);
          } else {
            const length = Math.min(op.length, size - op.at, size - op.from);
            ram.copy(base + op.at, base + op.from, length);
            model.copyWithin(op.at, op.from, op.from + length);
          }
          ram.checkInvariants();
        }
        const back = new Uint8Array(size);
        ram.read(base, back);
        expect(back).toEqual(model);
        for (let at = 0; at + 4 <= size; at += 251) {
          const expected =
            (model[at]! |
              (model[at + 1]! << 8) |
              (model[at + 2]! << 16) |
              (model[at + 3]! << 24)) >>>
            0;
          expect(bank.read32(base + at)).toBe(expected);
        }
      }),
      { seed: 7, numRuns: 150 },
    );
  });
});
