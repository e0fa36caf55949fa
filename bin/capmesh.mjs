#!/usr/bin/env node
// The `capmesh` command. Inside a source checkout (src/ next to bin/) it runs
// the TypeScript sources through tsx, so it never runs a stale dist/; an
// installed package has no src/ and runs the built CLI from dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
let main;
if (existsSync(source)) {
  await import('tsx/esm');
  ({ main } = await import(pathToFileURL(source).href));
} else {
  ({ main } = await import(pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href));
}
process.exitCode = await main(process.argv.slice(2));
