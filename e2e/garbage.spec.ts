import { expect, test } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, greet, greetOrError, openTabs, registerGreeter, waitForVatEvent } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('a tab that writes garbage on its data channel loses its session; the receiving tab carries on with the others', async ({ browser }) => {
  // worker=test: the test worker (pages/test-worker.ts) can write raw bytes on a live connection.
  const tabs = await openTabs(browser, relay, 3, { worker: 'test' });
  const [alice, bob, mallory] = tabs as [(typeof tabs)[0], (typeof tabs)[0], (typeof tabs)[0]];
  const aliceUri = await registerGreeter(alice.page, 'Hello from Alice');
  expect(await greet(bob.page, aliceUri, 'Bob')).toBe('Hello from Alice, Bob');
  expect(await greet(mallory.page, aliceUri, 'Mallory')).toBe('Hello from Alice, Mallory');
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'webrtc', [mallory.designator]: 'webrtc' });

  const path = await mallory.page.evaluate(async (d) => {
    const { vat, E } = window.capmeshTest;
    const ext = await vat.extension<{ sendRaw(d: string, b: Uint8Array): string }>();
    return E(ext).sendRaw(d, new Uint8Array([0xff, 0x00, 0xfe, 0x13, 0x37]));
  }, alice.designator);
  expect(path).toBe('webrtc');

  // Alice aborts that session alone...
  await waitForVatEvent(alice.page, 'peer-disconnected', { designator: mallory.designator });
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'webrtc' });
  // ...so Mallory's reference from it is broken...
  expect(await greetOrError(mallory.page, aliceUri, 'Mallory again')).toMatch(/^(ABORTED|DISCONNECTED|PROTOCOL): /);
  // ...while Bob's session with Alice goes on, on the same data channel.
  expect(await greet(bob.page, aliceUri, 'Bob again')).toBe('Hello from Alice, Bob again');
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });
  await closeTabs(tabs);
});
