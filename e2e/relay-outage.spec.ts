import { expect, test } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, greet, greetOrError, openTabs, registerGreeter } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('the relay dies: direct sessions carry on, new introductions fail clearly; it restarts and the tabs re-register', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 3);
  const [alice, bob, carol] = tabs as [(typeof tabs)[0], (typeof tabs)[0], (typeof tabs)[0]];
  const aliceUri = await registerGreeter(alice.page, 'Hello from Alice');
  const carolUri = await registerGreeter(carol.page, 'Hello from Carol');
  expect(await greet(bob.page, aliceUri, 'Bob')).toBe('Hello from Alice, Bob');
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });

  const port = relay.port;
  await relay.close();

  // The Bob–Alice data channel does not need the relay.
  expect(await greet(bob.page, aliceUri, 'Bob, relay gone')).toBe('Hello from Alice, Bob, relay gone');
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });
  // Reaching Carol needs the relay (signalling, or its circuit): a clear RELAY_UNREACHABLE, its code said once.
  const failure = await greetOrError(bob.page, carolUri, 'Bob');
  expect(failure).toMatch(/^RELAY_UNREACHABLE: not registered at the relay .*registering to reach/);

  relay = await startTestRelay({ port });
  await expect
    .poll(() => tabs.map((t) => relay.isRegistered(t.designator)), { timeout: 45_000, intervals: [100, 250, 500] })
    .toEqual([true, true, true]);
  expect(await greet(bob.page, carolUri, 'Bob')).toBe('Hello from Carol, Bob');
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc', [carol.designator]: 'webrtc' });
  // And the old session is still the one it was.
  expect(await greet(bob.page, aliceUri, 'Bob, relay back')).toBe('Hello from Alice, Bob, relay back');
  await closeTabs(tabs);
});
