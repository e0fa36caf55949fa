/**
 * A link cannot choose the relay a tab registers at: Mallory sends Bob a link
 * to the demo with `?relay=` naming her relay. Bob's tab registers at its own
 * configured relay only, and Mallory's relay never hears from it. And the
 * header says whether that relay can be reached (from the vat's `relay-state`
 * events).
 */
import { test } from '@playwright/test';
import { startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeAll, createRoom, expect, join, load, person } from './demo-pages/steps.js';

let relay: RelayServer;
let lure: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
  lure = await startTestRelay();
});
test.afterAll(async () => {
  await Promise.all([relay.close(), lure.close()]);
});

test('a ?relay= link parameter does not make a tab register at the relay it names; the share link carries none', async ({ browser }) => {
  const alice = await person(browser, relay, 'Alice');
  const link = await createRoom(alice, 'Link room');
  expect(new URL(link).search).toBe('');
  await join(alice);

  const bob = await person(browser, relay, 'Bob');
  const baited = new URL(link);
  baited.searchParams.set('relay', lure.url);
  bob.designator = await load(bob.page, `${baited.pathname}${baited.search}${baited.hash}`);
  await join(bob);
  expect(relay.isRegistered(bob.designator)).toBe(true);
  expect(lure.isRegistered(bob.designator)).toBe(false);
  expect(lure.stats().connections).toBe(0);
  await closeAll([alice, bob]);
});

test('the header’s relay indicator follows the relay: online, unreachable while it is down, online again', async ({ browser }) => {
  const alice = await person(browser, relay, 'Alice');
  const indicator = alice.page.locator('.relay-state');
  await expect(indicator).toHaveAttribute('data-state', 'connected');
  await expect(indicator).toHaveText('online');
  const port = relay.port;
  await relay.close();
  await expect(indicator).toHaveAttribute('data-state', 'unreachable');
  await expect(indicator).toContainText('relay unreachable');
  relay = await startTestRelay({ port });
  await expect(indicator).toHaveAttribute('data-state', 'connected');
  await closeAll([alice]);
});
