import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const doc = readFileSync(new URL('../../docs/persistence.md', import.meta.url), 'utf8');

/** The fenced block in docs/persistence.md after `<!-- example: name -->`. */
function exampleBlock(name: string): string {
  const marker = `<!-- example: ${name} -->`;
  const at = doc.indexOf(marker);
  expect(at, `docs/persistence.md has ${marker}`).toBeGreaterThanOrEqual(0);
  const open = doc.indexOf('```ts\n', at);
  const close = doc.indexOf('\n```', open + 6);
  return doc.slice(open + 6, close + 1);
}

describe('docs/persistence.md', () => {
  it('the restart example runs and counts on from the saved state', async () => {
    // Written beside this test so the capmesh/* aliases and tsx-style imports resolve as for any test.
    const dir = await mkdtemp(join(fileURLToPath(new URL('.', import.meta.url)), '.docs-example-'));
    const file = join(dir, 'persistence-example.ts');
    await writeFile(file, exampleBlock('persistence'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(file);
      expect(log).toHaveBeenCalledWith(2n);
    } finally {
      log.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
