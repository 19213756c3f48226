// Sums the vitest JSON results every workspace package wrote (.vitest-result.json) and prints
// "N passed, N failed". Exits 1 when a test failed or no test ran at all.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
let passed = 0;
let failed = 0;
const missing = [];
for (const group of ['packages', 'tools', 'examples']) {
  const parent = join(root, group);
  if (!existsSync(parent)) continue;
  for (const name of readdirSync(parent)) {
    const directory = join(parent, name);
    const manifestPath = join(directory, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (!manifest.scripts?.test) continue;
    const resultPath = join(directory, '.vitest-result.json');
    if (!existsSync(resultPath)) {
      missing.push(`${group}/${name}`);
      continue;
    }
    const result = JSON.parse(readFileSync(resultPath, 'utf8'));
    passed += result.numPassedTests ?? 0;
    failed += (result.numFailedTests ?? 0) + (result.numRuntimeErrorTestSuites ?? 0);
  }
}
if (missing.length > 0) {
  console.error(`no test results from: ${missing.join(', ')}`);
  failed += missing.length;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
