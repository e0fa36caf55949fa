import { expect, test } from '@playwright/test';
import { openVatPages, pathsOf, startTestRelay } from '../src/testing/playwright.js';
import type { RelayServer } from '../relay/index.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('Alice in tab A registers a greeter; Bob in tab B enlivens it and calls it (relay path forced)', async ({ browser }) => {
  const [alice, bob] = await openVatPages(browser, 2, { path: '/e2e/pages/vat.html', query: { relay: relay.url, forceRelay: '1' } });
  const uri = await alice!.page.evaluate(async () => {
    const { vat, far } = window.capmeshTest;
    return vat.register(far('greeter', { greet: (name: string) => `Hello, ${name}, from the page!` }));
  });
  expect(uri).toContain(`ocapn://${alice!.designator}.relay`);
  const greeting = await bob!.page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    const greeter = await vat.enliven<{ greet(n: string): string }>(u);
    return E(greeter).greet('Bob');
  }, uri);
  expect(greeting).toBe('Hello, Bob, from the page!');
  expect(await pathsOf(bob!.page)).toEqual({ [alice!.designator]: 'relay' });
  for (const v of [alice!, bob!]) await v.context.close();
});
