import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as npm would ship it: built with tsconfig.build.json into a
 * scratch directory next to a copy of package.json, README, docs and bin,
 * with node_modules linked, so `capmesh/*` resolves through package.json's
 * `exports` exactly as it does for a user (Node's self-reference).
 */
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
let pkg: string;

interface Exports {
  readonly [entry: string]: { readonly types: string; readonly import: string };
}

beforeAll(async () => {
  pkg = await mkdtemp(join(tmpdir(), 'capmesh-package-'));
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')]);
  for (const name of ['package.json', 'README.md']) await cp(join(root, name), join(pkg, name));
  for (const dir of ['docs', 'bin']) await cp(join(root, dir), join(pkg, dir), { recursive: true });
  await symlink(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
}, 240_000);

afterAll(async () => {
  if (pkg) await rm(pkg, { recursive: true, force: true });
});

async function packedFiles(): Promise<Set<string>> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkg });
  const [report] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  return new Set(report.files.map((f) => f.path));
}

async function exportsOf(): Promise<Exports> {
  return (JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')) as { exports: Exports }).exports;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

describe('the packed tarball', () => {
  it('ships docs/ and every docs page the README names, but not the generated API reference', async () => {
    const files = await packedFiles();
    const pages = (await readdir(join(root, 'docs'))).filter((page) => page.endsWith('.md'));
    for (const page of pages) expect(files).toContain(`docs/${page}`);
    // `npm run docs` writes docs/api/ (HTML); it is for reading here, not for the tarball.
    expect([...files].filter((f) => f.startsWith('docs/api/'))).toEqual([]);
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const named = [...new Set(readme.match(/docs\/[\w.-]+\.md/g) ?? [])];
    expect(named.length).toBeGreaterThan(0);
    for (const page of named) expect(files).toContain(page);
  });

  it('ships every file package.json exports, including capmesh/relay', async () => {
    const files = await packedFiles();
    const exports = await exportsOf();
    expect(exports['./relay']).toEqual({ types: './dist/relay/index.d.ts', import: './dist/relay/index.js' });
    for (const target of Object.values(exports)) {
      expect(files).toContain(target.types.slice(2));
      expect(files).toContain(target.import.slice(2));
    }
  });
});

describe('capmesh/relay', () => {
  it('imports from the built package by name and starts a relay', async () => {
    const script = [
      "const { startRelay, silentLogger } = await import('capmesh/relay');",
      'const relay = await startRelay({ port: 0, log: silentLogger });',
      'const healthy = (await fetch(`http://127.0.0.1:${relay.port}/healthz`)).ok;',
      'await relay.close();',
      'console.log(JSON.stringify({ url: relay.url, healthy }));',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: pkg });
    const result = JSON.parse(stdout) as { url: string; healthy: boolean };
    expect(result.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(result.healthy).toBe(true);
  }, 30_000);
});

describe('public type declarations', () => {
  /** Bare module specifiers reachable from `entry` through relative imports of .d.ts files. */
  async function bareImports(entry: string): Promise<Map<string, string>> {
    const seen = new Set<string>();
    const bare = new Map<string, string>();
    const queue = [entry];
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      if (seen.has(file)) continue;
      seen.add(file);
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) queue.push(join(dirname(file), spec.replace(/\.js$/, '.d.ts')));
        else bare.set(spec, relative(pkg, file));
      }
    }
    return bare;
  }

  it('never import ws, so consumers need no @types/ws', async () => {
    const exports = await exportsOf();
    const reached = new Map<string, string>();
    for (const target of Object.values(exports)) {
      for (const [spec, file] of await bareImports(join(pkg, target.types))) reached.set(spec, file);
    }
    // The walk did reach beyond its entries (Playwright's own types, node: modules).
    expect(reached.has('@playwright/test')).toBe(true);
    const ws = [...reached].filter(([spec]) => spec === 'ws' || spec.startsWith('ws/'));
    expect(ws).toEqual([]);
  });
});

describe('source maps', () => {
  it('carry their sources, so bundlers need no src/ next to dist/', async () => {
    const maps = (await walk(join(pkg, 'dist'))).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    for (const map of maps) {
      const parsed = JSON.parse(await readFile(map, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(parsed.sourcesContent?.length, relative(pkg, map)).toBe(parsed.sources.length);
      expect(parsed.sourcesContent?.every((s) => typeof s === 'string' && s.length > 0), relative(pkg, map)).toBe(true);
    }
  });
});

