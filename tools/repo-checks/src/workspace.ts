import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository root (tools/repo-checks/src -> ../../..). */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * The layer order of DESIGN.md: a package may import only packages before it in this list.
 * A package appears here once it exists; the check also fails for a package missing here.
 */
export const LAYERS = [
  '@socmem/hw-sim',
  '@socmem/io-pgtable',
  '@socmem/cma',
  '@socmem/dma-mapping',
  '@socmem/vcm',
  '@socmem/dma-buf',
] as const;

export interface WorkspacePackage {
  readonly name: string;
  readonly directory: string;
  readonly manifest: {
    name: string;
    private?: boolean;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    exports?: unknown;
    sideEffects?: boolean;
  };
}

/** Every workspace package under packages/, examples/ and tools/. */
export function workspacePackages(group: 'packages' | 'examples' | 'tools'): WorkspacePackage[] {
  const parent = join(ROOT, group);
  if (!existsSync(parent)) return [];
  return readdirSync(parent)
    .map((entry) => join(parent, entry))
    .filter((directory) => existsSync(join(directory, 'package.json')))
    .map((directory) => {
      const manifest = JSON.parse(
        readFileSync(join(directory, 'package.json'), 'utf8'),
      ) as WorkspacePackage['manifest'];
      return { name: manifest.name, directory, manifest };
    });
}

/** All .ts files below a directory, skipping node_modules and dist. */
export function typeScriptFiles(directory: string): string[] {
  if (!existsSync(directory)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(directory)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...typeScriptFiles(path));
    else if (path.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** The `@socmem/*` package names a source file imports (static, dynamic and type imports). */
export function socmemImports(source: string): string[] {
  const names = new Set<string>();
  const pattern = /(?:from\s+|import\s*\(\s*|import\s+)['"](@socmem\/[a-z0-9-]+)(?:\/[^'"]*)?['"]/g;
  for (const match of source.matchAll(pattern)) names.add(match[1]!);
  return [...names];
}

export function relativeToRoot(path: string): string {
  return relative(ROOT, path);
}
