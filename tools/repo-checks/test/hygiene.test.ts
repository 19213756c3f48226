import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, relativeToRoot, typeScriptFiles, workspacePackages } from '../src/workspace';

const packages = workspacePackages('packages');
const everyWorkspace = [
  ...packages,
  ...workspacePackages('examples'),
  ...workspacePackages('tools'),
];

describe('package hygiene (CONTRIBUTING.md)', () => {
  for (const pkg of packages) {
    it(`${pkg.name} stands alone: README, tests, benchmarks, exports, sideEffects false`, () => {
      expect(existsSync(join(pkg.directory, 'README.md'))).toBe(true);
      expect(existsSync(join(pkg.directory, 'bench', 'index.ts'))).toBe(true);
      expect(
        typeScriptFiles(join(pkg.directory, 'test')).some((file) => file.endsWith('.test.ts')),
      ).toBe(true);
      expect(pkg.manifest.sideEffects).toBe(false);
      const exports = pkg.manifest.exports as Record<string, Record<string, unknown>>;
      expect(Object.keys(exports['.']!)[0]).toBe('@socmem/source');
    });
  }
});

describe('test hygiene', () => {
  it('no focused, skipped, todo or empty tests anywhere', () => {
    const offenders: string[] = [];
    for (const pkg of everyWorkspace) {
      for (const file of typeScriptFiles(pkg.directory).filter((path) =>
        path.endsWith('.test.ts'),
      )) {
        const source = readFileSync(file, 'utf8');
        if (/\b(it|test|describe)\.(only|skip|todo)\(|\bx(it|describe)\(/.test(source))
          offenders.push(relativeToRoot(file));
        if (/\bit\(\s*['"`][^'"`]*['"`]\s*,\s*(async\s*)?\(\)\s*=>\s*\{\s*\}\s*\)/.test(source))
          offenders.push(relativeToRoot(file));
      }
    }
    expect(offenders).toEqual([]);
  });

  it('simulation code uses no wall clock or Math.random, and no `any`', () => {
    const offenders: string[] = [];
    for (const pkg of packages) {
      for (const file of typeScriptFiles(join(pkg.directory, 'src'))) {
        // Code only: comment lines may say "any" in plain English.
        const source = readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
          .join('\n');
        if (/Math\.random\(|Date\.now\(|performance\.now\(/.test(source))
          offenders.push(`${relativeToRoot(file)}: clock/random`);
        if (/:\s*any\b|as any\b|<any>/.test(source)) offenders.push(`${relativeToRoot(file)}: any`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the root README quick start has exactly the two commands CI relies on', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    const testCommand = readme.match(/```sh\n# Run the whole test suite\n(.+)\n```/)?.[1];
    expect(testCommand).toBeDefined();
    expect(ci).toContain(testCommand!);
  });
});
