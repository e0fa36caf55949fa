import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAYER_TABLE } from './layer-table.js';
import { checkLayers, findCycles, importsOf, moduleOf, resolveImport, type ResolvedEdge } from './layers.js';

/**
 * DESIGN.md's layer table, enforced: every import in src/ and relay/ is
 * read with TypeScript's parser and checked against `LAYER_TABLE`; the
 * top-level modules form no cycle. On failure the message lists each
 * offending import (`file:line imports … (from → to): the rule`). To move a
 * boundary, change DESIGN.md's table and `layer-table.ts` together.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const files = [...sources('src'), ...sources('relay')];
const edges = files.flatMap((file) =>
  importsOf(file, readFileSync(join(root, file), 'utf8')).map((edge) => resolveImport(edge, (path) => existsSync(join(root, path)))),
);

describe('the layer table on the tree', () => {
  it('reads the tree: every module of DESIGN.md, and the imports between them', () => {
    expect(files.length).toBeGreaterThan(150);
    const modules = new Set(files.map(moduleOf));
    for (const rule of LAYER_TABLE) expect(modules, rule.module).toContain(rule.module);
    // A sample of what the parser must see: a type-only import, a re-export, a package.
    expect(edges).toContainEqual(expect.objectContaining({ from: 'src/netlayer/types.ts', to: 'src/wire/index.ts', typeOnly: true }));
    expect(edges).toContainEqual(expect.objectContaining({ from: 'src/node.ts', to: 'src/persistence/file-store.ts', typeOnly: false }));
    expect(edges).toContainEqual(expect.objectContaining({ from: 'relay/server.ts', package: 'ws' }));
  });

  it('has no import the table forbids', () => {
    const violations = checkLayers(edges, LAYER_TABLE, files);
    expect(violations, `\n${violations.join('\n')}\n`).toEqual([]);
  });

  it('has no cycle between top-level modules', () => {
    const cycles = findCycles(edges);
    expect(cycles, `\n${cycles.join('\n')}\n`).toEqual([]);
  });
});

const edge = (from: string, to: string, typeOnly = false, line = 1): ResolvedEdge => ({ from, to, specifier: to, typeOnly, line });
const pkg = (from: string, name: string): ResolvedEdge => ({ from, specifier: name, package: name, typeOnly: false, line: 1 });

describe('the checker (synthetic graphs)', () => {
  it('reports a forbidden import with the file, line, modules and rule', () => {
    const violations = checkLayers([edge('src/wire/codec.ts', 'src/captp/session.ts', false, 7)], LAYER_TABLE);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^src\/wire\/codec\.ts:7 imports src\/captp\/session\.ts \(src\/wire → src\/captp\): src\/wire may import src\/util, src\/syrup, src\/crypto \(only src\/crypto\/forms\.ts\) \(wire must never import the captp runtime/);
  });

  it('allows imports inside a module and down the table', () => {
    expect(checkLayers([edge('src/captp/session.ts', 'src/captp/export-table.ts'), edge('src/mesh/vat.ts', 'src/captp/index.ts')], LAYER_TABLE)).toEqual([]);
  });

  it('upward imports fail: syrup → wire, captp → netlayer, relay → captp, netlayer → captp', () => {
    const bad = [
      edge('src/syrup/decode.ts', 'src/wire/ops.ts'),
      edge('src/captp/session.ts', 'src/netlayer/types.ts', true),
      edge('relay/router.ts', 'src/captp/index.ts'),
      edge('src/netlayer/tcp/connection.ts', 'src/captp/session.ts'),
    ];
    expect(checkLayers(bad, LAYER_TABLE).map((v) => v.split(' (')[0])).toEqual([
      'src/syrup/decode.ts:1 imports src/wire/ops.ts',
      'src/captp/session.ts:1 type-imports src/netlayer/types.ts',
      'relay/router.ts:1 imports src/captp/index.ts',
      'src/netlayer/tcp/connection.ts:1 imports src/captp/session.ts',
    ]);
  });

  it('file and type-only allowances: wire → crypto/forms only; netlayer → wire types only; mesh → netlayer interfaces only', () => {
    expect(checkLayers([edge('src/wire/ops.ts', 'src/crypto/forms.ts')], LAYER_TABLE)).toEqual([]);
    expect(checkLayers([edge('src/wire/ops.ts', 'src/crypto/keys.ts')], LAYER_TABLE)).toHaveLength(1);
    expect(checkLayers([edge('src/netlayer/x.ts', 'src/wire/index.ts', true)], LAYER_TABLE)).toEqual([]);
    expect(checkLayers([edge('src/netlayer/x.ts', 'src/wire/read-op.ts', false)], LAYER_TABLE)).toHaveLength(1);
    expect(checkLayers([edge('src/mesh/vat.ts', 'src/netlayer/types.ts')], LAYER_TABLE)).toEqual([]);
    expect(checkLayers([edge('src/mesh/vat.ts', 'src/netlayer/tcp/tcp-testing-only.ts')], LAYER_TABLE)).toHaveLength(1);
    expect(checkLayers([edge('relay/server.ts', 'src/netlayer/relay/protocol.ts')], LAYER_TABLE)).toEqual([]);
    expect(checkLayers([edge('relay/server.ts', 'src/netlayer/relay/client.ts')], LAYER_TABLE)).toHaveLength(1);
  });

  it('packages: the core imports none (no sockets, no files), the netlayer and relay may use node: and ws', () => {
    expect(checkLayers([pkg('src/captp/session.ts', 'node:timers'), pkg('src/syrup/x.ts', 'ws'), pkg('src/util/x.ts', 'node:buffer')], LAYER_TABLE)).toHaveLength(3);
    expect(checkLayers([pkg('src/netlayer/x.ts', 'node:net'), pkg('relay/x.ts', 'ws'), pkg('src/crypto/x.ts', '@noble/curves/ed25519.js')], LAYER_TABLE)).toEqual([]);
    expect(checkLayers([pkg('src/crypto/x.ts', '@noble/curves-fake')], LAYER_TABLE)).toHaveLength(1);
  });

  it('test-only code, unknown modules, unresolved imports and stale rows are violations', () => {
    expect(checkLayers([edge('src/index.ts', 'test/helpers/codes.ts')], LAYER_TABLE)[0]).toMatch(/src\/index\.ts:1 imports test\/helpers\/codes\.ts \(entries → test\)/);
    expect(checkLayers([edge('src/newthing/a.ts', 'src/util/errors.ts')], LAYER_TABLE, ['src/newthing/a.ts'])).toContain('src/newthing has no row in the layer table (where does it sit?)');
    expect(checkLayers([{ from: 'src/util/a.ts', specifier: './gone.js', typeOnly: false, line: 3 }], LAYER_TABLE)).toEqual(['src/util/a.ts:3 imports "./gone.js", which resolves to no file']);
    expect(checkLayers([], LAYER_TABLE, ['src/util/a.ts'])).toContain('the layer table has a row for src/mesh, which has no files');
  });

  it('finds a cycle between modules and names its path; none in a chain', () => {
    expect(findCycles([edge('src/a/x.ts', 'src/b/y.ts'), edge('src/b/y.ts', 'src/c/z.ts'), edge('src/c/z.ts', 'src/a/w.ts', true), edge('src/a/x.ts', 'src/a/w.ts')])).toEqual(['src/a → src/b → src/c → src/a']);
    expect(findCycles([edge('src/a/x.ts', 'src/b/y.ts'), edge('src/b/y.ts', 'src/c/z.ts')])).toEqual([]);
  });
});

describe('importsOf / resolveImport', () => {
  it('reads every import form, with type-only marked; skips ambient module declarations', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "import { type C } from './c.js';",
      "export { d } from './d.js';",
      "export type { E } from './e.js';",
      "export * from './f.js';",
      "const g = await import('./g.js');",
      "type H = import('./h.js').H;",
      "declare module 'ws' { export const x: number; }",
      "import 'node:fs';",
    ].join('\n');
    expect(importsOf('src/x/m.ts', text).map((e) => [e.specifier, e.typeOnly, e.line])).toEqual([
      ['./a.js', false, 1],
      ['../b/b.js', true, 2],
      ['./c.js', false, 3],
      ['./d.js', false, 4],
      ['./e.js', true, 5],
      ['./f.js', false, 6],
      ['./g.js', false, 7],
      ['./h.js', true, 8],
      ['node:fs', false, 10],
    ]);
  });

  it('resolves ./x.js to x.ts (or x.d.ts), bare names to packages', () => {
    const present = new Set(['src/x/a.ts', 'src/y/b.d.ts']);
    const at = (specifier: string): ResolvedEdge => resolveImport({ from: 'src/x/m.ts', specifier, typeOnly: false, line: 1 }, (p) => present.has(p));
    expect(at('./a.js').to).toBe('src/x/a.ts');
    expect(at('../y/b.js').to).toBe('src/y/b.d.ts');
    expect(at('./missing.js').to).toBeUndefined();
    expect(at('@noble/curves/ed25519.js').package).toBe('@noble/curves/ed25519.js');
    expect(at('@noble/curves/ed25519.js').to).toBeUndefined();
  });
});
