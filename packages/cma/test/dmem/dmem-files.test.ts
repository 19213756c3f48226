import { describe, expect, it } from 'vitest';
import {
  createDmemCgroupHierarchy,
  dmemCgroupRegisterRegion,
  dmemCgroupTryCharge,
  readDmemCgroupFile,
  writeDmemCgroupFile,
} from '../../src/dmem/index';

const M = 1024 * 1024;

function setup() {
  const dmem = createDmemCgroupHierarchy();
  dmemCgroupRegisterRegion(dmem, 8514437120, 'drm/0000:03:00.0/vram0');
  const cma = dmemCgroupRegisterRegion(dmem, 64 * M, 'cma/reserved');
  if (cma === null) throw new Error('region');
  return { dmem, cma, app: dmem.root.mkdir('app') };
}

describe('dmem interface files (kernel/cgroup/dmem.c files[], cgroup-v2.rst DMEM)', () => {
  it('dmem.capacity lists every region on the root only', () => {
    const { dmem, app } = setup();
    expect(readDmemCgroupFile(dmem.root, 'dmem.capacity')).toBe(
      'drm/0000:03:00.0/vram0 8514437120\ncma/reserved 67108864\n',
    );
    expect(() => readDmemCgroupFile(app, 'dmem.capacity')).toThrowError(
      /ENOENT: dmem cgroup \/app: no file/,
    );
  });

  it('reads current/min/low/max/peak, "max" for unlimited, zeros before any pool exists', () => {
    const { dmem, cma, app } = setup();
    expect(readDmemCgroupFile(app, 'dmem.max')).toBe(
      'drm/0000:03:00.0/vram0 max\ncma/reserved max\n',
    );
    expect(readDmemCgroupFile(app, 'dmem.current')).toBe(
      'drm/0000:03:00.0/vram0 0\ncma/reserved 0\n',
    );
    dmemCgroupTryCharge(cma, 3 * M, app);
    expect(readDmemCgroupFile(app, 'dmem.current')).toBe(
      `drm/0000:03:00.0/vram0 0\ncma/reserved ${3 * M}\n`,
    );
    expect(readDmemCgroupFile(dmem.root, 'dmem.current')).toBe(
      `drm/0000:03:00.0/vram0 0\ncma/reserved ${3 * M}\n`,
    );
    expect(readDmemCgroupFile(app, 'dmem.peak')).toContain(`cma/reserved ${3 * M}`);
    expect(() => readDmemCgroupFile(dmem.root, 'dmem.max')).toThrowError(/ENOENT/);
  });

  it('writes limits as "<region> <memparse value|max>"', () => {
    const { cma, app } = setup();
    writeDmemCgroupFile(app, 'dmem.max', 'cma/reserved 16M\n');
    writeDmemCgroupFile(app, 'dmem.min', '  cma/reserved\t0x100000  ');
    writeDmemCgroupFile(app, 'dmem.low', 'cma/reserved 2M');
    expect(readDmemCgroupFile(app, 'dmem.max')).toBe(
      `drm/0000:03:00.0/vram0 max\ncma/reserved ${16 * M}\n`,
    );
    expect(app.findPool(cma)).toMatchObject({ max: 16 * M, min: M, low: 2 * M });
    writeDmemCgroupFile(app, 'dmem.max', 'cma/reserved max');
    expect(readDmemCgroupFile(app, 'dmem.max')).toContain('cma/reserved max');
  });

  it('rejects malformed writes with EINVAL and changes nothing', () => {
    const { cma, app, dmem } = setup();
    writeDmemCgroupFile(app, 'dmem.max', 'cma/reserved 16M');
    expect(() => writeDmemCgroupFile(app, 'dmem.max', 'cma/reserved')).toThrowError(
      /EINVAL.*needs "<region> <value>"/,
    );
    expect(() => writeDmemCgroupFile(app, 'dmem.max', 'nosuch 1M')).toThrowError(
      /EINVAL.*no region "nosuch"/,
    );
    expect(() => writeDmemCgroupFile(app, 'dmem.max', 'cma/reserved 1Mb')).toThrowError(
      /EINVAL.*bad dmem.max value "1Mb"/,
    );
    expect(() => writeDmemCgroupFile(app, 'dmem.max', 'cma/reserved  1M')).toThrowError(
      /bad dmem.max value " 1M"/,
    );
    expect(() => writeDmemCgroupFile(app, 'dmem.current', 'cma/reserved 1M')).toThrowError(
      /ENOENT/,
    );
    expect(() => writeDmemCgroupFile(dmem.root, 'dmem.max', 'cma/reserved 1M')).toThrowError(
      /ENOENT/,
    );
    expect(app.findPool(cma)?.max).toBe(16 * M);
  });

  it('a max below current is accepted but leaves the old max (dmem ignores -EBUSY)', () => {
    const { cma, app } = setup();
    writeDmemCgroupFile(app, 'dmem.max', 'cma/reserved 16M');
    dmemCgroupTryCharge(cma, 8 * M, app);
    writeDmemCgroupFile(app, 'dmem.max', 'cma/reserved 4M');
    expect(app.findPool(cma)?.max).toBe(16 * M);
  });
});
