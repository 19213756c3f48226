/**
 * The cgroupfs interface files of the dmem controller (kernel/cgroup/dmem.c `files[]`,
 * Documentation/admin-guide/cgroup-v2.rst "DMEM"), as text: dmem.capacity (root only),
 * dmem.current, and dmem.min/low/max/peak (not on the root). Values are bytes; "max" stands
 * for PAGE_COUNTER_MAX and above.
 */
import { SocmemError } from '@socmem/hw-sim';
import { memparse } from '../contiguous/cmdline';
import type { DmemCgroup } from './dmem-cgroup';
import type { DmemCgroupPool } from './dmem-pool';
import { PAGE_COUNTER_MAX } from './page-counter';

/** The names of the dmem controller's interface files. */
export type DmemCgroupFile =
  | 'dmem.capacity'
  | 'dmem.current'
  | 'dmem.peak'
  | 'dmem.min'
  | 'dmem.low'
  | 'dmem.max';

/** What each file shows for a cgroup with no pool yet (get_resource_*(NULL)). */
const READERS: Readonly<
  Record<Exclude<DmemCgroupFile, 'dmem.capacity'>, (pool: DmemCgroupPool | undefined) => number>
> = {
  'dmem.current': (pool) => pool?.usage ?? 0,
  'dmem.peak': (pool) => pool?.watermark ?? 0,
  'dmem.min': (pool) => pool?.min ?? 0,
  'dmem.low': (pool) => pool?.low ?? 0,
  'dmem.max': (pool) => pool?.max ?? PAGE_COUNTER_MAX,
};

function noSuchFile(cgroup: DmemCgroup, file: string): SocmemError {
  return new SocmemError('ENOENT', `dmem cgroup ${cgroup.path}: no file ${file}`);
}

/** Reads a dmem interface file: one "<region> <bytes|max>" line per registered region. */
export function readDmemCgroupFile(cgroup: DmemCgroup, file: DmemCgroupFile): string {
  const regions = cgroup.hierarchy.regions;
  if (file === 'dmem.capacity') {
    if (!cgroup.isRoot) throw noSuchFile(cgroup, file);
    return regions.map((region) => `${region.name} ${region.size}\n`).join('');
  }
  const read = READERS[file];
  if (read === undefined || (cgroup.isRoot && file !== 'dmem.current'))
    throw noSuchFile(cgroup, file);
  return regions
    .map((region) => {
      const value = read(cgroup.findPool(region));
      return `${region.name} ${value < PAGE_COUNTER_MAX ? value : 'max'}\n`;
    })
    .join('');
}

/**
 * Writes dmem.min, dmem.low or dmem.max as dmemcg_limit_write(): "<region> <value>" where value
 * is "max" or a memparse() number (K/M/G... suffixes) with nothing after it. EINVAL for a
 * missing value, an unknown region or a bad number; ENOENT for other files or on the root.
 * Writing a max below the current usage "succeeds" without effect, as in Linux.
 */
export function writeDmemCgroupFile(cgroup: DmemCgroup, file: DmemCgroupFile, text: string): void {
  if (cgroup.isRoot || (file !== 'dmem.min' && file !== 'dmem.low' && file !== 'dmem.max')) {
    throw noSuchFile(cgroup, file);
  }
  // strstrip(), then strsep(&buf, " \t"): the region name ends at the first blank.
  const stripped = text.replace(/^\s+|\s+$/g, '');
  const blank = stripped.search(/[ \t]/);
  const regionName = blank < 0 ? stripped : stripped.slice(0, blank);
  if (blank < 0 || regionName.length === 0) {
    throw new SocmemError(
      'EINVAL',
      `dmem cgroup ${cgroup.path}: ${file} needs "<region> <value>", got "${text}"`,
    );
  }
  const valueText = stripped.slice(blank + 1);
  const region = cgroup.hierarchy.findRegion(regionName);
  if (region === undefined) {
    throw new SocmemError(
      'EINVAL',
      `dmem cgroup ${cgroup.path}: no region "${regionName}" for ${file}`,
    );
  }
  let value: number;
  if (valueText === 'max') {
    value = PAGE_COUNTER_MAX;
  } else {
    const parsed = memparse(valueText);
    if (parsed.rest.length !== 0) {
      throw new SocmemError(
        'EINVAL',
        `dmem cgroup ${cgroup.path}: bad ${file} value "${valueText}"`,
      );
    }
    value = parsed.value;
  }
  if (file === 'dmem.min') cgroup.setMin(region, value);
  else if (file === 'dmem.low') cgroup.setLow(region, value);
  else cgroup.setMax(region, value);
}
