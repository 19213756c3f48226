import { defineConfig } from 'vitest/config';

/**
 * Vitest settings shared by every package. `@socmem/*` imports resolve to TypeScript sources
 * through the `@socmem/source` export condition, so tests never need a build. Each package's
 * results are also written as JSON so `.ci/run` can total them.
 */
export const sharedVitestConfig = defineConfig({
  resolve: { conditions: ['@socmem/source'] },
  ssr: { resolve: { conditions: ['@socmem/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    reporters: ['default', ['json', { outputFile: '.vitest-result.json' }]],
    testTimeout: 60_000,
    allowOnly: false,
    passWithNoTests: false,
  },
});
