#!/usr/bin/env node
// The `capmesh` command. Runs the built CLI from dist/ when present (installed
// package, or after `npm run build`); inside a source checkout without a build
// it runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
let main;
if (existsSync(built)) {
  ({ main } = await import(pathToFileURL(built).href));
} else {
  await import('tsx/esm');
  ({ main } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href));
}
process.exitCode = await main(process.argv.slice(2));
