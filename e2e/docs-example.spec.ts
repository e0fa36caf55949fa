import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { CONTEXT_PERMISSIONS, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('the two-tab example in docs/browser.md is pages/two-tabs-example.ts, verbatim', () => {
  const doc = readFileSync(new URL('../docs/browser.md', import.meta.url), 'utf8');
  const marker = '<!-- example: browser-two-tabs -->';
  expect(doc).toContain(marker);
  const open = doc.indexOf('```ts\n', doc.indexOf(marker)) + 6;
  const block = doc.slice(open, doc.indexOf('\n```', open) + 1);
  expect(block).toBe(readFileSync(new URL('./pages/two-tabs-example.ts', import.meta.url), 'utf8'));
});

test('the two-tab example works in two tabs of one browser profile: distinct designators, B gets A’s greeting over the same-browser fast path', async ({ browser }) => {
  // One context = one profile: both tabs share IndexedDB, so only per-tab identity slots keep them apart.
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  const tabs = [];
  for (let i = 0; i < 2; i++) {
    const page = await context.newPage();
    await page.goto(`/e2e/pages/two-tabs-example.html?relay=${encodeURIComponent(relay.url)}`);
    await expect(page.locator('#mine')).toHaveText(/^ocapn:\/\//);
    tabs.push({ context, page });
  }
  const [a, b] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const aUri = (await a.page.locator('#mine').textContent())!;
  const aName = aUri.slice('ocapn://'.length, 'ocapn://'.length + 8);
  const bName = (await b.page.locator('#mine').textContent())!.slice('ocapn://'.length, 'ocapn://'.length + 8);
  await b.page.locator('#theirs').fill(aUri);
  await b.page.getByRole('button', { name: 'Call' }).click();
  expect(bName).not.toBe(aName);
  await expect(b.page.locator('#reply')).toHaveText(`Hello, ${bName}, from ${aName} (path: same-browser)`);
  await context.close();
});
