import { fileURLToPath } from 'node:url';

/**
 * `capmesh/*` resolved to the sources, for Vite, Vitest and the examples, so
 * nothing needs a build first. The published package resolves the same names
 * through `exports` in package.json (to `dist/`).
 */
const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
const relay = fileURLToPath(new URL('./relay/index.ts', import.meta.url));

export const capmeshAliases = [
  { find: /^capmesh\/syrup$/, replacement: src('syrup/index.ts') },
  { find: /^capmesh\/node$/, replacement: src('node.ts') },
  { find: /^capmesh\/relay$/, replacement: relay },
  { find: /^capmesh\/browser$/, replacement: src('browser.ts') },
  { find: /^capmesh\/testing$/, replacement: src('testing.ts') },
  { find: /^capmesh\/testing\/playwright$/, replacement: src('testing/playwright.ts') },
  { find: /^capmesh\/yjs$/, replacement: src('yjs/index.ts') },
  { find: /^capmesh$/, replacement: src('index.ts') },
];
