import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

const EXPORT_LINE = /\nexport \{ afterRestart, sameFacet, revoked \};\n$/;

describe('examples/persistent-facet.ts', () => {
  it('is in docs/persistence.md verbatim (less its export line)', () => {
    const file = readFileSync(new URL('../../examples/persistent-facet.ts', import.meta.url), 'utf8');
    expect(file).toMatch(EXPORT_LINE);
    const doc = readFileSync(new URL('../../docs/persistence.md', import.meta.url), 'utf8');
    const marker = '<!-- example: persistent-facet -->';
    expect(doc).toContain(marker);
    const open = doc.indexOf('```ts\n', doc.indexOf(marker)) + 6;
    expect(doc.slice(open, doc.indexOf('\n```', open) + 1)).toBe(file.replace(EXPORT_LINE, '\n'));
  });

  it('runs: the read-only facet survives a restart, still names the same room, and breaks with NOT_FOUND once the room is revoked', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const mod = (await import('../../examples/persistent-facet.js')) as { afterRestart: string[]; sameFacet: boolean; revoked: string };
      expect(mod.afterRestart).toEqual(['hello', 'again']);
      expect(mod.sameFacet).toBe(true);
      expect(mod.revoked).toBe('NOT_FOUND');
      expect(log).toHaveBeenCalledWith(['hello']);
      expect(log).toHaveBeenCalledWith(true, 'NOT_FOUND');
    } finally {
      log.mockRestore();
    }
  });
});
