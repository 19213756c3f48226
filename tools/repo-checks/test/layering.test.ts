import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LAYERS,
  relativeToRoot,
  socmemImports,
  typeScriptFiles,
  workspacePackages,
} from '../src/workspace';

const packages = workspacePackages('packages');

describe('layering (DESIGN.md: dependencies point strictly down hw-sim < io-pgtable < cma < dma-mapping < vcm < dma-buf)', () => {
  it('knows the layer of every package', () => {
    for (const pkg of packages) expect(LAYERS as readonly string[]).toContain(pkg.name);
  });

  for (const pkg of packages) {
    const layer = (LAYERS as readonly string[]).indexOf(pkg.name);
    const allowed = new Set<string>(LAYERS.slice(0, Math.max(layer, 0)));

    it(`${pkg.name} declares only lower layers as dependencies`, () => {
      for (const name of Object.keys({
        ...pkg.manifest.dependencies,
        ...pkg.manifest.peerDependencies,
      })) {
        if (!name.startsWith('@socmem/')) continue;
        expect(allowed.has(name), `${pkg.name} depends on ${name}`).toBe(true);
      }
    });

    it(`${pkg.name} source imports only lower layers it declares`, () => {
      const declared = new Set(
        Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies }),
      );
      const tooling = new Set(Object.keys(pkg.manifest.devDependencies ?? {}));
      const violations: string[] = [];
      for (const file of typeScriptFiles(pkg.directory)) {
        const isSource = file.startsWith(join(pkg.directory, 'src'));
        for (const name of socmemImports(readFileSync(file, 'utf8'))) {
          if (name === pkg.name && !isSource) continue; // tests and benchmarks import their own package
          const ok = isSource
            ? allowed.has(name) && declared.has(name)
            : (allowed.has(name) && declared.has(name)) || tooling.has(name);
          if (!ok) violations.push(`${relativeToRoot(file)} imports ${name}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('detects violations (the checker itself works)', () => {
    expect(
      socmemImports(
        `import { x } from '@socmem/cma';\nimport type { Y } from "@socmem/hw-sim/sub";\nconst z = await import('@socmem/vcm');`,
      ),
    ).toEqual(['@socmem/cma', '@socmem/hw-sim', '@socmem/vcm']);
  });
});
