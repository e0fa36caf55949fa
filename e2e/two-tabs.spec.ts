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

test('two tabs call each other over a direct WebRTC path, both ways', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 2);
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const aliceUri = await registerGreeter(alice.page, 'Hello from Alice');
  const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
  expect(aliceUri).toContain(`ocapn://${alice.designator}.relay`);
  expect(await greet(bob.page, aliceUri, 'Bob')).toBe('Hello from Alice, Bob');
  expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
  // One session each way round, carried by a data channel, not the relay.
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'webrtc' });
  await closeTabs(tabs);
});

test('a 1 MiB argument and its echo cross a WebRTC path intact (chunked into 64 KiB channel messages)', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 2);
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const uri = await alice.page.evaluate(async () => {
    const { vat, far } = window.capmeshTest;
    const digest = async (b: Uint8Array): Promise<string> =>
      Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>)), (x) => x.toString(16).padStart(2, '0')).join('');
    return vat.register(far('bytes', { digest, echo: (b: Uint8Array) => b }));
  });
  const result = await bob.page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    const bytes = new Uint8Array(1024 * 1024);
    let x = 0x2545f491;
    for (let i = 0; i < bytes.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x & 0xff;
    }
    const local = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    const target = await vat.enliven<{ digest(b: Uint8Array): string; echo(b: Uint8Array): Uint8Array }>(u);
    const remote = await E(target).digest(bytes);
    const back = await E(target).echo(bytes);
    const same = back instanceof Uint8Array && back.length === bytes.length && back.every((b, i) => b === bytes[i]);
    return { local, remote, same, length: back.length };
  }, uri);
  expect(result.remote).toBe(result.local);
  expect(result.length).toBe(1024 * 1024);
  expect(result.same).toBe(true);
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });
  await closeTabs(tabs);
});
