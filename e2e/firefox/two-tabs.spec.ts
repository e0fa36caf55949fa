import { expect } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../../relay/index.js';
import { closeTabs, greet, registerGreeter } from '../helpers.js';
import { handOversOf, openTab, test } from './engine.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('two Firefox tabs call each other over a direct WebRTC path, both ways', async ({ browser }) => {
  expect(browser.browserType().name()).toBe('firefox');
  const alice = await openTab(browser, relay);
  const bob = await openTab(browser, relay);
  const aliceUri = await registerGreeter(alice.page, 'Hello from Alice');
  const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
  expect(await greet(bob.page, aliceUri, 'Bob')).toBe('Hello from Alice, Bob');
  expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
  // One session each way round, carried by a data channel, not the relay.
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'webrtc' });
  // Firefox let each page transfer its channel into the worker (Bob's right after
  // createDataChannel, Alice's in ondatachannel): nothing piped through the page.
  expect(await handOversOf(bob.page)).toEqual(['channel']);
  expect(await handOversOf(alice.page)).toEqual(['channel']);
  await closeTabs([alice, bob]);
});
