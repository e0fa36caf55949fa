import { defineConfig } from 'vitest/config';
import { capmeshAliases } from './aliases.js';

// Unit and conformance tests run in Node. `--expose-gc` lets the GC tests force
// real collections; e2e tests (Playwright) live in e2e/ and are not run here.
export default defineConfig({
  resolve: { alias: capmeshAliases },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 30_000,
  },
});
