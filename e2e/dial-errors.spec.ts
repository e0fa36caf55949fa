import { expect, test } from '@playwright/test';
import { startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, greetOrError, openTabs, registerGreeter } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('dialling a host whose tab is gone fails with PEER_OFFLINE, at once and with its code said once, across the page↔worker link', async ({ browser }, testInfo) => {
  const tabs = await openTabs(browser, relay, 2);
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const uri = await registerGreeter(alice.page, 'Hello from Alice');
  await alice.context.close();
  await expect.poll(() => relay.isRegistered(alice.designator), { timeout: 30_000 }).toBe(false);
  const started = Date.now();
  // The direct-path budget is 5 s by default: the refusal must not wait for it (generous bound; the figure is noted).
  const failure = await greetOrError(bob.page, uri, 'Bob');
  const tookMs = Date.now() - started;
  testInfo.annotations.push({ type: 'peer-offline-ms', description: String(tookMs) });
  console.log(`PEER_OFFLINE after ${tookMs} ms`);
  expect(failure).toMatch(/^PEER_OFFLINE: the peer is not registered at the relay /);
  expect(tookMs).toBeLessThan(4_000);
  await closeTabs([bob]);
});
