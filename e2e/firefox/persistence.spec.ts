import { expect, firefox, type Page } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../../relay/index.js';
import { findFirefox, firefoxLaunchOptions } from '../../src/testing/browser-path.js';
import { closeTabs } from '../helpers.js';
import { awaitCapture, loadTestPage, openTab, test, vatReady, withFakeCapture } from './engine.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

/** Waits until `page` has seen at least `n` `peer-disconnected` events for `designator`. */
function disconnects(page: Page, designator: string, n: number): Promise<unknown> {
  return page.waitForFunction(
    ([d, count]) => window.capmeshTest.events.filter((e) => e.name === 'peer-disconnected' && e.detail.designator === d).length >= count,
    [designator, n] as const,
    { timeout: 30_000 },
  );
}

/** Bob's view of the counter at `uri`: its saved value, then the value after one more increment. */
function readAndIncrement(page: Page, uri: string): Promise<{ saved: string; next: string }> {
  return page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    const counter = await vat.enliven<{ value(): bigint; increment(): bigint }>(u);
    const saved = String(await E(counter).value());
    return { saved, next: String(await E(counter).increment()) };
  }, uri);
}

test('a persistent object in a Firefox profile outlives a reload and a browser relaunch: same designator, saved state, direct path again', async ({ browser, baseURL }, testInfo) => {
  // Two launches of a Firefox of its own (~3 s each) and three page loads on top of the usual two tabs.
  test.setTimeout(180_000);
  const profile = testInfo.outputPath('firefox-profile');
  /** Alice: a Firefox of her own on a profile directory that outlives the browser (IndexedDB included). */
  const launchAlice = async () => {
    const context = await firefox.launchPersistentContext(profile, { ...firefoxLaunchOptions(findFirefox()), headless: true, baseURL });
    await withFakeCapture(context, true);
    const page = context.pages()[0] ?? (await context.newPage());
    const designator = await loadTestPage(page, { relay: relay.url });
    expect(await awaitCapture(page)).toBeGreaterThan(0);
    return { context, page, designator };
  };
  let alice = await launchAlice();
  const bob = await openTab(browser, relay);
  const uri = await alice.page.evaluate(() => window.capmeshTest.vat.registerPersistent('counter', 0n));
  const afterThree = await bob.page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    const counter = await vat.enliven<{ increment(): bigint }>(u);
    await E(counter).increment();
    await E(counter).increment();
    return String(await E(counter).increment());
  }, uri);
  expect(afterThree).toBe('3');
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });

  // A reload: a new page and worker, the same IndexedDB, so the same identity and record.
  const designator = alice.designator;
  await alice.page.reload();
  expect(await vatReady(alice.page)).toBe(designator);
  expect(await awaitCapture(alice.page)).toBeGreaterThan(0);
  await disconnects(bob.page, designator, 1);
  expect(await readAndIncrement(bob.page, uri)).toEqual({ saved: '3', next: '4' });
  expect(await pathsOf(bob.page)).toEqual({ [designator]: 'webrtc' });

  // The whole browser goes and comes back on the same profile.
  await alice.context.close();
  await disconnects(bob.page, designator, 2);
  alice = await launchAlice();
  expect(alice.designator).toBe(designator);
  expect(await readAndIncrement(bob.page, uri)).toEqual({ saved: '4', next: '5' });
  expect(await pathsOf(bob.page)).toEqual({ [designator]: 'webrtc' });
  await alice.context.close();
  await closeTabs([bob]);
});
