import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { declarationProgram, diffLines, emitDeclarations, surfaceOf, type Declarations } from './api-surface.js';

/**
 * The API-surface snapshot: for each entry of package.json's `exports`, the
 * names its published declarations export (with their kind, and the public
 * members of classes and interfaces), compared with the reviewed snapshot in
 * test/package/api-surface/<entry>.txt. The declarations are emitted in
 * memory with tsconfig.build.json (so `stripInternal` applies, as in the
 * published package).
 *
 * When the test fails it prints what changed (`- ` gone, `+ ` new). If the
 * change is intended, accept it and review the snapshot diff in the commit:
 *
 *     CAPMESH_UPDATE_SURFACE=1 npx vitest run test/package/api-surface.test.ts
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const snapshots = join(root, 'test/package/api-surface');
const update = process.env.CAPMESH_UPDATE_SURFACE === '1';

interface ExportTarget {
  readonly types: string;
  readonly import: string;
}
const exports = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, ExportTarget> }).exports;

/** `.` → capmesh.txt, `./testing/playwright` → capmesh-testing-playwright.txt. */
function snapshotName(entry: string): string {
  return `${['capmesh', ...entry.split('/').slice(1)].join('-')}.txt`;
}
const specifier = (entry: string): string => (entry === '.' ? 'capmesh' : `capmesh/${entry.slice(2)}`);

let declarations: Declarations;
let program: ts.Program;
const entryFile = (entry: string): string => join(declarations.outDir, exports[entry]!.types.replace(/^\.\/dist\//, ''));

beforeAll(() => {
  declarations = emitDeclarations(root);
  program = declarationProgram(root, declarations, Object.keys(exports).map(entryFile));
}, 240_000);

describe('the API surface of each package entry', () => {
  for (const entry of Object.keys(exports)) {
    it(`${specifier(entry)} (${snapshotName(entry)})`, () => {
      const current = surfaceOf(program, entryFile(entry));
      expect(current.length, 'an entry with no exports is a broken entry').toBeGreaterThan(0);
      const path = join(snapshots, snapshotName(entry));
      const header = `# The public surface of ${specifier(entry)} (package.json exports "${entry}"); see api-surface.test.ts.`;
      if (update) {
        mkdirSync(snapshots, { recursive: true });
        writeFileSync(path, `${[header, ...current].join('\n')}\n`);
      }
      const reviewed = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((line) => line !== '' && !line.startsWith('#')) : [];
      const diff = diffLines(reviewed, current);
      const hint = `${specifier(entry)} changed; if intended: CAPMESH_UPDATE_SURFACE=1 npx vitest run test/package/api-surface.test.ts`;
      expect(diff, `\n${hint}\n${diff.join('\n')}\n`).toEqual([]);
    });
  }

  it('has a snapshot per entry of package.json exports, and none for an entry that is gone', () => {
    const expected = Object.keys(exports).map(snapshotName).sort();
    if (update) {
      mkdirSync(snapshots, { recursive: true });
      for (const stale of readdirSync(snapshots).filter((f) => !expected.includes(f))) rmSync(join(snapshots, stale));
    }
    expect(existsSync(snapshots) ? readdirSync(snapshots).sort() : []).toEqual(expected);
  });
});

describe('internals stay out of the published declarations', () => {
  it('no @internal member survives in any emitted .d.ts (stripInternal)', () => {
    const leaks = [...declarations.files].filter(([, text]) => text.includes('@internal')).map(([file]) => file.slice(declarations.outDir.length + 1));
    expect(declarations.files.size).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
  });

  it('the relay classes capmesh/node names show no member the dial/accept helpers use', () => {
    const node = surfaceOf(program, entryFile('./node'));
    const members = (name: string): string[] => {
      const at = node.findIndex((line) => !line.startsWith(' ') && line.split(' ').includes(name));
      const end = node.findIndex((line, i) => i > at && !line.startsWith(' '));
      return node.slice(at + 1, end === -1 ? undefined : end).map((line) => line.trim());
    };
    expect(members('RelayConnection')).not.toEqual(expect.arrayContaining([expect.stringMatching(/ (frame|ended)$/)]));
    expect(members('RelayCircuit')).not.toEqual(expect.arrayContaining([expect.stringMatching(/ (arrive|end)$/)]));
    expect(members('RelayConnection')).toContain('method send');
  });
});

describe('diffLines', () => {
  it('marks removed and added lines, members with their owner', () => {
    const before = ['class A', '  method x', '  method y', 'function f'];
    const after = ['class A', '  method y', '  method z', 'const g (type only)', '  property p'];
    expect(diffLines(before, after)).toEqual(['- A › method x', '- function f', '+ A › method z', '+ const g (type only)', '+ g › property p']);
    expect(diffLines(before, before)).toEqual([]);
  });
});
