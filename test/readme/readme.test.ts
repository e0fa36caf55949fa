import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The fenced block in README.md that follows the marker comment `<!-- example: name -->`. */
function exampleBlock(name: string): string {
  const marker = `<!-- example: ${name} -->`;
  const at = readme.indexOf(marker);
  expect(at, `README has ${marker}`).toBeGreaterThanOrEqual(0);
  const open = readme.indexOf('```ts\n', at);
  const close = readme.indexOf('\n```', open + 6);
  return readme.slice(open + 6, close + 1);
}

describe('README examples are real, and they run', () => {
  it('the greeter example is examples/greeter.ts, verbatim, and prints Hello, Bob!', async () => {
    const file = readFileSync(new URL('../../examples/greeter.ts', import.meta.url), 'utf8');
    expect(exampleBlock('greeter')).toBe(file.replace(/\nexport \{ greeting \};\n$/, '\n'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const mod = (await import('../../examples/greeter.js')) as { greeting: string };
      expect(mod.greeting).toBe('Hello, Bob!');
      expect(log).toHaveBeenCalledWith('Hello, Bob!');
    } finally {
      log.mockRestore();
    }
  });

  it('the handoff example is examples/handoff.ts, verbatim, and Carol reaches Bob directly', async () => {
    const file = readFileSync(new URL('../../examples/handoff.ts', import.meta.url), 'utf8');
    expect(exampleBlock('handoff')).toBe(file.replace(/\nexport \{ name \};\n$/, '\n'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const mod = (await import('../../examples/handoff.js')) as { name: string };
      expect(mod.name).toBe('Bob');
      expect(log).toHaveBeenCalledWith('Bob', [false, true]);
    } finally {
      log.mockRestore();
    }
  });

  it('the ERef example is examples/eref.ts, verbatim, and forwards a received reference', async () => {
    const file = readFileSync(new URL('../../examples/eref.ts', import.meta.url), 'utf8');
    expect(exampleBlock('eref')).toBe(file.replace(/\nexport \{ introduced \};\n$/, '\n'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const mod = (await import('../../examples/eref.js')) as { introduced: string };
      expect(mod.introduced).toBe('Hello, Bob!');
      expect(log).toHaveBeenCalledWith('Hello, Bob!', 'Hello, Carol!', 'Hello, Carol!');
    } finally {
      log.mockRestore();
    }
  });

  it('documents ERef, parseSturdyRef, reconnecting onChange and extension()', () => {
    expect(readme).toContain('**`ERef<T>`**');
    expect(readme).toContain('**`parseSturdyRef(uri)`**');
    const persistence = readFileSync(new URL('../../docs/persistence.md', import.meta.url), 'utf8');
    expect(persistence).toMatch(/`onChange\(state, error\?\)`/);
    const browser = readFileSync(new URL('../../docs/browser.md', import.meta.url), 'utf8');
    expect(browser).toMatch(/`extension<T>\(\)`[\s\S]{0,400}Rejects with\s+`NOT_FOUND`/);
  });

  it('the persistence example is the one docs/persistence.md runs', () => {
    const doc = readFileSync(new URL('../../docs/persistence.md', import.meta.url), 'utf8');
    const marker = '<!-- example: persistence -->';
    const open = doc.indexOf('```ts\n', doc.indexOf(marker)) + 6;
    expect(exampleBlock('persistence')).toBe(doc.slice(open, doc.indexOf('\n```', open) + 1));
  });

  it('the browser example is the one e2e/docs-example.spec.ts runs in two tabs', () => {
    const doc = readFileSync(new URL('../../docs/browser.md', import.meta.url), 'utf8');
    const marker = '<!-- example: browser-two-tabs -->';
    const open = doc.indexOf('```ts\n', doc.indexOf(marker)) + 6;
    expect(exampleBlock('browser-two-tabs')).toBe(doc.slice(open, doc.indexOf('\n```', open) + 1));
  });

  it('keeps the two-command quick start', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
