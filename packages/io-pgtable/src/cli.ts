#!/usr/bin/env node
/**
 * io-pgtable-dump: decodes an ARM IOMMU page table from a raw memory-image file.
 *
 *   io-pgtable-dump --fmt ARM_V7S --ttbr 0x7000006a --base 0x70000000 ram.bin
 *
 * Prints the table tree and the merged mappings; exits 2 on bad arguments, 1 when the image
 * cannot be read or a table could not be decoded, 0 otherwise.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SocmemError } from '@socmem/hw-sim';
import { dumpIoPgtable } from './dump/dump';
import { formatIoPgtableMappings, formatIoPgtableTree } from './dump/format';
import { MemoryImageReader } from './dump/memory-image';
import type { DumpIoPgtableOptions } from './dump/types';
import {
  IO_PGTABLE_QUIRK_ARM_MTK_EXT,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IoPgtableFmt,
} from './io-pgtable';

/** Where the CLI writes. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const CLI_USAGE = `usage: io-pgtable-dump --fmt FORMAT (--ttbr VALUE | --root PA) [options] IMAGE

Decodes an ARM IOMMU page table from a raw memory image and prints the table tree and the
mapped ranges.

  --fmt FORMAT        ${Object.keys(IoPgtableFmt).join(' | ')}
  --ttbr VALUE        table base register value (TTBR0, VTTBR, v7s TTBR, Mali TRANSTAB)
  --root PA           physical address of the top-level table, instead of --ttbr
  --base PA           physical address of the image's first byte (default 0)
  --ias BITS          input address size (default 32 for ARM_V7S and ARM_32_LPAE_S1,
                      40 for ARM_32_LPAE_S2, 48 otherwise)
  --granule SIZE      LPAE granule: 4K, 16K or 64K (default 4K)
  --start-level N     LPAE start level (default: as Linux derives it from ias and granule;
                      give it for stage 2, where VTCR.SL0 decides)
  --mair VALUE        stage-1 MAIR used to name AttrIndx (default Linux's 0xf404ff44)
  --mtk-ext           ARM_V7S with MediaTek PA bits 32..34 (ARM_MTK_EXT)
  --ttbr1             stage-1 tables of the upper (TTBR1) input range
  --s2fwb             stage-2 MemAttr with FEAT_S2FWB
  --tree | --ranges   print only the tree or only the ranges
  --json              print the decoded result as JSON
  -h, --help          this text
`;

class UsageError extends Error {}

/** Parses 0x1234_5678, 4096, 4K, 2M, 1G. */
function parseNumber(option: string, text: string | undefined): number {
  if (text === undefined) throw new UsageError(`${option} needs a value`);
  const match = /^(0x[0-9a-f_]+|[0-9_]+)([kmg]?)$/i.exec(text.trim());
  if (match === null) throw new UsageError(`${option}: '${text}' is not a number`);
  const digits = match[1]!.replace(/_/g, '');
  const value = digits.toLowerCase().startsWith('0x')
    ? Number.parseInt(digits.slice(2), 16)
    : Number.parseInt(digits, 10);
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[
    match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'
  ];
  const result = value * scale;
  if (!Number.isSafeInteger(result)) throw new UsageError(`${option}: '${text}' is too large`);
  return result;
}

interface CliArgs {
  options: Omit<DumpIoPgtableOptions, 'memory'>;
  base: number;
  image: string;
  show: 'both' | 'tree' | 'ranges' | 'json';
}

function parseArgs(argv: readonly string[]): CliArgs | 'help' {
  let fmt: IoPgtableFmt | undefined;
  let base = 0;
  let image: string | undefined;
  let show: CliArgs['show'] = 'both';
  let quirks = 0;
  const options: { -readonly [K in keyof DumpIoPgtableOptions]?: DumpIoPgtableOptions[K] } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (arg) {
      case '-h':
      case '--help':
        return 'help';
      case '--fmt': {
        const name = value();
        if (name === undefined || !Object.hasOwn(IoPgtableFmt, name)) {
          throw new UsageError(
            `--fmt: '${name ?? ''}' is not one of ${Object.keys(IoPgtableFmt).join(', ')}`,
          );
        }
        fmt = name as IoPgtableFmt;
        break;
      }
      case '--ttbr':
        options.ttbr = parseNumber(arg, value());
        break;
      case '--root':
        options.root = parseNumber(arg, value());
        break;
      case '--base':
        base = parseNumber(arg, value());
        break;
      case '--ias':
        options.ias = parseNumber(arg, value());
        break;
      case '--granule':
        options.granule = parseNumber(arg, value());
        break;
      case '--start-level':
        options.startLevel = parseNumber(arg, value());
        break;
      case '--mair':
        options.mair = parseNumber(arg, value());
        break;
      case '--mtk-ext':
        quirks |= IO_PGTABLE_QUIRK_ARM_MTK_EXT;
        break;
      case '--ttbr1':
        quirks |= IO_PGTABLE_QUIRK_ARM_TTBR1;
        break;
      case '--s2fwb':
        quirks |= IO_PGTABLE_QUIRK_ARM_S2FWB;
        break;
      case '--tree':
      case '--ranges':
      case '--json':
        show = arg.slice(2) as CliArgs['show'];
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        if (image !== undefined)
          throw new UsageError(`one image only (got '${image}' and '${arg}')`);
        image = arg;
    }
  }
  if (fmt === undefined) throw new UsageError('--fmt is required');
  if (options.ttbr === undefined && options.root === undefined)
    throw new UsageError('--ttbr or --root is required');
  if (image === undefined) throw new UsageError('no image file given');
  return { options: { ...options, fmt, quirks }, base, image, show };
}

/**
 * Runs the tool on `argv` (without the node and script names), writing to `out`. Returns the
 * exit code: 0 success, 1 unreadable image or undecodable tables, 2 bad arguments.
 */
export function runCli(argv: readonly string[], out: CliOutput): number {
  let args: CliArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    out.stderr(`io-pgtable-dump: ${error.message}\n\n${CLI_USAGE}`);
    return 2;
  }
  if (args === 'help') {
    out.stdout(CLI_USAGE);
    return 0;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(args.image);
  } catch (error) {
    out.stderr(
      `io-pgtable-dump: cannot read ${args.image}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  try {
    const dump = dumpIoPgtable({
      ...args.options,
      memory: new MemoryImageReader(bytes, args.base),
    });
    if (args.show === 'json') out.stdout(`${JSON.stringify(dump, null, 2)}\n`);
    if (args.show === 'both' || args.show === 'tree') out.stdout(formatIoPgtableTree(dump));
    if (args.show === 'both') out.stdout('\n');
    if (args.show === 'both' || args.show === 'ranges') out.stdout(formatIoPgtableMappings(dump));
    for (const error of dump.errors) out.stderr(`io-pgtable-dump: ${error.message}\n`);
    return dump.errors.length === 0 ? 0 : 1;
  } catch (error) {
    if (!SocmemError.isInstance(error)) throw error;
    out.stderr(`io-pgtable-dump: ${error.message}\n`);
    return 2;
  }
}

// Run when this file is the program, also through the node_modules/.bin symlink of the bin.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  process.exitCode = runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
