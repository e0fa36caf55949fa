import { expect, test } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, openTabs, registerGreeter } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test("Carol receives Bob's reference from Alice's tab and calls Bob over a direct Carol–Bob path", async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 3);
  const [alice, bob, carol] = tabs as [(typeof tabs)[0], (typeof tabs)[0], (typeof tabs)[0]];
  const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
  // Alice's tab holds a reference to Bob's greeter and hands it out from a directory.
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
  // The handoff made Carol reach Bob herself (a proxy through Alice would leave no Carol–Bob
  // session), and that session runs on a data channel.
  expect(await pathsOf(carol.page)).toEqual({ [alice.designator]: 'webrtc', [bob.designator]: 'webrtc' });
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc', [carol.designator]: 'webrtc' });
  await closeTabs(tabs);
});
