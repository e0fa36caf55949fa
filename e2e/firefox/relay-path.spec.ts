import { expect } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../../relay/index.js';
import { closeTabs, greet, registerGreeter } from '../helpers.js';
import { openTab, test } from './engine.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('directPaths: false in Firefox: calls work both ways over the relay, no direct path tried', async ({ browser }) => {
  const alice = await openTab(browser, relay, { directPaths: '0' });
  const bob = await openTab(browser, relay, { directPaths: '0' });
  const aliceUri = await registerGreeter(alice.page, 'Hello from Alice');
  const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
  const circuitsBefore = relay.stats().circuits;
  expect(await greet(bob.page, aliceUri, 'Bob')).toBe('Hello from Alice, Bob');
  expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'relay' });
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'relay' });
  expect(relay.stats().circuits).toBe(circuitsBefore + 1);
  await closeTabs([alice, bob]);
});

test('ICE fails from Firefox (relay-only candidates, no TURN server): a call to a Chromium tab goes over the relay', async ({ browser, chromium }) => {
  const fox = await openTab(browser, relay, { iceTransportPolicy: 'relay', directTimeoutMs: '1500' });
  const chrome = await openTab(chromium, relay, { directTimeoutMs: '1500' });
  const uri = await registerGreeter(chrome.page, 'Hello from Chromium');
  expect(await greet(fox.page, uri, 'Firefox')).toBe('Hello from Chromium, Firefox');
  expect(await pathsOf(fox.page)).toEqual({ [chrome.designator]: 'relay' });
  expect(await pathsOf(chrome.page)).toEqual({ [fox.designator]: 'relay' });
  await closeTabs([fox, chrome]);
});
