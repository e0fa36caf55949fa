import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

const EXPORT_LINE = /\nexport \{ seen \};\n$/;

/** The fenced block after `<!-- example: yjs -->` in `text`. */
function block(text: string): string {
  const marker = '<!-- example: yjs -->';
  expect(text).toContain(marker);
  const open = text.indexOf('```ts\n', text.indexOf(marker)) + 6;
  return text.slice(open, text.indexOf('\n```', open) + 1);
}

describe('examples/yjs-notes.ts', () => {
  it('is in README.md and docs/yjs.md verbatim (less its export line)', () => {
    const file = readFileSync(new URL('../../examples/yjs-notes.ts', import.meta.url), 'utf8');
    expect(file).toMatch(EXPORT_LINE);
    for (const doc of ['../../README.md', '../../docs/yjs.md']) {
      expect(block(readFileSync(new URL(doc, import.meta.url), 'utf8'))).toBe(file.replace(EXPORT_LINE, '\n'));
    }
  });

  it('runs: the member edits through the editor link and the host sees it', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const mod = (await import('../../examples/yjs-notes.js')) as { seen: string };
      expect(mod.seen).toBe('Shopping: bread');
      expect(log).toHaveBeenCalledWith(false, 'Shopping: bread', true);
    } finally {
      log.mockRestore();
    }
  });
});
