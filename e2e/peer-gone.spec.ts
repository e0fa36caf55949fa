import { expect, test } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, greet, openTabs, registerGreeter } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('a peer tab that goes away is noticed: its direct session ends and the event says so', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 2);
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const uri = await registerGreeter(alice.page, 'Hello from Alice');
  expect(await greet(bob.page, uri, 'Bob')).toBe('Hello from Alice, Bob');
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'webrtc' });
  // Bob's tab closes without saying goodbye.
  await bob.context.close();
  await alice.page.waitForFunction(
    (designator) => window.capmeshTest.events.some((e) => e.name === 'peer-disconnected' && e.detail['designator'] === designator),
    bob.designator,
    { timeout: 60_000 },
  );
  expect(await pathsOf(alice.page)).toEqual({});
  await closeTabs([alice]);
});
