import { expect, test } from '@playwright/test';
import { reloadVatPage, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, openTabs, waitForVatEvent } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('a persistent object outlives its tab: A reloads, B re-enlivens the same URI and sees the saved state', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 2);
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  // Alice's page defines the kind `counter` (pages/kinds.ts); its record lives in IndexedDB.
  const uri = await alice.page.evaluate(() => window.capmeshTest.vat.registerPersistent('counter', 0n));
  const afterThree = await bob.page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    const counter = await vat.enliven<{ increment(): bigint }>(u);
    await E(counter).increment();
    await E(counter).increment();
    return String(await E(counter).increment());
  }, uri);
  expect(afterThree).toBe('3');

  // A new page, a new worker, the same IndexedDB: the same identity.
  expect(await reloadVatPage(alice.page)).toBe(alice.designator);
  await waitForVatEvent(bob.page, 'peer-disconnected', { designator: alice.designator });
  const afterReload = await bob.page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    const counter = await vat.enliven<{ value(): bigint; increment(): bigint }>(u);
    const saved = String(await E(counter).value());
    return { saved, next: String(await E(counter).increment()) };
  }, uri);
  expect(afterReload).toEqual({ saved: '3', next: '4' });
  await closeTabs(tabs);
});

test('a page kind builds a persistent facet with ctx.registerPersistent; after a reload the facet revives its counter through ctx.enliven', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 2);
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const uri = await alice.page.evaluate(() => window.capmeshTest.vat.registerPersistent('counter', 5n));
  const viewUri = await bob.page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    return E(await vat.enliven<{ view(): string }>(u)).view();
  }, uri);
  expect(viewUri).not.toBe(uri);

  expect(await reloadVatPage(alice.page)).toBe(alice.designator);
  await waitForVatEvent(bob.page, 'peer-disconnected', { designator: alice.designator });
  const seen = await bob.page.evaluate(async (v) => {
    const { vat, E } = window.capmeshTest;
    return String(await E(await vat.enliven<{ value(): bigint }>(v)).value());
  }, viewUri);
  expect(seen).toBe('5');
  await closeTabs(tabs);
});
