/**
 * Relay state as the app sees it, and reconnection through the common Vat
 * interface: a tab whose relay nobody runs is told so (startBrowserVat
 * rejects with RELAY_UNREACHABLE); a tab whose relay goes away hears
 * `relay-state` `disconnected`, then `registered` when it is back; Bob's
 * `reconnecting(vat, uri)` finds Alice's counter again after her tab reloads.
 */
import { createServer } from 'node:net';
import { expect, test } from '@playwright/test';
import { CONTEXT_PERMISSIONS, reloadVatPage, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { VAT_PAGE, closeTabs, openTabs, waitForVatEvent } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

/** A local port nobody listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a relay nobody runs: startBrowserVat rejects with RELAY_UNREACHABLE within relayTimeoutMs', async ({ browser }) => {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  const page = await context.newPage();
  await page.goto(`${VAT_PAGE}?${new URLSearchParams({ relay: `ws://127.0.0.1:${await deadPort()}`, relayTimeoutMs: '2000' })}`);
  const status = page.locator('#status[data-error-code]');
  await status.waitFor({ state: 'attached', timeout: 20_000 });
  expect(await status.getAttribute('data-error-code')).toBe('RELAY_UNREACHABLE');
  const message = (await status.getAttribute('data-error'))!;
  expect(message).toContain('not registered at the relay');
  expect(message.startsWith('RELAY_UNREACHABLE')).toBe(false);
  const elapsed = Number(await status.getAttribute('data-elapsed-ms'));
  expect(elapsed).toBeGreaterThanOrEqual(1_900);
  console.log(`relay unreachable: startBrowserVat rejected after ${elapsed} ms (relayTimeoutMs 2000)`);
  await context.close();
});

test('the relay goes down and comes back: relay-state says disconnected, then registered', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 1);
  const [alice] = tabs as [(typeof tabs)[0]];
  expect(await alice.page.evaluate(() => window.capmeshTest.vat.relayState.state)).toBe('registered');
  const port = relay.port;
  let t0 = Date.now();
  await relay.close();
  await waitForVatEvent(alice.page, 'relay-state', { state: 'disconnected' });
  console.log(`relay-state disconnected ${Date.now() - t0} ms after the relay closed`);
  expect(await alice.page.evaluate(() => window.capmeshTest.vat.relayState.state)).not.toBe('registered');

  relay = await startTestRelay({ port });
  t0 = Date.now();
  // Registered again, after the disconnection (the first event is the start's own `registered`).
  await alice.page.waitForFunction(
    () => {
      const states = window.capmeshTest.events.filter((e) => e.name === 'relay-state').map((e) => e.detail['state']);
      return states.lastIndexOf('registered') > states.indexOf('disconnected') && states.indexOf('disconnected') > 0;
    },
    undefined,
    { timeout: 45_000 },
  );
  console.log(`relay-state registered ${Date.now() - t0} ms after the relay restarted`);
  expect(await alice.page.evaluate(() => window.capmeshTest.vat.relayState)).toMatchObject({ state: 'registered' });
  expect(relay.isRegistered(alice.designator)).toBe(true);
  await closeTabs(tabs);
});

test('reconnecting(browserVat, uri): Bob’s counter comes back after Alice’s tab reloads', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 2);
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const uri = await alice.page.evaluate(() => window.capmeshTest.vat.registerPersistent('counter', 0n));
  const first = await bob.page.evaluate(async (u) => {
    const { vat, E, reconnecting, refs } = window.capmeshTest;
    const states: string[] = [];
    const counter = reconnecting<{ increment(): bigint }>(vat, u, { onChange: (s, e) => states.push(e ? `${s}:${e.code}` : s) });
    refs.set('counter', counter);
    refs.set('states', states);
    return String(await E(await counter.current()).increment());
  }, uri);
  expect(first).toBe('1');

  const t0 = Date.now();
  expect(await reloadVatPage(alice.page)).toBe(alice.designator);
  // reconnecting saw the session end (whenSessionEnds across the page link) and connected again.
  await bob.page.waitForFunction(() => (window.capmeshTest.refs.get('states') as string[]).filter((s) => s === 'connected').length >= 2, undefined, {
    timeout: 45_000,
  });
  const after = await bob.page.evaluate(async () => {
    const { E, refs } = window.capmeshTest;
    const counter = refs.get('counter') as { current(): Promise<{ increment(): bigint }> };
    return String(await E(await counter.current()).increment());
  });
  console.log(`reconnecting: connected again ${Date.now() - t0} ms after Alice's reload began`);
  expect(after).toBe('2');
  const states = (await bob.page.evaluate(() => window.capmeshTest.refs.get('states'))) as string[];
  expect(states[0]).toBe('connecting');
  expect(states).toContain('connected');
  expect(states.some((s) => s.startsWith('connecting:'))).toBe(true);
  await waitForVatEvent(bob.page, 'peer-disconnected', { designator: alice.designator });
  await closeTabs(tabs);
});
