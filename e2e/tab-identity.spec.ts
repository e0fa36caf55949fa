import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { CONTEXT_PERMISSIONS, loadVatPage, reloadVatPage, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { VAT_PAGE, waitForVatEvent } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

/** Opens a vat tab in `context` (one browser profile); returns the page, its designator and its slot. */
async function openTab(context: BrowserContext, query: Record<string, string> = {}): Promise<{ page: Page; designator: string; slot: string | null }> {
  const page = await context.newPage();
  const designator = await loadVatPage(page, { path: VAT_PAGE, query: { relay: relay.url, ...query } });
  return { page, designator, slot: await page.locator('#status').getAttribute('data-slot') };
}

test('tabs of one profile get their own identities; a reload keeps its slot; a closed tab’s slot and objects go to the next new tab', async ({ browser }) => {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  const a = await openTab(context);
  const b = await openTab(context);
  expect([a.slot, b.slot]).toEqual(['0', '1']);
  expect(b.designator).not.toBe(a.designator);

  // A persistent object in tab A's slot (pages/kinds.ts `counter`), used from tab B.
  const uri = await a.page.evaluate(() => window.capmeshTest.vat.registerPersistent('counter', 0n));
  const count = (page: Page) =>
    page.evaluate(async (u) => {
      const { vat, E } = window.capmeshTest;
      return String(await E(await vat.enliven<{ increment(): bigint }>(u)).increment());
    }, uri);
  expect(await count(b.page)).toBe('1');

  // A reload is the same tab: same slot, same designator.
  expect(await reloadVatPage(b.page)).toBe(b.designator);
  expect(await b.page.locator('#status').getAttribute('data-slot')).toBe('1');

  // A closes; the next new tab gets slot 0, and with it A's identity and A's counter.
  await a.page.close();
  const c = await openTab(context);
  expect(c.slot).toBe('0');
  expect(c.designator).toBe(a.designator);
  expect(await count(b.page)).toBe('2');
  await context.close();
});

test('identity: shared puts two tabs on one designator, and the displaced tab gets a replaced event', async ({ browser }) => {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  const first = await openTab(context, { identity: 'shared' });
  const second = await openTab(context, { identity: 'shared' });
  expect(second.designator).toBe(first.designator);
  expect([first.slot, second.slot]).toEqual(['0', '0']);
  const detail = await waitForVatEvent(first.page, 'replaced', { count: 1 }, 10_000);
  expect(detail['relay']).toBe(relay.url);
  expect(typeof detail['retryInMs']).toBe('number');
  await context.close();
});
