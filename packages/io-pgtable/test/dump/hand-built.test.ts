/**
 * The decoder on tables written by hand into RAM, with answers worked out from the descriptor
 * formats (ARM ARM short and long descriptors; reference io-pgtable.md §2.1 and §4).
 */
import { createMachine, type Machine } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';
import { decodeLpaeEntry, lpaeOutputAddress } from '../../src/dump/decode-lpae';
import { dumpIoPgtable } from '../../src/dump/dump';
import { formatIoPgtableMappings, formatIoPgtableTree } from '../../src/dump/format';
import { resolveDumpGeometry } from '../../src/dump/geometry';

function ram(): {
  machine: Machine;
  w: (pa: number, value: number) => void;
  w64: (pa: number, lo: number, hi: number) => void;
} {
  const machine = createMachine();
  return {
    machine,
    w: (pa, value) => machine.bus.write32(pa, value >>> 0),
    w64: (pa, lo, hi) => {
      machine.bus.write32(pa, lo >>> 0);
      machine.bus.write32(pa + 4, hi >>> 0);
    },
  };
}

describe('v7s by hand', () => {
  function build() {
    const { machine, w } = ram();
    const l1 = 0x4000_0000;
    w(l1 + 0 * 4, 0x4000_4001);
    w(0x4000_4000 + 1 * 4, 0x1234_5c72);
    w(0x4000_4000 + 2 * 4, 0x1234_6c72);
    w(0x4000_4000 + 3 * 4, 0x1234_7e72);
    w(l1 + 5 * 4, 0x8000_0000 | 0x31c1e);
    w(l1 + 6 * 4, 0x8010_0000 | 0x31c1e);
    for (let i = 16; i < 32; i++) w(l1 + i * 4, 0x9000_0000 | 0x71c1e);
    return dumpIoPgtable({ fmt: 'ARM_V7S', memory: machine.bus, ttbr: l1 | 0x6a });
  }

  it('decodes pages, sections and a supersection into merged ranges', () => {
    const dump = build();
    expect(dump.root).toBe(0x4000_0000);
    expect(dump.errors).toEqual([]);
    expect(
      dump.mappings.map(({ iova, pa, size, pageSize, level, entries }) => [
        iova,
        pa,
        size,
        pageSize,
        level,
        entries,
      ]),
    ).toEqual([
      [0x1000, 0x1234_5000, 0x2000, 0x1000, 2, 2],
      [0x3000, 0x1234_7000, 0x1000, 0x1000, 2, 1],
      [0x50_0000, 0x8000_0000, 0x20_0000, 0x10_0000, 1, 2],
      [0x100_0000, 0x9000_0000, 0x100_0000, 0x100_0000, 1, 16],
    ]);
    expect(dump.mappings[0]!.attributes).toEqual({
      read: true,
      write: true,
      exec: true,
      user: true,
      memoryType: 'normal-nc',
      attrIndex: 4,
      shareability: 'outer',
      nG: true,
      ns: false,
      af: true,
      dbm: false,
      contiguous: false,
    });
    expect(dump.mappings[1]!.attributes.write).toBe(false);
    expect(dump.mappings[2]!.attributes).toMatchObject({
      exec: false,
      memoryType: 'normal-wb',
      attrIndex: 7,
      shareability: 'inner',
    });
    expect(dump.mappings[3]!.attributes.contiguous).toBe(true);
    expect(dump.tables.map((table) => [table.level, table.pa, table.validEntries])).toEqual([
      [1, 0x4000_0000, 19],
      [2, 0x4000_4000, 3],
    ]);
  });

  it('prints the tree and the ranges', () => {
    const dump = build();
    expect(formatIoPgtableTree(dump)).toBe(
      [
        'ARM_V7S root 0x4000_0000 ias 32',
        'L1 table @ 0x4000_0000 (16384 bytes, 19/4096 valid)',
        '  [000] 0x0-0xf_ffff -> table @ 0x4000_4000',
        '    L2 table @ 0x4000_4000 (1024 bytes, 3/256 valid)',
        '      [01-02] 0x1000-0x2fff -> 0x1234_5000 page 4K rwxu normal-nc sh:outer nG AF',
        '      [03] 0x3000-0x3fff -> 0x1234_7000 page 4K r-xu normal-nc sh:outer nG AF',
        '  [005-006] 0x50_0000-0x6f_ffff -> 0x8000_0000 section 1M rw-u normal-wb sh:inner nG AF',
        '  [010-01f] 0x100_0000-0x1ff_ffff -> 0x9000_0000 supersection 16M rw-u normal-wb sh:inner nG AF cont',
        '',
      ].join('\n'),
    );
    expect(formatIoPgtableMappings(dump).split('\n')[2]).toBe(
      '0x50_0000-0x6f_ffff -> 0x8000_0000-0x801f_ffff 2M (2 x L1 section 1M) rw-u normal-wb sh:inner nG AF',
    );
  });
});

describe('LPAE by hand', () => {
  it('decodes a stage-1 4K table (ias 39, start level 1) with blocks, pages and bad entries', () => {
    const { machine, w64 } = ram();
    const root = 0x4000_0000;
    w64(root + 0 * 8, 0x4000_1003, 0);
    w64(root + 1 * 8, 0x8000_0f45, 0x0060_0000);
    w64(root + 2 * 8, 0x0000_0003, 0x1);
    w64(0x4000_1000 + 0 * 8, 0x4000_2003, 0);
    w64(0x4000_1000 + 1 * 8, 0x4020_0e81, 0);
    w64(0x4000_2000 + 3 * 8, 0x5000_0c4b, 0);
    w64(0x4000_2000 + 5 * 8, 0x5000_1001, 0);
    const dump = dumpIoPgtable({ fmt: 'ARM_64_LPAE_S1', memory: machine.bus, root, ias: 39 });
    expect(dump.startLevel).toBe(1);
    expect(dump.startEntries).toBe(512);
    expect(dump.mappings.map(({ iova, pa, size, level }) => [iova, pa, size, level])).toEqual([
      [0x3000, 0x5000_0000, 0x1000, 3],
      [0x20_0000, 0x4020_0000, 0x20_0000, 2],
      [0x4000_0000, 0x8000_0000, 0x4000_0000, 1],
    ]);
    expect(dump.mappings[0]!.attributes).toMatchObject({
      memoryType: 'device-nGnRE',
      user: true,
      write: true,
      exec: true,
    });
    expect(dump.mappings[1]!.attributes).toMatchObject({
      memoryType: 'normal-nc',
      user: false,
      write: false,
      shareability: 'outer',
    });
    expect(dump.mappings[2]!.attributes).toMatchObject({
      memoryType: 'normal-wb',
      exec: false,
      shareability: 'inner',
      nG: true,
      af: true,
    });
    expect(dump.errors.map((error) => error.pa)).toEqual([0x4000_2000 + 5 * 8, 0x1_0000_0000]);
    expect(dump.errors[0]!.message).toContain('reserved descriptor');
    expect(dump.errors[1]!.message).toContain('cannot read the level-2 table at 0x1_0000_0000');
  });

  it('takes PA[51:48] from descriptor bits [15:12] with a 64K granule', () => {
    expect(lpaeOutputAddress(0x1234_5003, 0x0000_0abc, 65536)).toBe(
      0x5 * 2 ** 48 + 0xabc * 2 ** 32 + 0x1234_0000,
    );
    expect(lpaeOutputAddress(0x1234_5003, 0x0000_0abc, 4096)).toBe(0xabc * 2 ** 32 + 0x1234_5000);
  });

  it('decodes stage-2 S2AP/MemAttr, S2FWB, and Mali leaf types', () => {
    const memory = { read32: () => 0 };
    const s2 = resolveDumpGeometry({
      fmt: 'ARM_64_LPAE_S2',
      memory,
      root: 0,
      ias: 40,
      startLevel: 1,
    });
    expect(s2.startEntries).toBe(1024);
    const leaf = decodeLpaeEntry(0x4000_0000 | 0x403 | 0x40 | (0xf << 2), 0, 3, 4096, s2);
    expect(leaf.attributes).toMatchObject({
      read: true,
      write: false,
      memoryType: 'normal-wb',
      attrIndex: 0xf,
      user: true,
    });
    const fwb = resolveDumpGeometry({
      fmt: 'ARM_64_LPAE_S2',
      memory,
      root: 0,
      ias: 40,
      startLevel: 1,
      quirks: 1 << 8,
    });
    expect(decodeLpaeEntry(0x403 | 0xc0 | (0x6 << 2), 0, 3, 4096, fwb).attributes).toMatchObject({
      write: true,
      memoryType: 'normal-wb',
    });
    const mali = resolveDumpGeometry({
      fmt: 'ARM_MALI_LPAE',
      memory,
      ttbr: 0x4000_0000 | 0x17,
      ias: 48,
    });
    expect([mali.root, mali.startLevel, mali.startEntries]).toEqual([0x4000_0000, 0, 512]);
    expect(decodeLpaeEntry(0x5000_0001 | 0xc0 | (1 << 2), 0, 3, 4096, mali)).toMatchObject({
      kind: 'leaf',
      address: 0x5000_0000,
    });
    expect(decodeLpaeEntry(0x5000_0003, 0, 3, 4096, mali).kind).toBe('reserved');
  });

  it('takes geometry from cfg registers, TTBR1 shown in the upper range', () => {
    const { machine, w64 } = ram();
    w64(0x4000_0000 + 511 * 8, 0x8000_0701, 0);
    const cfg = {
      quirks: 1 << 5,
      ias: 39,
      oas: 48,
      armLpaeS1Cfg: {
        ttbr: 0x4000_0000,
        tcr: { ips: 5, tg: 2, sh: 3, orgn: 1, irgn: 1, tsz: 25 },
        mair: 0xf404_ff44,
      },
    };
    const dump = dumpIoPgtable({ fmt: 'ARM_64_LPAE_S1', memory: machine.bus, cfg });
    expect([dump.ias, dump.granule, dump.startLevel, dump.ttbr1]).toEqual([39, 4096, 1, true]);
    expect(formatIoPgtableMappings(dump)).toBe(
      '0xffff_ffff_c000_0000-0xffff_ffff_ffff_ffff -> 0x8000_0000-0xbfff_ffff 1G (1 x L1 block 1G) rwx- normal-nc sh:inner AF\n',
    );
  });

  it('rejects unusable geometry with EINVAL', () => {
    const memory = { read32: () => 0 };
    expect(() => resolveDumpGeometry({ fmt: 'ARM_64_LPAE_S1', memory })).toThrowError(/no root/);
    expect(() =>
      resolveDumpGeometry({ fmt: 'ARM_64_LPAE_S1', memory, root: 0, granule: 8192 }),
    ).toThrowError(/granule/);
    expect(() => resolveDumpGeometry({ fmt: 'ARM_V7S', memory, root: 0, ias: 33 })).toThrowError(
      /ias 33/,
    );
    expect(() =>
      resolveDumpGeometry({ fmt: 'ARM_64_LPAE_S1', memory, root: 0, ias: 48, startLevel: 3 }),
    ).toThrowError(/start level 3/);
    expect(() => resolveDumpGeometry({ fmt: 'ARM_64_LPAE_S1', memory, root: 4 })).toThrowError(
      /aligned/,
    );
  });
});
