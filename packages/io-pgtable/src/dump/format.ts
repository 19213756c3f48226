import { hex } from '@socmem/hw-sim';
import { IoPgtableFmt } from '../io-pgtable';
import type {
  IoPgtableDump,
  IoPgtableDumpAttributes,
  IoPgtableDumpMapping,
  IoPgtableDumpTable,
} from './types';

/** 4096 → '4K', 2 MiB → '2M', 1 GiB → '1G'. */
export function formatSize(bytes: number): string {
  const units: Array<[number, string]> = [
    [2 ** 40, 'T'],
    [2 ** 30, 'G'],
    [2 ** 20, 'M'],
    [2 ** 10, 'K'],
  ];
  for (const [unit, suffix] of units)
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  return `${bytes}B`;
}

/** The address as a person should see it: TTBR1 input addresses get their upper bits back. */
function showIova(dump: IoPgtableDump, iova: number): string {
  if (!dump.ttbr1) return hex(iova);
  return hex((1n << 64n) - (1n << BigInt(dump.ias)) + BigInt(iova));
}

/** 'rwx', 'rw-', 'r--', with 'u' for unprivileged access, then the memory type and flags. */
export function formatAttributes(attributes: IoPgtableDumpAttributes): string {
  const perms = `${attributes.read ? 'r' : '-'}${attributes.write ? 'w' : '-'}${attributes.exec ? 'x' : '-'}${attributes.user ? 'u' : '-'}`;
  const flags: string[] = [perms, attributes.memoryType, `sh:${attributes.shareability}`];
  if (attributes.nG) flags.push('nG');
  if (attributes.ns) flags.push('NS');
  if (attributes.af) flags.push('AF');
  if (attributes.dbm) flags.push('DBM');
  if (attributes.contiguous) flags.push('cont');
  return flags.join(' ');
}

function leafName(fmt: IoPgtableFmt, level: number, pageSize: number): string {
  if (fmt === IoPgtableFmt.ARM_V7S) {
    if (level === 1) return pageSize > 0x10_0000 ? 'supersection' : 'section';
    return pageSize > 0x1000 ? 'large page' : 'page';
  }
  return level === 3 ? 'page' : 'block';
}

function indexText(index: number, count: number, total: number): string {
  const width = Math.max(1, (total - 1).toString(16).length);
  const one = (value: number): string => value.toString(16).padStart(width, '0');
  return count === 1 ? `[${one(index)}]` : `[${one(index)}-${one(index + count - 1)}]`;
}

function tableLines(
  dump: IoPgtableDump,
  table: IoPgtableDumpTable,
  depth: number,
  out: string[],
): void {
  const pad = '  '.repeat(depth);
  out.push(
    `${pad}L${table.level} table @ ${hex(table.pa)} (${table.bytes} bytes, ${table.validEntries}/${table.entriesTotal} valid)`,
  );
  for (const entry of table.entries) {
    const range = `${showIova(dump, entry.iova)}-${showIova(dump, entry.iova + entry.size - 1)}`;
    const head = `${pad}  ${indexText(entry.index, entry.count, table.entriesTotal)} ${range}`;
    if (entry.kind === 'table') {
      out.push(`${head} -> table @ ${hex(entry.pa)}`);
      if (entry.child !== null) tableLines(dump, entry.child, depth + 2, out);
    } else {
      const name = leafName(dump.fmt, table.level, entry.pageSize);
      out.push(
        `${head} -> ${hex(entry.pa)} ${name} ${formatSize(entry.pageSize)} ${formatAttributes(entry.attributes!)}`,
      );
    }
  }
}

/**
 * The table tree as text: one line per table (level, address, size, valid entries), indented
 * under the entry that points to it, and one line per run of leaves (index range, input range,
 * output address, kind, size, attributes).
 */
export function formatIoPgtableTree(dump: IoPgtableDump): string {
  const header = [
    `${dump.fmt} root ${hex(dump.root)} ias ${dump.ias}`,
    dump.fmt === IoPgtableFmt.ARM_V7S
      ? ''
      : ` granule ${formatSize(dump.granule)} start level ${dump.startLevel}`,
    dump.ttbr1 ? ' TTBR1' : '',
    dump.mtkExt ? ' MTK-ext' : '',
  ].join('');
  const out = [header];
  const root = dump.tables[0];
  if (root !== undefined) tableLines(dump, root, 0, out);
  for (const error of dump.errors) out.push(`error: ${error.message}`);
  return `${out.join('\n')}\n`;
}

/** One line per merged mapping: input range -> output range, size, level, attributes. */
export function formatIoPgtableMapping(dump: IoPgtableDump, mapping: IoPgtableDumpMapping): string {
  const input = `${showIova(dump, mapping.iova)}-${showIova(dump, mapping.iova + mapping.size - 1)}`;
  const output = `${hex(mapping.pa)}-${hex(mapping.pa + mapping.size - 1)}`;
  const kind = `${mapping.entries} x L${mapping.level} ${leafName(dump.fmt, mapping.level, mapping.pageSize)} ${formatSize(mapping.pageSize)}`;
  return `${input} -> ${output} ${formatSize(mapping.size)} (${kind}) ${formatAttributes(mapping.attributes)}`;
}

/** Every merged mapping, one per line. */
export function formatIoPgtableMappings(dump: IoPgtableDump): string {
  if (dump.mappings.length === 0) return 'no mappings\n';
  return `${dump.mappings.map((mapping) => formatIoPgtableMapping(dump, mapping)).join('\n')}\n`;
}
