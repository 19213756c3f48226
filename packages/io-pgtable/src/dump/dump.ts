import { hex, SocmemError } from '@socmem/hw-sim';
import { IoPgtableFmt, type IoPgtableOps } from '../io-pgtable';
import { decodeLpaeEntry } from './decode-lpae';
import { decodeV7sEntry } from './decode-v7s';
import type { DecodedEntry } from './decoded-entry';
import { lpaeLevelShift, resolveDumpGeometry } from './geometry';
import type {
  DescriptorReader,
  DumpIoPgtableOptions,
  IoPgtableDump,
  IoPgtableDumpAttributes,
  IoPgtableDumpEntry,
  IoPgtableDumpError,
  IoPgtableDumpGeometry,
  IoPgtableDumpMapping,
  IoPgtableDumpTable,
} from './types';

interface MutableRange {
  iova: number;
  pa: number;
  size: number;
  pageSize: number;
  level: number;
  entries: number;
  attributes: IoPgtableDumpAttributes;
  key: string;
  descriptorLo: number;
  descriptorHi: number;
}

/** Leaves of one table being merged into one tree line. */
interface LeafRun {
  readonly index: number;
  count: number;
  readonly iova: number;
  readonly pa: number;
  /** Input bytes covered so far (count entries). */
  size: number;
  readonly pageSize: number;
  readonly level: number;
  readonly attributes: IoPgtableDumpAttributes;
  readonly key: string;
}

/** What both merges (a tree line within a table, a mapping across tables) compare. */
type Mergeable = Pick<MutableRange, 'iova' | 'pa' | 'size' | 'pageSize' | 'level' | 'key'>;

/** True when a leaf at `iova` -> `pa` continues `range` in input and output, with equal attributes. */
function canExtend(
  range: Mergeable,
  iova: number,
  pa: number,
  pageSize: number,
  level: number,
  key: string,
): boolean {
  return (
    range.iova + range.size === iova &&
    range.pa + range.size === pa &&
    range.pageSize === pageSize &&
    range.level === level &&
    range.key === key
  );
}

/** Walks the tables in input-address order, collecting tables, runs, merged mappings and errors. */
class DumpWalker {
  readonly mappings: IoPgtableDumpMapping[] = [];
  readonly tables: IoPgtableDumpTable[] = [];
  readonly errors: IoPgtableDumpError[] = [];
  private current: MutableRange | null = null;
  private readonly memory: DescriptorReader;
  private readonly geometry: IoPgtableDumpGeometry;
  private readonly v7s: boolean;

  constructor(memory: DescriptorReader, geometry: IoPgtableDumpGeometry) {
    this.memory = memory;
    this.geometry = geometry;
    this.v7s = geometry.fmt === IoPgtableFmt.ARM_V7S;
  }

  finish(): void {
    if (this.current !== null) this.mappings.push(toMapping(this.current));
    this.current = null;
  }

  walk(pa: number, level: number, iovaBase: number, entriesTotal: number): IoPgtableDumpTable {
    const descriptorSize = this.v7s ? 4 : 8;
    const entrySpan = this.v7s
      ? level === 1
        ? 0x10_0000
        : 0x1000
      : 2 ** lpaeLevelShift(level, this.geometry.granule);
    const entries: IoPgtableDumpEntry[] = [];
    const table: IoPgtableDumpTable = {
      level,
      pa,
      bytes: entriesTotal * descriptorSize,
      entriesTotal,
      validEntries: 0,
      iova: iovaBase,
      entries,
    };
    this.tables.push(table);
    let valid = 0;
    let run: LeafRun | null = null;
    const closeRun = (): void => {
      if (run === null) return;
      entries.push({
        index: run.index,
        count: run.count,
        iova: run.iova,
        size: run.size,
        kind: 'leaf',
        pa: run.pa,
        pageSize: run.pageSize,
        attributes: run.attributes,
        child: null,
      });
      run = null;
    };
    for (let index = 0; index < entriesTotal; index++) {
      const at = pa + index * descriptorSize;
      const iova = iovaBase + index * entrySpan;
      let lo: number;
      let hi = 0;
      try {
        lo = this.memory.read32(at);
        if (!this.v7s) hi = this.memory.read32(at + 4);
      } catch (error) {
        closeRun();
        this.errors.push({
          level,
          pa: at,
          message: `cannot read the level-${level} table at ${hex(pa)}: ${errorText(error)}`,
        });
        break;
      }
      const decoded: DecodedEntry = this.v7s
        ? decodeV7sEntry(lo, level, iova, this.geometry.mtkExt)
        : decodeLpaeEntry(lo, hi, level, entrySpan, this.geometry);
      if (decoded.kind === 'invalid') {
        closeRun();
        continue;
      }
      valid++;
      if (decoded.kind === 'reserved') {
        closeRun();
        this.errors.push({
          level,
          pa: at,
          message: `reserved descriptor ${hex(lo)} at level ${level} (iova ${hex(iova)})`,
        });
        continue;
      }
      if (decoded.kind === 'table') {
        closeRun();
        const maxLevel = this.v7s ? 2 : 3;
        if (level >= maxLevel) {
          this.errors.push({
            level,
            pa: at,
            message: `table descriptor at the last level (iova ${hex(iova)})`,
          });
          continue;
        }
        const childEntries = this.v7s ? 256 : this.geometry.granule / 8;
        const child = this.walk(decoded.address, level + 1, iova, childEntries);
        entries.push({
          index,
          count: 1,
          iova,
          size: entrySpan,
          kind: 'table',
          pa: decoded.address,
          pageSize: 0,
          attributes: null,
          child,
        });
        continue;
      }
      const attributes = decoded.attributes!;
      const key = JSON.stringify(attributes);
      if (run !== null && canExtend(run, iova, decoded.address, decoded.pageSize, level, key)) {
        run.count++;
        run.size += entrySpan;
      } else {
        closeRun();
        run = {
          index,
          count: 1,
          iova,
          pa: decoded.address,
          size: entrySpan,
          pageSize: decoded.pageSize,
          level,
          attributes,
          key,
        };
      }
      this.addLeaf(
        iova,
        decoded.address,
        entrySpan,
        decoded.pageSize,
        level,
        attributes,
        key,
        lo,
        hi,
      );
    }
    closeRun();
    (table as { validEntries: number }).validEntries = valid;
    return table;
  }

  private addLeaf(
    iova: number,
    pa: number,
    span: number,
    pageSize: number,
    level: number,
    attributes: IoPgtableDumpAttributes,
    key: string,
    lo: number,
    hi: number,
  ): void {
    const current = this.current;
    if (current !== null && canExtend(current, iova, pa, pageSize, level, key)) {
      current.size += span;
      current.entries++;
      return;
    }
    if (current !== null) this.mappings.push(toMapping(current));
    this.current = {
      iova,
      pa,
      size: span,
      pageSize,
      level,
      entries: 1,
      attributes,
      key,
      descriptorLo: lo >>> 0,
      descriptorHi: hi >>> 0,
    };
  }
}

function toMapping(range: MutableRange): IoPgtableDumpMapping {
  const { key: _key, ...mapping } = range;
  return mapping;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads a page table of any ARM format from memory and returns its mappings as merged ranges
 * (adjacent leaves with contiguous output addresses and equal attributes), every table with its
 * entries, and whatever could not be decoded. Geometry comes from explicit options or from a cfg
 * as allocIoPgtableOps left it. Throws EINVAL only for unusable geometry; unreadable tables and
 * reserved descriptors are reported in `errors`.
 */
export function dumpIoPgtable(options: DumpIoPgtableOptions): IoPgtableDump {
  if (options.memory === undefined || typeof options.memory.read32 !== 'function') {
    throw new SocmemError('EINVAL', 'io-pgtable dump: no memory to read descriptors from');
  }
  const geometry = resolveDumpGeometry(options);
  const walker = new DumpWalker(options.memory, geometry);
  walker.walk(geometry.root, geometry.startLevel, 0, geometry.startEntries);
  walker.finish();
  return { ...geometry, mappings: walker.mappings, tables: walker.tables, errors: walker.errors };
}

/**
 * Dumps the tables behind `ops` as the IOMMU's walker would see them: for a coherent walk
 * through a snooping device port (dirty CPU lines are written back first, as a coherent
 * walker's reads cause), otherwise straight from RAM, so a missing cache clean shows up.
 */
export function dumpIoPgtableOps(ops: IoPgtableOps): IoPgtableDump {
  const machine = ops.cfg.machine;
  const memory: DescriptorReader = ops.cfg.coherentWalk
    ? machine.devicePort('io-pgtable-dump', { coherent: true })
    : { read32: (pa) => machine.bus.read32(pa, 'io-pgtable-dump') };
  return dumpIoPgtable({ fmt: ops.fmt, cfg: ops.cfg, memory });
}
