/** The io-pgtable-dump command line (src/cli.ts), run in-process on memory images in os.tmpdir(). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine } from '@socmem/hw-sim';
import { afterAll, describe, expect, it } from 'vitest';
import { allocIoPgtableOps } from '../../src/alloc';
import { runCli } from '../../src/cli';
import {
  IOMMU_CACHE,
  IOMMU_READ,
  IOMMU_WRITE,
  type IoPgtableCfg,
  type IoPgtableFmt,
} from '../../src/io-pgtable';

const dir = mkdtempSync(join(tmpdir(), 'io-pgtable-dump-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IMAGE_BASE = 0x7000_0000;
const IMAGE_SIZE = 0x4_0000;

/** Builds tables with the ops (non-coherent walk, so RAM is current) and saves the table area. */
function image(
  fmt: IoPgtableFmt,
  cfg: Partial<IoPgtableCfg>,
  maps: Array<[number, number, number, number]>,
): { file: string; cfg: IoPgtableCfg } {
  const machine = createMachine();
  const full: IoPgtableCfg = {
    quirks: 0,
    ias: 32,
    oas: 32,
    pgsizeBitmap: 0,
    coherentWalk: false,
    tlb: null,
    machine,
    ...cfg,
  };
  const ops = allocIoPgtableOps(fmt, full, null);
  for (const [iova, pa, size, count] of maps)
    ops.mapPages(iova, pa, size, count, IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE);
  const bytes = new Uint8Array(IMAGE_SIZE);
  machine.bus.read(IMAGE_BASE, bytes);
  const file = join(dir, `${fmt}-${maps.length}.bin`);
  writeFileSync(file, bytes);
  return { file, cfg: full };
}

function run(argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

describe('io-pgtable-dump', () => {
  it('prints the v7s tree and ranges from a TTBR value', () => {
    const { file, cfg } = image('ARM_V7S', { pgsizeBitmap: 0x111_1000 }, [
      [0x1000, 0x4000_1000, 0x1000, 2],
      [0x20_0000, 0x4800_0000, 0x10_0000, 1],
    ]);
    const ttbr = `0x${cfg.armV7sCfg!.ttbr.toString(16)}`;
    const result = run(['--fmt', 'ARM_V7S', '--ttbr', ttbr, '--base', '0x7000_0000', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ARM_V7S root 0x7000_0000 ias 32');
    expect(result.stdout).toContain('[01-02] 0x1000-0x2fff -> 0x4000_1000 page 4K');
    expect(result.stdout).toContain(
      '0x20_0000-0x2f_ffff -> 0x4800_0000-0x480f_ffff 1M (1 x L1 section 1M)',
    );
    expect(
      run(['--fmt', 'ARM_V7S', '--ttbr', ttbr, '--base', '0x7000_0000', '--ranges', file]).stdout,
    ).toBe(
      '0x1000-0x2fff -> 0x4000_1000-0x4000_2fff 8K (2 x L2 page 4K) rwxu normal-wb sh:inner nG AF\n' +
        '0x20_0000-0x2f_ffff -> 0x4800_0000-0x480f_ffff 1M (1 x L1 section 1M) rwxu normal-wb sh:inner nG AF\n',
    );
  });

  it('decodes a 16K-granule stage-1 table and emits JSON', () => {
    const { file, cfg } = image(
      'ARM_64_LPAE_S1',
      { ias: 36, oas: 40, pgsizeBitmap: 0x4000 | 0x200_0000 },
      [[0x8000, 0x4000_8000, 0x4000, 3]],
    );
    const root = `${cfg.armLpaeS1Cfg!.ttbr}`;
    const result = run([
      '--fmt',
      'ARM_64_LPAE_S1',
      '--root',
      root,
      '--base',
      `${IMAGE_BASE}`,
      '--ias',
      '36',
      '--granule',
      '16K',
      '--json',
      file,
    ]);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      mappings: Array<{ iova: number; pa: number; size: number }>;
      startLevel: number;
    };
    expect(parsed.startLevel).toBe(2);
    expect(parsed.mappings.map(({ iova, pa, size }) => [iova, pa, size])).toEqual([
      [0x8000, 0x4000_8000, 0xc000],
    ]);
  });

  it('exits 2 with a clear message on bad arguments', () => {
    expect(run([]).stderr).toContain('--fmt is required');
    expect(run([]).code).toBe(2);
    expect(run(['--fmt', 'ARM_V8', '--ttbr', '0', 'x']).stderr).toContain(
      "--fmt: 'ARM_V8' is not one of",
    );
    expect(run(['--fmt', 'ARM_V7S', 'x']).stderr).toContain('--ttbr or --root is required');
    expect(run(['--fmt', 'ARM_V7S', '--ttbr', 'zz', 'x']).stderr).toContain(
      "--ttbr: 'zz' is not a number",
    );
    expect(run(['--fmt', 'ARM_V7S', '--ttbr', '0', '--bogus', 'x']).stderr).toContain(
      'unknown option --bogus',
    );
    const geometry = run([
      '--fmt',
      'ARM_64_LPAE_S1',
      '--root',
      '0',
      '--granule',
      '8K',
      join(dir, 'ARM_V7S-2.bin'),
    ]);
    expect([geometry.code, geometry.stderr]).toEqual([
      2,
      'io-pgtable-dump: EINVAL: io-pgtable dump: granule 8192 is not 4K, 16K or 64K\n',
    ]);
    expect(run(['--help']).code).toBe(0);
  });

  it('exits 1 when the image is missing or the tables point outside it', () => {
    const missing = run(['--fmt', 'ARM_V7S', '--ttbr', '0', join(dir, 'nope.bin')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read');
    const { file } = image('ARM_V7S', { pgsizeBitmap: 0x1000 }, [[0x1000, 0x4000_1000, 0x1000, 1]]);
    const outside = run([
      '--fmt',
      'ARM_V7S',
      '--ttbr',
      '0x6000_0000',
      '--base',
      '0x7000_0000',
      file,
    ]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain(
      'address 0x6000_0000 is outside the image (0x7000_0000-0x7003_ffff)',
    );
  });
});
