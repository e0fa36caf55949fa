import { expect } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../../relay/index.js';
import { closeTabs, registerGreeter } from '../helpers.js';
import { openTab, test } from './engine.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test("Carol (Firefox) receives Bob's (Chromium) reference from Alice's (Firefox) tab and calls Bob over a direct Carol–Bob path", async ({ browser, chromium }) => {
  const alice = await openTab(browser, relay);
  const bob = await openTab(chromium, relay);
  const carol = await openTab(browser, relay);
  const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
  const directoryUri = await alice.page.evaluate(async (u) => {
    const { vat, far } = window.capmeshTest;
    const bobGreeter = await vat.enliven(u);
    return vat.register(far('directory', { bob: () => bobGreeter }));
  }, bobUri);
  const greeting = await carol.page.evaluate(async (d) => {
    const { vat, E } = window.capmeshTest;
    const directory = await vat.enliven<{ bob(): { greet(n: string): string } }>(d);
    const bobGreeter = await E(directory).bob();
    return E(bobGreeter).greet('Carol');
  }, directoryUri);
  expect(greeting).toBe('Hello from Bob, Carol');
  // The handoff made Carol reach Bob herself, across engines, on a data channel.
  expect(await pathsOf(carol.page)).toEqual({ [alice.designator]: 'webrtc', [bob.designator]: 'webrtc' });
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc', [carol.designator]: 'webrtc' });
  await closeTabs([alice, bob, carol]);
});
