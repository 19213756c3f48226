import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, workspacePackages } from '../src/workspace';

const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

// Every example checks its own result and exits non-zero on wrong data (DESIGN.md, Examples),
// so running them is a test of the whole stack as a newcomer sees it.
describe('examples run and pass their own checks', () => {
  for (const example of workspacePackages('examples')) {
    it(`${example.name} exits 0`, () => {
      const run = spawnSync(process.execPath, [TSX, '--conditions=@socmem/source', 'src/main.ts'], {
        cwd: example.directory,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/all checks passed/i);
    });
  }
});
